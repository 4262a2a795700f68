// ModelConfig: the architecture of a decoder-only checkpoint, read from its
// Hugging Face config.json. Plain data, no LibTorch; which family it is comes
// from `model_type` (only "opt" so far; a family is added by teaching
// ParseModelConfig its fields and registering a CausalLM factory,
// core/model/causal_lm.h).
//
// Field names and defaults follow transformers' OPTConfig (5.23, unchanged in
// substance since 4.21): shape fields are required; the fields that older
// facebook/opt config.json files lack (enable_bias,
// layer_norm_elementwise_affine, _remove_final_layer_norm,
// tie_word_embeddings, word_embed_proj_dim) take OPTConfig's defaults.
// Training-only fields (dropout, attention_dropout, layerdrop, init_std,
// use_cache) are ignored.
#ifndef BINQ_CORE_MODEL_MODEL_CONFIG_H_
#define BINQ_CORE_MODEL_MODEL_CONFIG_H_

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"

namespace binq::core {

struct ModelConfig {
  std::string source;      // the file (or name) the config was read from, for messages
  std::string model_type;  // "opt"

  // Shapes (all families).
  int64_t vocab_size = 0;
  int64_t hidden_size = 0;
  int64_t num_hidden_layers = 0;
  int64_t num_attention_heads = 0;
  int64_t ffn_dim = 0;  // the MLP's inner width (OPT ffn_dim)
  int64_t max_position_embeddings = 0;

  std::string activation_function = "relu";  // "relu", "gelu" or "silu"
  bool tie_word_embeddings = true;            // lm_head shares embed_tokens
  // The checkpoint's dtype as config.json names it ("float16", "bfloat16",
  // "float32"; transformers ≥ 5 writes "dtype", older ones "torch_dtype").
  // Empty when absent: the weights' own dtype is used then.
  std::string torch_dtype;
  std::optional<int64_t> bos_token_id;
  std::vector<int64_t> eos_token_ids;  // config allows an int or a list
  std::optional<int64_t> pad_token_id;

  // OPT.
  bool do_layer_norm_before = true;  // false: post-LN (opt-350m)
  int64_t word_embed_proj_dim = 0;   // = hidden_size unless project_in/out exist
  bool layer_norm_elementwise_affine = true;
  bool enable_bias = true;
  bool remove_final_layer_norm = false;  // config key `_remove_final_layer_norm`

  int64_t head_dim() const { return hidden_size / num_attention_heads; }
  // The evaluation/calibration window length the references use
  // (ALGORITHMS.md §2.1): max_position_embeddings for OPT (2048).
  int64_t reference_seqlen() const { return max_position_embeddings; }
};

// The model types ParseModelConfig understands, sorted: {"opt"}.
std::vector<std::string> SupportedModelTypes();

// Parses config.json text. `source` names it in messages. INVALID_ARGUMENT,
// naming the field and `source`, for: text that is not a JSON object; a
// missing required field; a field of the wrong JSON type (an integer field
// holding 768.0 or "768", a bool holding 1); a non-positive size; a
// hidden_size that num_attention_heads does not divide; an unsupported
// activation_function; an unknown model_type (listing the supported ones).
[[nodiscard]] absl::StatusOr<ModelConfig> ParseModelConfig(absl::string_view json_text,
                                                           const std::string& source);

// Reads and parses `path` (a config.json file, or a checkpoint folder holding
// one). NOT_FOUND when there is no such file, UNAVAILABLE when it cannot be
// read, otherwise as ParseModelConfig.
[[nodiscard]] absl::StatusOr<ModelConfig> ReadModelConfig(const std::string& path);

}  // namespace binq::core

#endif  // BINQ_CORE_MODEL_MODEL_CONFIG_H_
