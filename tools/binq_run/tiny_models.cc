#include "tools/binq_run/tiny_models.h"

#include "absl/strings/str_cat.h"
#include "core/base/status_macros.h"
#include "core/torch/torch_call.h"

namespace binq::tools {
namespace {

using Json = nlohmann::json;

// The tokens' config fields: make-tiny's tokenizer is OPT-style (</s> = 2
// is BOS and EOS, <pad> = 1) for every family.
void AddTokenIds(Json& config) {
  config["bos_token_id"] = 2;
  config["eos_token_id"] = 2;
  config["pad_token_id"] = 1;
}

class Normal {
 public:
  Normal(uint64_t seed, at::ScalarType dtype)
      : gen_(at::make_generator<at::CPUGeneratorImpl>(seed)), dtype_(dtype) {}
  at::Tensor operator()(std::vector<int64_t> shape, double std) {
    return at::normal(0.0, std, shape, gen_).to(dtype_);
  }

 private:
  at::Generator gen_;
  at::ScalarType dtype_;
};

Json LlamaStyleConfig(const MakeTinyCommand& c, int64_t vocab, int64_t kv_heads, bool gemma) {
  const std::string& f = c.family;
  const char* architecture = f == "llama"     ? "LlamaForCausalLM"
                             : f == "mistral" ? "MistralForCausalLM"
                             : f == "qwen2"   ? "Qwen2ForCausalLM"
                             : f == "qwen3"   ? "Qwen3ForCausalLM"
                                              : "Gemma3ForCausalLM";
  Json config = {{"model_type", f},
                 {"architectures", {architecture}},
                 {"vocab_size", vocab},
                 {"hidden_size", c.hidden},
                 {"intermediate_size", c.ffn},
                 {"num_hidden_layers", c.blocks},
                 {"num_attention_heads", c.heads},
                 {"num_key_value_heads", kv_heads},
                 {"head_dim", c.hidden / c.heads},
                 {"max_position_embeddings", c.positions},
                 {"rms_norm_eps", 1e-6},
                 {"tie_word_embeddings", gemma},
                 {"attention_dropout", 0.0},
                 {"dtype", gemma ? "bfloat16" : "float16"},
                 {"binq_make_tiny_seed", c.seed}};
  AddTokenIds(config);
  if (gemma) {
    // Alternating local (window positions/2) and global layers, each kind
    // with its RoPE base; Gemma's activations overflow fp16, so bf16.
    Json layer_types = Json::array();
    for (int64_t i = 0; i < c.blocks; ++i) layer_types.push_back(i % 2 == 0 ? "sliding_attention" : "full_attention");
    config["hidden_activation"] = "gelu_pytorch_tanh";
    config["query_pre_attn_scalar"] = c.hidden / c.heads;
    config["sliding_window"] = c.positions / 2;
    config["layer_types"] = layer_types;
    config["rope_parameters"] = {{"sliding_attention", {{"rope_type", "default"}, {"rope_theta", 10000.0}}},
                                 {"full_attention", {{"rope_type", "default"}, {"rope_theta", 1000000.0}}}};
    return config;
  }
  config["hidden_act"] = "silu";
  config["rope_parameters"] = {{"rope_type", "default"}, {"rope_theta", 10000.0}};
  if (f == "llama") {
    config["attention_bias"] = false;
    config["mlp_bias"] = false;
  } else if (f == "mistral") {
    config["sliding_window"] = c.positions / 2;
  } else {  // qwen2, qwen3
    config["use_sliding_window"] = false;
    config["sliding_window"] = nullptr;
    config["max_window_layers"] = c.blocks;
    if (f == "qwen3") config["attention_bias"] = false;
  }
  return config;
}

}  // namespace

absl::StatusOr<TinyModel> TinyOptModel(const MakeTinyCommand& c, int64_t vocab) {
  TinyModel m;
  m.config = {{"model_type", "opt"},
              {"architectures", {"OPTForCausalLM"}},
              {"vocab_size", vocab},
              {"hidden_size", c.hidden},
              {"num_hidden_layers", c.blocks},
              {"num_attention_heads", c.heads},
              {"ffn_dim", c.ffn},
              {"max_position_embeddings", c.positions},
              {"word_embed_proj_dim", c.hidden},
              {"do_layer_norm_before", true},
              {"activation_function", "relu"},
              {"enable_bias", true},
              {"layer_norm_elementwise_affine", true},
              {"tie_word_embeddings", true},
              {"bos_token_id", 2},
              {"eos_token_id", 2},
              {"pad_token_id", 1},
              {"dropout", 0.0},
              {"attention_dropout", 0.0},
              {"torch_dtype", "float16"},
              {"dtype", "float16"},
              {"binq_make_tiny_seed", c.seed}};
  BINQ_ASSIGN_OR_RETURN(m.tensors, core::TorchCall("make-tiny weights", [&] {
    Normal normal(c.seed, at::kHalf);
    std::vector<std::pair<std::string, at::Tensor>> t;
    const std::string p = "model.decoder.";
    t.emplace_back(p + "embed_tokens.weight", normal({vocab, c.hidden}, 0.02));
    t.emplace_back(p + "embed_positions.weight", normal({c.positions + 2, c.hidden}, 0.02));
    for (int64_t b = 0; b < c.blocks; ++b) {
      const std::string l = absl::StrCat(p, "layers.", b, ".");
      for (const char* proj : {"k_proj", "v_proj", "q_proj", "out_proj"}) {
        t.emplace_back(absl::StrCat(l, "self_attn.", proj, ".weight"), normal({c.hidden, c.hidden}, 0.05));
        t.emplace_back(absl::StrCat(l, "self_attn.", proj, ".bias"), normal({c.hidden}, 0.01));
      }
      t.emplace_back(l + "self_attn_layer_norm.weight", at::ones({c.hidden}, at::kHalf));
      t.emplace_back(l + "self_attn_layer_norm.bias", at::zeros({c.hidden}, at::kHalf));
      t.emplace_back(l + "fc1.weight", normal({c.ffn, c.hidden}, 0.05));
      t.emplace_back(l + "fc1.bias", normal({c.ffn}, 0.01));
      t.emplace_back(l + "fc2.weight", normal({c.hidden, c.ffn}, 0.05));
      t.emplace_back(l + "fc2.bias", normal({c.hidden}, 0.01));
      t.emplace_back(l + "final_layer_norm.weight", at::ones({c.hidden}, at::kHalf));
      t.emplace_back(l + "final_layer_norm.bias", at::zeros({c.hidden}, at::kHalf));
    }
    t.emplace_back(p + "final_layer_norm.weight", at::ones({c.hidden}, at::kHalf));
    t.emplace_back(p + "final_layer_norm.bias", at::zeros({c.hidden}, at::kHalf));
    return t;
  }));
  return m;
}

absl::StatusOr<TinyModel> TinyLlamaStyleModel(const MakeTinyCommand& c, int64_t vocab) {
  const bool gemma = c.family == "gemma3_text";
  const int64_t kv_heads = c.heads % 2 == 0 ? c.heads / 2 : c.heads;  // grouped-query when it can be
  const int64_t d = c.hidden / c.heads;
  TinyModel m;
  m.config = LlamaStyleConfig(c, vocab, kv_heads, gemma);
  const bool qkv_bias = c.family == "qwen2";
  const bool qk_norm = c.family == "qwen3" || gemma;
  const at::ScalarType dtype = gemma ? at::kBFloat16 : at::kHalf;
  BINQ_ASSIGN_OR_RETURN(m.tensors, core::TorchCall("make-tiny weights", [&] {
    Normal normal(c.seed, dtype);
    // RMSNorm weights: 1 (LLaMA's x·w), 0 (Gemma's x·(1+w)).
    auto norm = [&](int64_t n) { return gemma ? at::zeros({n}, dtype) : at::ones({n}, dtype); };
    std::vector<std::pair<std::string, at::Tensor>> t;
    t.emplace_back("model.embed_tokens.weight", normal({vocab, c.hidden}, gemma ? 0.02 / 8 : 0.02));
    for (int64_t b = 0; b < c.blocks; ++b) {
      const std::string l = absl::StrCat("model.layers.", b, ".");
      const std::pair<const char*, int64_t> projections[] = {{"q_proj", c.heads * d}, {"k_proj", kv_heads * d},
                                                             {"v_proj", kv_heads * d}};
      for (const auto& [proj, rows] : projections) {
        t.emplace_back(absl::StrCat(l, "self_attn.", proj, ".weight"), normal({rows, c.hidden}, 0.05));
        if (qkv_bias) t.emplace_back(absl::StrCat(l, "self_attn.", proj, ".bias"), normal({rows}, 0.01));
      }
      t.emplace_back(l + "self_attn.o_proj.weight", normal({c.hidden, c.heads * d}, 0.05));
      if (qk_norm) {
        t.emplace_back(l + "self_attn.q_norm.weight", norm(d));
        t.emplace_back(l + "self_attn.k_norm.weight", norm(d));
      }
      t.emplace_back(l + "mlp.gate_proj.weight", normal({c.ffn, c.hidden}, 0.05));
      t.emplace_back(l + "mlp.up_proj.weight", normal({c.ffn, c.hidden}, 0.05));
      t.emplace_back(l + "mlp.down_proj.weight", normal({c.hidden, c.ffn}, 0.05));
      t.emplace_back(l + "input_layernorm.weight", norm(c.hidden));
      t.emplace_back(l + "post_attention_layernorm.weight", norm(c.hidden));
      if (gemma) {
        t.emplace_back(l + "pre_feedforward_layernorm.weight", norm(c.hidden));
        t.emplace_back(l + "post_feedforward_layernorm.weight", norm(c.hidden));
      }
    }
    t.emplace_back("model.norm.weight", norm(c.hidden));
    if (!gemma) t.emplace_back("lm_head.weight", normal({vocab, c.hidden}, 0.02));
    return t;
  }));
  return m;
}

}  // namespace binq::tools
