// OPT (transformers OPTConfig 5.23, unchanged in substance since 4.21): the
// fields older facebook/opt config.json files lack (enable_bias,
// layer_norm_elementwise_affine, _remove_final_layer_norm,
// tie_word_embeddings, word_embed_proj_dim) take OPTConfig's defaults.
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "core/base/status_macros.h"
#include "core/model_config/family_parsers.h"

namespace binq::core {
namespace {

// Activations binq implements exactly as transformers' ACT2FN does with a
// single ATen op (relu → nn.ReLU, gelu → exact-erf GELU, silu → nn.SiLU).
constexpr const char* kOptActivations[] = {"relu", "gelu", "silu"};

}  // namespace

absl::Status ParseOptConfig(const FieldReader& r, ModelConfig& c) {
  BINQ_ASSIGN_OR_RETURN(c.vocab_size, r.PositiveInt("vocab_size", std::nullopt));
  BINQ_ASSIGN_OR_RETURN(c.hidden_size, r.PositiveInt("hidden_size", std::nullopt));
  BINQ_ASSIGN_OR_RETURN(c.num_hidden_layers, r.PositiveInt("num_hidden_layers", std::nullopt));
  BINQ_ASSIGN_OR_RETURN(c.num_attention_heads, r.PositiveInt("num_attention_heads", std::nullopt));
  c.num_key_value_heads = c.num_attention_heads;
  BINQ_ASSIGN_OR_RETURN(c.ffn_dim, r.PositiveInt("ffn_dim", std::nullopt));
  BINQ_ASSIGN_OR_RETURN(c.max_position_embeddings, r.PositiveInt("max_position_embeddings", std::nullopt));
  BINQ_ASSIGN_OR_RETURN(c.word_embed_proj_dim, r.PositiveInt("word_embed_proj_dim", c.hidden_size));
  BINQ_ASSIGN_OR_RETURN(c.do_layer_norm_before, r.Bool("do_layer_norm_before", true));
  BINQ_ASSIGN_OR_RETURN(c.layer_norm_elementwise_affine, r.Bool("layer_norm_elementwise_affine", true));
  BINQ_ASSIGN_OR_RETURN(c.enable_bias, r.Bool("enable_bias", true));
  BINQ_ASSIGN_OR_RETURN(c.remove_final_layer_norm, r.Bool("_remove_final_layer_norm", false));
  BINQ_ASSIGN_OR_RETURN(c.tie_word_embeddings, r.Bool("tie_word_embeddings", true));
  BINQ_ASSIGN_OR_RETURN(c.activation_function, r.String("activation_function", std::string("relu")));
  // OPTConfig's token defaults (pad 1, bos 2, eos 2) apply only when the key
  // is absent; an explicit null means "none".
  BINQ_ASSIGN_OR_RETURN(c.bos_token_id, r.OptionalInt("bos_token_id"));
  BINQ_ASSIGN_OR_RETURN(c.pad_token_id, r.OptionalInt("pad_token_id"));
  BINQ_ASSIGN_OR_RETURN(c.eos_token_ids, r.IntOrIntList("eos_token_id"));
  if (!r.Has("bos_token_id")) c.bos_token_id = 2;
  if (!r.Has("pad_token_id")) c.pad_token_id = 1;
  if (!r.Has("eos_token_id")) c.eos_token_ids = {2};

  if (c.hidden_size % c.num_attention_heads != 0) {
    return r.Error("num_attention_heads", absl::StrCat("(", c.num_attention_heads,
                                                       ") must divide hidden_size (", c.hidden_size, ")"));
  }
  bool known_activation = false;
  for (const char* a : kOptActivations) known_activation |= (c.activation_function == a);
  if (!known_activation) {
    return r.Error("activation_function",
                   absl::StrCat("is '", c.activation_function, "', which binq does not support (supported: ",
                                absl::StrJoin(kOptActivations, ", "), ")"));
  }
  // ALGORITHMS.md §2.1: model.seqlen = max_position_embeddings; §2.2: k, v,
  // q, out as OPTAttention registers them, then fc1, fc2.
  c.reference_seqlen_tokens = c.max_position_embeddings;
  c.quantized_linears = {"self_attn.k_proj", "self_attn.v_proj", "self_attn.q_proj",
                         "self_attn.out_proj", "fc1", "fc2"};
  return absl::OkStatus();
}

}  // namespace binq::core
