// ModelConfig: the architecture of a decoder-only checkpoint, read from its
// Hugging Face config.json. Plain data, no LibTorch (binqd parses it at
// submit), so the daemon and the worker agree on what a family accepts.
//
// Which family a config is comes from `model_type`; each family has one
// parser file here (opt_config.cc, llama_config.cc, gemma3_config.cc)
// listed in model_families.cc, and one model file in core/model registered
// under the same model_type (docs/adding-a-model-family.md).
//
// Field names and defaults follow the transformers 5.23 config classes of
// each family (OPTConfig, LlamaConfig, MistralConfig, Qwen2Config,
// Qwen3Config, Gemma3TextConfig): shape fields are required unless the class
// has a default checkpoints rely on; training-only fields (dropout,
// initializer_range, use_cache, …) are ignored.
#ifndef BINQ_CORE_MODEL_CONFIG_MODEL_CONFIG_H_
#define BINQ_CORE_MODEL_CONFIG_MODEL_CONFIG_H_

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"

namespace binq::core {

// Rotary position embedding parameters, as transformers 5 standardizes them
// into `rope_parameters` (older configs: `rope_theta` beside a
// `rope_scaling` dict whose kind is `type` or `rope_type`).
struct RopeParameters {
  std::string rope_type = "default";  // default, linear, dynamic, llama3
  double rope_theta = 10000.0;
  double factor = 1.0;  // linear, dynamic, llama3
  // llama3 only.
  double low_freq_factor = 1.0;
  double high_freq_factor = 4.0;
  int64_t original_max_position_embeddings = 0;
};

struct ModelConfig {
  std::string source;      // the file (or name) the config was read from, for messages
  std::string model_type;  // "opt", "llama", "mistral", "qwen2", "qwen3", "gemma3_text"

  // Shapes (all families).
  int64_t vocab_size = 0;
  int64_t hidden_size = 0;
  int64_t num_hidden_layers = 0;
  int64_t num_attention_heads = 0;
  int64_t num_key_value_heads = 0;  // = num_attention_heads unless grouped-query attention
  int64_t ffn_dim = 0;              // the MLP's inner width (OPT ffn_dim, LLaMA intermediate_size)
  int64_t max_position_embeddings = 0;
  int64_t explicit_head_dim = 0;  // config `head_dim`; 0 = hidden_size / num_attention_heads

  // "relu", "gelu", "silu" (OPT activation_function); "silu",
  // "gelu_pytorch_tanh" (LLaMA family hidden_act, Gemma hidden_activation).
  std::string activation_function = "relu";
  bool tie_word_embeddings = true;  // lm_head shares embed_tokens
  // The checkpoint's dtype as config.json names it ("float16", "bfloat16",
  // "float32"; transformers ≥ 5 writes "dtype", older ones "torch_dtype").
  // Empty when absent: the weights' own dtype is used then.
  std::string torch_dtype;
  std::optional<int64_t> bos_token_id;
  std::vector<int64_t> eos_token_ids;  // config allows an int or a list
  std::optional<int64_t> pad_token_id;

  // The evaluation/calibration window length the references use
  // (ALGORITHMS.md §2.1): OPT max_position_embeddings; the LLaMA-style
  // families 2048 as BiLLM's get_llama (capped at max_position_embeddings
  // for models shorter than that).
  int64_t reference_seqlen_tokens = 0;
  // The linears of one decoder layer the techniques quantize, relative to
  // the layer, in the references' order (module registration order,
  // ALGORITHMS.md §2.2).
  std::vector<std::string> quantized_linears;

  // OPT.
  bool do_layer_norm_before = true;  // false: post-LN (opt-350m)
  int64_t word_embed_proj_dim = 0;   // = hidden_size unless project_in/out exist
  bool layer_norm_elementwise_affine = true;
  bool enable_bias = true;
  bool remove_final_layer_norm = false;  // config key `_remove_final_layer_norm`

  // LLaMA-style families (llama, mistral, qwen2, qwen3, gemma3_text).
  double rms_norm_eps = 1e-6;
  bool qkv_bias = false;  // q/k/v_proj have biases (attention_bias; Qwen2 always)
  bool o_bias = false;    // o_proj has a bias (attention_bias; not Qwen2)
  bool mlp_bias = false;  // gate/up/down_proj have biases (LLaMA mlp_bias)
  bool qk_norm = false;   // per-head RMSNorm of q and k (Qwen3, Gemma-3)
  RopeParameters rope;    // every layer's, or Gemma-3's full-attention layers'
  std::optional<RopeParameters> sliding_rope;  // Gemma-3's sliding layers
  // Per layer: true where the layer attends through a sliding window of
  // `sliding_window` tokens (Mistral: every layer when set; Qwen2/3: the
  // layers from max_window_layers on when use_sliding_window; Gemma-3: the
  // "sliding_attention" layers of layer_types).
  std::vector<bool> sliding_layers;
  int64_t sliding_window = 0;
  // Gemma-3.
  bool gemma_norms = false;      // RMSNorm x·(1+w) in fp32; pre/post feed-forward and post-attention norms
  bool scale_embeddings = false;  // embeddings · sqrt(hidden_size) in the model dtype
  double query_pre_attn_scalar = 0;  // > 0: attention scaling query_pre_attn_scalar^-0.5
  // Parsed but not applied: transformers' Gemma3Attention ignores it too.
  std::optional<double> attn_logit_softcapping;
  std::optional<double> final_logit_softcapping;

  int64_t head_dim() const {
    return explicit_head_dim > 0 ? explicit_head_dim : hidden_size / num_attention_heads;
  }
  int64_t reference_seqlen() const { return reference_seqlen_tokens; }
  bool is_sliding(int64_t layer) const {
    return layer >= 0 && layer < static_cast<int64_t>(sliding_layers.size()) && sliding_layers[layer];
  }
};

// Parses config.json text. `source` names it in messages. INVALID_ARGUMENT,
// naming the field and `source`, for: text that is not a JSON object; a
// missing required field; a field of the wrong JSON type (an integer field
// holding 768.0 or "768", a bool holding 1); a non-positive size; a
// hidden_size that num_attention_heads does not divide (where the family
// needs it); an unsupported activation or RoPE type; an unknown model_type
// (listing the supported families, ModelFamilyTypes()).
[[nodiscard]] absl::StatusOr<ModelConfig> ParseModelConfig(absl::string_view json_text,
                                                           const std::string& source);

// The text of `path` (a config.json file, or a checkpoint folder holding
// one) and the file it came from. NOT_FOUND when there is no such file,
// UNAVAILABLE when it cannot be read.
struct ConfigText {
  std::string file;
  std::string text;
};
[[nodiscard]] absl::StatusOr<ConfigText> ReadConfigText(const std::string& path);

// Reads and parses `path` (a config.json file, or a checkpoint folder holding
// one). NOT_FOUND when there is no such file, UNAVAILABLE when it cannot be
// read, otherwise as ParseModelConfig.
[[nodiscard]] absl::StatusOr<ModelConfig> ReadModelConfig(const std::string& path);

}  // namespace binq::core

#endif  // BINQ_CORE_MODEL_CONFIG_MODEL_CONFIG_H_
