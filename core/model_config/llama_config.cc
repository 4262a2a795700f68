// The LLaMA-style families that share LLaMA's layer (RMSNorm, RoPE,
// grouped-query attention, SwiGLU MLP) and differ in a few fields:
//   llama    LlamaConfig: attention_bias (q/k/v/o), mlp_bias, head_dim;
//   mistral  MistralConfig: no biases, sliding_window (default 4096; null =
//            none) on every layer;
//   qwen2    Qwen2Config: q/k/v biases (o_proj none), sliding window only
//            with use_sliding_window on layers ≥ max_window_layers;
//   qwen3    Qwen3Config: Qwen2's window rule, attention_bias (q/k/v/o),
//            per-head q/k RMSNorm, head_dim (default 128).
// Defaults are the transformers 5.23 config classes'.
#include <cmath>

#include "absl/strings/str_cat.h"
#include "core/base/status_macros.h"
#include "core/model_config/family_parsers.h"

namespace binq::core {
namespace {

// transformers' RotaryEmbeddingConfigMixin.default_theta.
constexpr double kDefaultRopeTheta = 10000.0;

struct LlamaStyleDefaults {
  std::optional<int64_t> num_key_value_heads;  // nullopt: = num_attention_heads
  std::optional<int64_t> head_dim;             // nullopt: hidden_size / num_attention_heads
  int64_t max_position_embeddings;
  std::optional<int64_t> bos_token_id;
  std::optional<int64_t> eos_token_id;
  bool heads_divide_hidden;  // LlamaConfig.validate_architecture
};

absl::Status ParseShapes(const FieldReader& r, const LlamaStyleDefaults& d, ModelConfig& c) {
  BINQ_ASSIGN_OR_RETURN(c.vocab_size, r.PositiveInt("vocab_size", std::nullopt));
  BINQ_ASSIGN_OR_RETURN(c.hidden_size, r.PositiveInt("hidden_size", std::nullopt));
  BINQ_ASSIGN_OR_RETURN(c.ffn_dim, r.PositiveInt("intermediate_size", std::nullopt));
  BINQ_ASSIGN_OR_RETURN(c.num_hidden_layers, r.PositiveInt("num_hidden_layers", std::nullopt));
  BINQ_ASSIGN_OR_RETURN(c.num_attention_heads, r.PositiveInt("num_attention_heads", std::nullopt));
  BINQ_ASSIGN_OR_RETURN(c.num_key_value_heads,
                        r.PositiveInt("num_key_value_heads", d.num_key_value_heads.value_or(c.num_attention_heads)));
  if (c.num_attention_heads % c.num_key_value_heads != 0) {
    return r.Error("num_key_value_heads", absl::StrCat("(", c.num_key_value_heads,
                                                       ") must divide num_attention_heads (",
                                                       c.num_attention_heads, ")"));
  }
  if (d.heads_divide_hidden && c.hidden_size % c.num_attention_heads != 0) {
    return r.Error("num_attention_heads", absl::StrCat("(", c.num_attention_heads,
                                                       ") must divide hidden_size (", c.hidden_size, ")"));
  }
  if (!d.head_dim.has_value() && c.hidden_size % c.num_attention_heads != 0 && r.Find("head_dim") == nullptr) {
    return r.Error("num_attention_heads", absl::StrCat("(", c.num_attention_heads,
                                                       ") must divide hidden_size (", c.hidden_size,
                                                       ") when head_dim is not given"));
  }
  BINQ_ASSIGN_OR_RETURN(c.explicit_head_dim,
                        r.PositiveInt("head_dim", d.head_dim.value_or(c.hidden_size / c.num_attention_heads)));
  if (c.explicit_head_dim % 2 != 0) {
    return r.Error("head_dim", absl::StrCat("must be even for rotary embeddings, got ", c.explicit_head_dim));
  }
  BINQ_ASSIGN_OR_RETURN(c.max_position_embeddings,
                        r.PositiveInt("max_position_embeddings", d.max_position_embeddings));
  BINQ_ASSIGN_OR_RETURN(c.rms_norm_eps, r.PositiveDouble("rms_norm_eps", 1e-6));
  BINQ_ASSIGN_OR_RETURN(c.tie_word_embeddings, r.Bool("tie_word_embeddings", false));
  BINQ_ASSIGN_OR_RETURN(c.activation_function, r.String("hidden_act", std::string("silu")));
  if (c.activation_function != "silu") {
    return r.Error("hidden_act", absl::StrCat("is '", c.activation_function,
                                              "', which binq does not support for ", c.model_type,
                                              " (supported: silu)"));
  }
  BINQ_ASSIGN_OR_RETURN(c.bos_token_id, r.OptionalInt("bos_token_id"));
  BINQ_ASSIGN_OR_RETURN(c.pad_token_id, r.OptionalInt("pad_token_id"));
  BINQ_ASSIGN_OR_RETURN(c.eos_token_ids, r.IntOrIntList("eos_token_id"));
  if (!r.Has("bos_token_id")) c.bos_token_id = d.bos_token_id;
  if (!r.Has("eos_token_id") && d.eos_token_id.has_value()) c.eos_token_ids = {*d.eos_token_id};
  c.reference_seqlen_tokens = LlamaReferenceSeqlen(c);
  c.quantized_linears = LlamaQuantizedLinears();
  return absl::OkStatus();
}

// `rope_scaling` (older configs) wins over `rope_parameters` as in
// transformers' convert_rope_params_to_dict; `rope_theta` beside them is the
// default of the dict's own.
absl::Status ParseRope(const FieldReader& r, ModelConfig& c) {
  BINQ_ASSIGN_OR_RETURN(const double theta, r.PositiveDouble("rope_theta", kDefaultRopeTheta));
  BINQ_ASSIGN_OR_RETURN(std::optional<FieldReader> rope, r.Object("rope_scaling"));
  if (!rope.has_value()) {
    BINQ_ASSIGN_OR_RETURN(rope, r.Object("rope_parameters"));
  }
  if (!rope.has_value()) {
    c.rope = RopeParameters();
    c.rope.rope_theta = theta;
    return absl::OkStatus();
  }
  BINQ_ASSIGN_OR_RETURN(c.rope, ParseRopeObject(*rope, theta, c.max_position_embeddings));
  return absl::OkStatus();
}

// Qwen2/Qwen3: layer_types as given, else sliding from max_window_layers on
// when use_sliding_window.
absl::Status ParseQwenWindows(const FieldReader& r, ModelConfig& c) {
  BINQ_ASSIGN_OR_RETURN(const bool use_sliding_window, r.Bool("use_sliding_window", false));
  BINQ_ASSIGN_OR_RETURN(const int64_t max_window_layers, r.Int("max_window_layers", 28));
  // Qwen2Config: sliding_window (default 4096; null = none) only counts with
  // use_sliding_window.
  c.sliding_window = 0;
  if (use_sliding_window) {
    if (!r.Has("sliding_window")) {
      c.sliding_window = 4096;
    } else if (r.Find("sliding_window") != nullptr) {
      BINQ_ASSIGN_OR_RETURN(c.sliding_window, r.PositiveInt("sliding_window", std::nullopt));
    }
  }
  BINQ_ASSIGN_OR_RETURN(const bool has_layer_types, ReadLayerTypes(r, c));
  if (has_layer_types) {
    for (int64_t i = 0; i < c.num_hidden_layers; ++i) {
      if (c.sliding_layers[i] && c.sliding_window <= 0) {
        return r.Error("layer_types", "has sliding_attention layers but no sliding_window is in use");
      }
    }
  } else if (c.sliding_window > 0) {
    for (int64_t i = max_window_layers; i < c.num_hidden_layers; ++i) c.sliding_layers[i] = true;
  }
  return absl::OkStatus();
}

}  // namespace

absl::StatusOr<bool> ReadLayerTypes(const FieldReader& r, ModelConfig& c) {
  BINQ_ASSIGN_OR_RETURN(const auto layer_types, r.OptionalStringList("layer_types"));
  c.sliding_layers.assign(c.num_hidden_layers, false);
  if (!layer_types.has_value()) return false;
  if (static_cast<int64_t>(layer_types->size()) != c.num_hidden_layers) {
    return r.Error("layer_types", absl::StrCat("has ", layer_types->size(), " entries for ",
                                               c.num_hidden_layers, " layers"));
  }
  for (int64_t i = 0; i < c.num_hidden_layers; ++i) {
    const std::string& t = (*layer_types)[i];
    if (t != "full_attention" && t != "sliding_attention") {
      return r.Error("layer_types", absl::StrCat("entry ", i, " is '", t,
                                                 "' (supported: full_attention, sliding_attention)"));
    }
    c.sliding_layers[i] = t == "sliding_attention";
  }
  return true;
}

const std::vector<std::string>& LlamaQuantizedLinears() {
  static const std::vector<std::string>* const kLinears = new std::vector<std::string>{
      "self_attn.q_proj", "self_attn.k_proj", "self_attn.v_proj", "self_attn.o_proj",
      "mlp.gate_proj",    "mlp.up_proj",      "mlp.down_proj"};
  return *kLinears;
}

int64_t LlamaReferenceSeqlen(const ModelConfig& config) {
  return std::min<int64_t>(2048, config.max_position_embeddings);
}

absl::StatusOr<RopeParameters> ParseRopeObject(const FieldReader& rope, double theta,
                                               int64_t max_position_embeddings) {
  RopeParameters p;
  BINQ_ASSIGN_OR_RETURN(const std::string legacy_type, rope.String("type", std::string("default")));
  BINQ_ASSIGN_OR_RETURN(p.rope_type, rope.String("rope_type", legacy_type));
  BINQ_ASSIGN_OR_RETURN(p.rope_theta, rope.PositiveDouble("rope_theta", theta));
  BINQ_ASSIGN_OR_RETURN(const double partial, rope.Double("partial_rotary_factor", 1.0));
  if (partial != 1.0) {
    return rope.Error("partial_rotary_factor", absl::StrCat("is ", partial, "; binq supports only 1.0"));
  }
  if (p.rope_type == "default") return p;
  if (p.rope_type != "linear" && p.rope_type != "dynamic" && p.rope_type != "llama3") {
    return rope.Error("rope_type", absl::StrCat("is '", p.rope_type,
                                                "', which binq does not support (supported: default, linear, "
                                                "dynamic, llama3)"));
  }
  BINQ_ASSIGN_OR_RETURN(p.factor, rope.PositiveDouble("factor", std::nullopt));
  if (p.rope_type == "llama3") {
    BINQ_ASSIGN_OR_RETURN(p.low_freq_factor, rope.PositiveDouble("low_freq_factor", std::nullopt));
    BINQ_ASSIGN_OR_RETURN(p.high_freq_factor, rope.PositiveDouble("high_freq_factor", std::nullopt));
    BINQ_ASSIGN_OR_RETURN(p.original_max_position_embeddings,
                          rope.PositiveInt("original_max_position_embeddings", max_position_embeddings));
    if (p.high_freq_factor == p.low_freq_factor) {
      return rope.Error("high_freq_factor", "must differ from low_freq_factor");
    }
  }
  return p;
}

absl::Status ParseLlamaConfig(const FieldReader& r, ModelConfig& c) {
  BINQ_RETURN_IF_ERROR(ParseShapes(r, {std::nullopt, std::nullopt, 2048, 1, 2, true}, c));
  BINQ_ASSIGN_OR_RETURN(c.qkv_bias, r.Bool("attention_bias", false));
  c.o_bias = c.qkv_bias;
  BINQ_ASSIGN_OR_RETURN(c.mlp_bias, r.Bool("mlp_bias", false));
  return ParseRope(r, c);
}

absl::Status ParseMistralConfig(const FieldReader& r, ModelConfig& c) {
  BINQ_RETURN_IF_ERROR(ParseShapes(r, {8, std::nullopt, 4096 * 32, 1, 2, false}, c));
  // MistralConfig: sliding_window defaults to 4096; an explicit null turns
  // it off. It applies to every layer.
  if (!r.Has("sliding_window")) {
    c.sliding_window = 4096;
  } else if (r.Find("sliding_window") != nullptr) {
    BINQ_ASSIGN_OR_RETURN(c.sliding_window, r.PositiveInt("sliding_window", std::nullopt));
  }
  c.sliding_layers.assign(c.num_hidden_layers, c.sliding_window > 0);
  return ParseRope(r, c);
}

absl::Status ParseQwen2Config(const FieldReader& r, ModelConfig& c) {
  BINQ_RETURN_IF_ERROR(ParseShapes(r, {32, std::nullopt, 32768, std::nullopt, std::nullopt, false}, c));
  c.qkv_bias = true;
  c.o_bias = false;
  BINQ_RETURN_IF_ERROR(ParseQwenWindows(r, c));
  return ParseRope(r, c);
}

absl::Status ParseQwen3Config(const FieldReader& r, ModelConfig& c) {
  BINQ_RETURN_IF_ERROR(ParseShapes(r, {32, 128, 32768, std::nullopt, std::nullopt, false}, c));
  BINQ_ASSIGN_OR_RETURN(c.qkv_bias, r.Bool("attention_bias", false));
  c.o_bias = c.qkv_bias;
  c.qk_norm = true;
  BINQ_RETURN_IF_ERROR(ParseQwenWindows(r, c));
  return ParseRope(r, c);
}

}  // namespace binq::core
