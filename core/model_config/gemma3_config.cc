// gemma3_text (transformers Gemma3TextConfig 5.23): LLaMA's layer with
// Gemma's norms (x·(1+w), pre/post feed-forward and post-attention norms,
// q/k norms), GELU-tanh GeGLU, embeddings scaled by sqrt(hidden_size), and
// sliding-window layers interleaved with global ones, each kind with its own
// RoPE (rope_parameters {"sliding_attention": …, "full_attention": …}; older
// configs: rope_theta for the global layers, rope_local_base_freq for the
// sliding ones, rope_scaling for the global ones).
#include "absl/strings/str_cat.h"
#include "core/base/status_macros.h"
#include "core/model_config/family_parsers.h"

namespace binq::core {
namespace {

constexpr double kGlobalTheta = 1'000'000.0;  // Gemma3TextConfig.default_theta
constexpr double kLocalTheta = 10'000.0;

absl::Status ParseLayerTypes(const FieldReader& r, ModelConfig& c) {
  BINQ_ASSIGN_OR_RETURN(const bool has_layer_types, ReadLayerTypes(r, c));
  if (has_layer_types) return absl::OkStatus();
  // The older form: every sliding_window_pattern-th layer is global.
  BINQ_ASSIGN_OR_RETURN(const int64_t pattern, r.PositiveInt("sliding_window_pattern", 6));
  for (int64_t i = 0; i < c.num_hidden_layers; ++i) c.sliding_layers[i] = (i + 1) % pattern != 0;
  return absl::OkStatus();
}

absl::Status ParseGemmaRope(const FieldReader& r, ModelConfig& c) {
  BINQ_ASSIGN_OR_RETURN(const double global_theta, r.PositiveDouble("rope_theta", kGlobalTheta));
  BINQ_ASSIGN_OR_RETURN(const double local_theta, r.PositiveDouble("rope_local_base_freq", kLocalTheta));
  BINQ_ASSIGN_OR_RETURN(const std::optional<FieldReader> params, r.Object("rope_parameters"));
  BINQ_ASSIGN_OR_RETURN(const std::optional<FieldReader> scaling, r.Object("rope_scaling"));
  std::optional<FieldReader> full, sliding;
  if (params.has_value()) {
    BINQ_ASSIGN_OR_RETURN(full, params->Object("full_attention"));
    BINQ_ASSIGN_OR_RETURN(sliding, params->Object("sliding_attention"));
  }
  if (scaling.has_value()) full = scaling;  // rope_scaling updates the global layers' entry
  c.rope = RopeParameters();
  c.rope.rope_theta = global_theta;
  if (full.has_value()) {
    BINQ_ASSIGN_OR_RETURN(c.rope, ParseRopeObject(*full, global_theta, c.max_position_embeddings));
  }
  RopeParameters local;
  local.rope_theta = local_theta;
  if (sliding.has_value()) {
    BINQ_ASSIGN_OR_RETURN(local, ParseRopeObject(*sliding, local_theta, c.max_position_embeddings));
  }
  c.sliding_rope = local;
  return absl::OkStatus();
}

}  // namespace

absl::Status ParseGemma3TextConfig(const FieldReader& r, ModelConfig& c) {
  BINQ_ASSIGN_OR_RETURN(c.vocab_size, r.PositiveInt("vocab_size", std::nullopt));
  BINQ_ASSIGN_OR_RETURN(c.hidden_size, r.PositiveInt("hidden_size", std::nullopt));
  BINQ_ASSIGN_OR_RETURN(c.ffn_dim, r.PositiveInt("intermediate_size", std::nullopt));
  BINQ_ASSIGN_OR_RETURN(c.num_hidden_layers, r.PositiveInt("num_hidden_layers", std::nullopt));
  BINQ_ASSIGN_OR_RETURN(c.num_attention_heads, r.PositiveInt("num_attention_heads", std::nullopt));
  BINQ_ASSIGN_OR_RETURN(c.num_key_value_heads, r.PositiveInt("num_key_value_heads", 4));
  if (c.hidden_size % c.num_attention_heads != 0) {
    return r.Error("num_attention_heads", absl::StrCat("(", c.num_attention_heads,
                                                       ") must divide hidden_size (", c.hidden_size, ")"));
  }
  if (c.num_attention_heads % c.num_key_value_heads != 0) {
    return r.Error("num_key_value_heads", absl::StrCat("(", c.num_key_value_heads,
                                                       ") must divide num_attention_heads (",
                                                       c.num_attention_heads, ")"));
  }
  BINQ_ASSIGN_OR_RETURN(c.explicit_head_dim, r.PositiveInt("head_dim", 256));
  if (c.explicit_head_dim % 2 != 0) {
    return r.Error("head_dim", absl::StrCat("must be even for rotary embeddings, got ", c.explicit_head_dim));
  }
  BINQ_ASSIGN_OR_RETURN(c.max_position_embeddings, r.PositiveInt("max_position_embeddings", 131072));
  BINQ_ASSIGN_OR_RETURN(c.rms_norm_eps, r.PositiveDouble("rms_norm_eps", 1e-6));
  BINQ_ASSIGN_OR_RETURN(c.tie_word_embeddings, r.Bool("tie_word_embeddings", true));
  BINQ_ASSIGN_OR_RETURN(c.activation_function, r.String("hidden_activation", std::string("gelu_pytorch_tanh")));
  if (c.activation_function != "gelu_pytorch_tanh") {
    return r.Error("hidden_activation", absl::StrCat("is '", c.activation_function,
                                                     "', which binq does not support (supported: gelu_pytorch_tanh)"));
  }
  BINQ_ASSIGN_OR_RETURN(c.qkv_bias, r.Bool("attention_bias", false));
  c.o_bias = c.qkv_bias;
  c.qk_norm = true;
  c.gemma_norms = true;
  c.scale_embeddings = true;
  BINQ_ASSIGN_OR_RETURN(c.query_pre_attn_scalar, r.PositiveDouble("query_pre_attn_scalar", 256));
  BINQ_ASSIGN_OR_RETURN(c.attn_logit_softcapping, r.OptionalPositiveDouble("attn_logit_softcapping"));
  BINQ_ASSIGN_OR_RETURN(c.final_logit_softcapping, r.OptionalPositiveDouble("final_logit_softcapping"));
  BINQ_ASSIGN_OR_RETURN(const bool bidirectional, r.Bool("use_bidirectional_attention", false));
  if (bidirectional) {
    return r.Error("use_bidirectional_attention", "is true; binq runs causal language models only");
  }
  BINQ_RETURN_IF_ERROR(ParseLayerTypes(r, c));
  if (!r.Has("sliding_window")) {
    c.sliding_window = 4096;
  } else if (r.Find("sliding_window") != nullptr) {
    BINQ_ASSIGN_OR_RETURN(c.sliding_window, r.PositiveInt("sliding_window", std::nullopt));
  }
  for (int64_t i = 0; i < c.num_hidden_layers; ++i) {
    if (c.sliding_layers[i] && c.sliding_window <= 0) {
      return r.Error("sliding_window", "is null but the model has sliding_attention layers");
    }
  }
  BINQ_RETURN_IF_ERROR(ParseGemmaRope(r, c));
  BINQ_ASSIGN_OR_RETURN(c.bos_token_id, r.OptionalInt("bos_token_id"));
  BINQ_ASSIGN_OR_RETURN(c.pad_token_id, r.OptionalInt("pad_token_id"));
  BINQ_ASSIGN_OR_RETURN(c.eos_token_ids, r.IntOrIntList("eos_token_id"));
  if (!r.Has("bos_token_id")) c.bos_token_id = 2;
  if (!r.Has("pad_token_id")) c.pad_token_id = 0;
  if (!r.Has("eos_token_id")) c.eos_token_ids = {1};
  c.reference_seqlen_tokens = LlamaReferenceSeqlen(c);
  c.quantized_linears = LlamaQuantizedLinears();
  return absl::OkStatus();
}

}  // namespace binq::core
