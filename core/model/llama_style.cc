#include "core/model/llama_style.h"

#include <cmath>
#include <set>
#include <string>
#include <utility>
#include <vector>

#include <c10/core/InferenceMode.h>

#include "absl/strings/str_cat.h"
#include "core/base/status_macros.h"
#include "core/model/model_parts.h"
#include "core/model/rotary.h"
#include "core/model/weight_loader.h"
#include "core/torch/torch_call.h"

// See llama_style.h for the numerics and where they come from.
namespace binq::core {
namespace {

constexpr const char* kPrefix = "model.";

// What a block needs from the config, fixed at load.
struct BlockShape {
  int64_t hidden = 0;
  int64_t heads = 0;
  int64_t kv_heads = 0;
  int64_t head_dim = 0;
  int64_t ffn = 0;
  double eps = 1e-6;
  double scaling = 1.0;
  int64_t window = 0;  // > 0: a sliding-window layer
  bool gemma = false;  // Gemma's norms
  bool qk_norm = false;
  bool qk_norm_before_transpose = true;
  bool gelu_tanh = false;  // else SiLU
};

struct LlamaBlockWeights {
  at::Tensor q_w, q_b, k_w, k_b, v_w, v_b, o_w, o_b;
  at::Tensor q_norm, k_norm;
  at::Tensor gate_w, gate_b, up_w, up_b, down_w, down_b;
  at::Tensor input_norm, post_attn_norm, pre_ff_norm, post_ff_norm;
  at::Tensor inv_freq;  // RoPE [head_dim/2] fp32; computed, not in the checkpoint
};

constexpr at::Tensor LlamaBlockWeights::*kBlockFields[] = {
    &LlamaBlockWeights::q_w,        &LlamaBlockWeights::q_b,         &LlamaBlockWeights::k_w,
    &LlamaBlockWeights::k_b,        &LlamaBlockWeights::v_w,         &LlamaBlockWeights::v_b,
    &LlamaBlockWeights::o_w,        &LlamaBlockWeights::o_b,         &LlamaBlockWeights::q_norm,
    &LlamaBlockWeights::k_norm,     &LlamaBlockWeights::gate_w,      &LlamaBlockWeights::gate_b,
    &LlamaBlockWeights::up_w,       &LlamaBlockWeights::up_b,        &LlamaBlockWeights::down_w,
    &LlamaBlockWeights::down_b,     &LlamaBlockWeights::input_norm,  &LlamaBlockWeights::post_attn_norm,
    &LlamaBlockWeights::pre_ff_norm, &LlamaBlockWeights::post_ff_norm, &LlamaBlockWeights::inv_freq,
};

// When a slot exists.
enum class SlotIf { kAlways, kQkvBias, kOBias, kMlpBias, kQkNorm, kGemma };

// The block's checkpoint tensors in Hugging Face's state_dict order. Shape
// codes: 'h' hidden, 'q' heads·head_dim, 'k' kv_heads·head_dim, 'f' ffn,
// 'd' head_dim; cols 0 = a vector.
struct BlockSlot {
  const char* name;
  at::Tensor LlamaBlockWeights::*member;
  SlotIf when;
  char rows;
  char cols;
};

constexpr BlockSlot kBlockSlots[] = {
    {"self_attn.q_proj.weight", &LlamaBlockWeights::q_w, SlotIf::kAlways, 'q', 'h'},
    {"self_attn.q_proj.bias", &LlamaBlockWeights::q_b, SlotIf::kQkvBias, 'q', 0},
    {"self_attn.k_proj.weight", &LlamaBlockWeights::k_w, SlotIf::kAlways, 'k', 'h'},
    {"self_attn.k_proj.bias", &LlamaBlockWeights::k_b, SlotIf::kQkvBias, 'k', 0},
    {"self_attn.v_proj.weight", &LlamaBlockWeights::v_w, SlotIf::kAlways, 'k', 'h'},
    {"self_attn.v_proj.bias", &LlamaBlockWeights::v_b, SlotIf::kQkvBias, 'k', 0},
    {"self_attn.o_proj.weight", &LlamaBlockWeights::o_w, SlotIf::kAlways, 'h', 'q'},
    {"self_attn.o_proj.bias", &LlamaBlockWeights::o_b, SlotIf::kOBias, 'h', 0},
    {"self_attn.q_norm.weight", &LlamaBlockWeights::q_norm, SlotIf::kQkNorm, 'd', 0},
    {"self_attn.k_norm.weight", &LlamaBlockWeights::k_norm, SlotIf::kQkNorm, 'd', 0},
    {"mlp.gate_proj.weight", &LlamaBlockWeights::gate_w, SlotIf::kAlways, 'f', 'h'},
    {"mlp.gate_proj.bias", &LlamaBlockWeights::gate_b, SlotIf::kMlpBias, 'f', 0},
    {"mlp.up_proj.weight", &LlamaBlockWeights::up_w, SlotIf::kAlways, 'f', 'h'},
    {"mlp.up_proj.bias", &LlamaBlockWeights::up_b, SlotIf::kMlpBias, 'f', 0},
    {"mlp.down_proj.weight", &LlamaBlockWeights::down_w, SlotIf::kAlways, 'h', 'f'},
    {"mlp.down_proj.bias", &LlamaBlockWeights::down_b, SlotIf::kMlpBias, 'h', 0},
    {"input_layernorm.weight", &LlamaBlockWeights::input_norm, SlotIf::kAlways, 'h', 0},
    {"post_attention_layernorm.weight", &LlamaBlockWeights::post_attn_norm, SlotIf::kAlways, 'h', 0},
    {"pre_feedforward_layernorm.weight", &LlamaBlockWeights::pre_ff_norm, SlotIf::kGemma, 'h', 0},
    {"post_feedforward_layernorm.weight", &LlamaBlockWeights::post_ff_norm, SlotIf::kGemma, 'h', 0},
};

bool SlotPresent(SlotIf when, const ModelConfig& c) {
  switch (when) {
    case SlotIf::kAlways: return true;
    case SlotIf::kQkvBias: return c.qkv_bias;
    case SlotIf::kOBias: return c.o_bias;
    case SlotIf::kMlpBias: return c.mlp_bias;
    case SlotIf::kQkNorm: return c.qk_norm;
    case SlotIf::kGemma: return c.gemma_norms;
  }
  return false;
}

int64_t SlotDim(char code, const ModelConfig& c) {
  switch (code) {
    case 'h': return c.hidden_size;
    case 'q': return c.num_attention_heads * c.head_dim();
    case 'k': return c.num_key_value_heads * c.head_dim();
    case 'f': return c.ffn_dim;
    case 'd': return c.head_dim();
  }
  return 0;
}

// LlamaRMSNorm / Gemma3RMSNorm.
at::Tensor RmsNorm(const at::Tensor& x, const at::Tensor& w, double eps, bool gemma) {
  const at::Tensor h = x.to(at::kFloat);
  const at::Tensor normed = h * at::rsqrt(h.pow(2).mean(-1, /*keepdim=*/true) + eps);
  if (gemma) return (normed * (w.to(at::kFloat) + 1.0)).to(x.scalar_type());
  return w * normed.to(x.scalar_type());
}

// repeat_kv: [b, kv, s, d] → [b, kv·n, s, d].
at::Tensor RepeatKv(const at::Tensor& x, int64_t n_rep) {
  if (n_rep == 1) return x;
  const int64_t b = x.size(0), kv = x.size(1), s = x.size(2), d = x.size(3);
  return x.unsqueeze(2).expand({b, kv, n_rep, s, d}).reshape({b, kv * n_rep, s, d});
}

at::Tensor SoftCap(const at::Tensor& x, double cap) { return at::tanh(x / cap) * cap; }

class LlamaBlock final : public DecoderBlock {
 public:
  LlamaBlock(int index, BlockShape shape, at::ScalarType dtype, LlamaBlockWeights w)
      : DecoderBlock(index), shape_(shape), dtype_(dtype), w_(std::move(w)) {}

  at::Device device() const override { return w_.q_w.device(); }

  absl::Status To(const at::Device& device) override {
    return MoveAll(w_, kBlockFields, device, absl::StrCat("block ", index()));
  }

  std::vector<LinearLayer> linears() override {
    // LlamaAttention registers q, k, v, o; LlamaMLP gate, up, down (§2.2).
    return {
        {"self_attn.q_proj", &w_.q_w, &w_.q_b},   {"self_attn.k_proj", &w_.k_w, &w_.k_b},
        {"self_attn.v_proj", &w_.v_w, &w_.v_b},   {"self_attn.o_proj", &w_.o_w, &w_.o_b},
        {"mlp.gate_proj", &w_.gate_w, &w_.gate_b}, {"mlp.up_proj", &w_.up_w, &w_.up_b},
        {"mlp.down_proj", &w_.down_w, &w_.down_b},
    };
  }

  std::vector<std::pair<std::string, at::Tensor>> NamedTensors() const override {
    std::vector<std::pair<std::string, at::Tensor>> out;
    for (const BlockSlot& slot : kBlockSlots) {
      const at::Tensor& t = w_.*slot.member;
      if (t.defined()) out.emplace_back(slot.name, t);
    }
    return out;
  }

  absl::StatusOr<at::Tensor> Forward(const at::Tensor& hidden, const at::Tensor& mask,
                                     const LinearObserver& observer) const override {
    const std::string what = absl::StrCat("block ", index());
    BINQ_RETURN_IF_ERROR(CheckHidden(hidden, shape_.hidden, dtype_, device(), what));
    BINQ_RETURN_IF_ERROR(CheckMask(mask, hidden.size(0), hidden.size(1), dtype_, device(), what));
    c10::InferenceMode guard;
    return TorchCall(absl::StrCat(what, " forward"), [&]() -> absl::StatusOr<at::Tensor> {
      auto observe = [&](const char* name, const at::Tensor& x) -> absl::Status {
        if (!observer) return absl::OkStatus();
        return observer(name, x);
      };
      const bool gemma = shape_.gemma;
      at::Tensor residual = hidden;
      at::Tensor h = RmsNorm(hidden, w_.input_norm, shape_.eps, gemma);
      BINQ_ASSIGN_OR_RETURN(h, Attention(h, mask, observe));
      if (gemma) h = RmsNorm(h, w_.post_attn_norm, shape_.eps, true);
      h = residual + h;

      residual = h;
      h = RmsNorm(h, gemma ? w_.pre_ff_norm : w_.post_attn_norm, shape_.eps, gemma);
      BINQ_RETURN_IF_ERROR(observe("mlp.gate_proj", h));
      at::Tensor gate = at::linear(h, w_.gate_w, w_.gate_b);
      gate = shape_.gelu_tanh ? at::gelu(gate, "tanh") : at::silu(gate);
      BINQ_RETURN_IF_ERROR(observe("mlp.up_proj", h));
      const at::Tensor act = gate * at::linear(h, w_.up_w, w_.up_b);
      BINQ_RETURN_IF_ERROR(observe("mlp.down_proj", act));
      h = at::linear(act, w_.down_w, w_.down_b);
      if (gemma) h = RmsNorm(h, w_.post_ff_norm, shape_.eps, true);
      return residual + h;
    });
  }

 private:
  template <typename Observe>
  absl::StatusOr<at::Tensor> Attention(const at::Tensor& h, const at::Tensor& mask, Observe& observe) const {
    const int64_t b = h.size(0);
    const int64_t s = h.size(1);
    const int64_t d = shape_.head_dim;
    auto heads = [&](const at::Tensor& x, const at::Tensor& norm) {
      at::Tensor y = x.view({b, s, -1, d});
      if (shape_.qk_norm && shape_.qk_norm_before_transpose) y = RmsNorm(y, norm, shape_.eps, shape_.gemma);
      y = y.transpose(1, 2);
      if (shape_.qk_norm && !shape_.qk_norm_before_transpose) y = RmsNorm(y, norm, shape_.eps, shape_.gemma);
      return y;
    };
    BINQ_RETURN_IF_ERROR(observe("self_attn.q_proj", h));
    at::Tensor q = heads(at::linear(h, w_.q_w, w_.q_b), w_.q_norm);
    BINQ_RETURN_IF_ERROR(observe("self_attn.k_proj", h));
    at::Tensor k = heads(at::linear(h, w_.k_w, w_.k_b), w_.k_norm);
    BINQ_RETURN_IF_ERROR(observe("self_attn.v_proj", h));
    const at::Tensor v = at::linear(h, w_.v_w, w_.v_b).view({b, s, -1, d}).transpose(1, 2);

    const auto [rope_cos, rope_sin] = RopeCosSin(w_.inv_freq, s, dtype_);
    q = ApplyRope(q, rope_cos, rope_sin);
    k = ApplyRope(k, rope_cos, rope_sin);
    const int64_t n_rep = shape_.heads / shape_.kv_heads;
    at::Tensor scores = at::matmul(q, RepeatKv(k, n_rep).transpose(2, 3)) * shape_.scaling;
    if (shape_.window > 0 && shape_.window < s) {
      // sliding_window_overlay: key kv is visible from q only if kv > q − window.
      const at::Tensor too_far =
          at::ones({s, s}, at::TensorOptions().dtype(at::kBool).device(mask.device())).tril(-shape_.window);
      scores = scores + mask.masked_fill(too_far, MinOf(dtype_));
    } else {
      scores = scores + mask;
    }
    at::Tensor probs = at::softmax(scores, -1, at::kFloat).to(dtype_);
    scores.reset();
    at::Tensor attn = at::matmul(probs, RepeatKv(v, n_rep)).transpose(1, 2).contiguous();
    probs.reset();
    attn = attn.reshape({b, s, -1}).contiguous();
    BINQ_RETURN_IF_ERROR(observe("self_attn.o_proj", attn));
    return at::linear(attn, w_.o_w, w_.o_b);
  }

  const BlockShape shape_;
  const at::ScalarType dtype_;
  LlamaBlockWeights w_;
};

// ---------------------------------------------------------------------------
// Embeddings and head.

struct LlamaEmbedWeights {
  at::Tensor tokens;       // [vocab, hidden]
  at::Tensor embed_scale;  // 0-dim, model dtype (Gemma) or undefined
};
constexpr at::Tensor LlamaEmbedWeights::*kEmbedFields[] = {&LlamaEmbedWeights::tokens,
                                                            &LlamaEmbedWeights::embed_scale};

struct LlamaHeadWeights {
  at::Tensor norm;     // model.norm
  at::Tensor lm_head;  // [vocab, hidden]
};
constexpr at::Tensor LlamaHeadWeights::*kHeadFields[] = {&LlamaHeadWeights::norm, &LlamaHeadWeights::lm_head};

class LlamaStyleModel final : public CausalLM {
 public:
  LlamaStyleModel(const ModelConfig& config, at::ScalarType dtype, LlamaEmbedWeights embed, LlamaHeadWeights head,
                  std::vector<std::unique_ptr<DecoderBlock>> blocks)
      : CausalLM(config, dtype),
        tied_(config.tie_word_embeddings),
        embed_home_(embed),
        embed_(std::move(embed)),
        head_home_(head),
        head_(std::move(head)) {
    blocks_ = std::move(blocks);
  }

  std::string block_prefix(int i) const override { return absl::StrCat(kPrefix, "layers.", i, "."); }
  at::Device embeddings_device() const override { return embed_.tokens.device(); }
  at::Device head_device() const override { return head_.lm_head.device(); }

  // As OPT: the CPU copies stay, moving back to the CPU drops the device
  // copies, and a tied lm_head shares embed_tokens' memory.
  absl::Status EmbeddingsTo(const at::Device& device) override {
    return MovePartFromHome(embed_home_, embed_, &LlamaEmbedWeights::tokens, tied_ ? &head_.lm_head : nullptr,
                            kEmbedFields, device, "the embeddings");
  }

  absl::Status HeadTo(const at::Device& device) override {
    return MovePartFromHome(head_home_, head_, &LlamaHeadWeights::lm_head, tied_ ? &embed_.tokens : nullptr,
                            kHeadFields, device, "the head");
  }

  absl::StatusOr<at::Tensor> Embed(const at::Tensor& ids) const override {
    const ModelConfig& c = config();
    BINQ_ASSIGN_OR_RETURN(const at::Tensor ids_on_device,
                          CheckedTokenIds(ids, c.vocab_size, c.max_position_embeddings, embeddings_device()));
    c10::InferenceMode guard;
    return TorchCall("embed", [&] {
      at::Tensor x = at::embedding(embed_.tokens, ids_on_device);
      if (embed_.embed_scale.defined()) x = x * embed_.embed_scale;
      return x;
    });
  }

  absl::StatusOr<at::Tensor> Head(const at::Tensor& hidden) const override {
    const ModelConfig& c = config();
    BINQ_RETURN_IF_ERROR(CheckHidden(hidden, c.hidden_size, dtype(), head_device(), "head"));
    c10::InferenceMode guard;
    return TorchCall("head", [&] {
      const at::Tensor h = RmsNorm(hidden, head_.norm, c.rms_norm_eps, c.gemma_norms);
      at::Tensor logits = at::linear(h, head_.lm_head).contiguous();
      if (c.final_logit_softcapping.has_value()) logits = SoftCap(logits, *c.final_logit_softcapping);
      return logits;
    });
  }

  std::vector<std::pair<std::string, at::Tensor>> NamedTensors() const override {
    std::vector<std::pair<std::string, at::Tensor>> out;
    out.emplace_back(absl::StrCat(kPrefix, "embed_tokens.weight"), embed_.tokens);
    for (int i = 0; i < num_blocks(); ++i) {
      for (auto& [name, t] : block(i).NamedTensors()) out.emplace_back(block_prefix(i) + name, t);
    }
    out.emplace_back(absl::StrCat(kPrefix, "norm.weight"), head_.norm);
    if (!tied_) out.emplace_back("lm_head.weight", head_.lm_head);
    return out;
  }

 private:
  const bool tied_;
  const LlamaEmbedWeights embed_home_;
  LlamaEmbedWeights embed_;
  const LlamaHeadWeights head_home_;
  LlamaHeadWeights head_;
};

BlockShape ShapeOf(const LlamaStyleVariant& variant, const ModelConfig& c, int64_t layer) {
  BlockShape s;
  s.hidden = c.hidden_size;
  s.heads = c.num_attention_heads;
  s.kv_heads = c.num_key_value_heads;
  s.head_dim = c.head_dim();
  s.ffn = c.ffn_dim;
  s.eps = c.rms_norm_eps;
  // transformers: self.scaling = head_dim**-0.5 (Gemma query_pre_attn_scalar**-0.5).
  s.scaling = std::pow(c.query_pre_attn_scalar > 0 ? c.query_pre_attn_scalar : static_cast<double>(c.head_dim()),
                       -0.5);
  s.window = c.is_sliding(layer) ? c.sliding_window : 0;
  // attn_logit_softcapping is not applied: Gemma3Attention (5.23) does not
  // pass it to the attention function, so transformers ignores it.
  s.gemma = c.gemma_norms;
  s.qk_norm = c.qk_norm;
  s.qk_norm_before_transpose = variant.qk_norm_before_transpose;
  s.gelu_tanh = c.activation_function == "gelu_pytorch_tanh";
  return s;
}

absl::StatusOr<LlamaBlockWeights> LoadBlock(const ModelConfig& c, const WeightLoader& loader, int64_t layer) {
  const std::string bp = absl::StrCat(kPrefix, "layers.", layer, ".");
  LlamaBlockWeights w;
  for (const BlockSlot& slot : kBlockSlots) {
    if (!SlotPresent(slot.when, c)) continue;
    std::vector<int64_t> shape = {SlotDim(slot.rows, c)};
    if (slot.cols != 0) shape.push_back(SlotDim(slot.cols, c));
    BINQ_ASSIGN_OR_RETURN(w.*slot.member, loader.Load(bp + slot.name, std::move(shape)));
  }
  const RopeParameters& rope = c.is_sliding(layer) && c.sliding_rope.has_value() ? *c.sliding_rope : c.rope;
  BINQ_ASSIGN_OR_RETURN(w.inv_freq, TorchCall(absl::StrCat("layer ", layer, ": rotary frequencies"), [&] {
                          return RopeInverseFrequencies(rope, c.head_dim(), c.max_position_embeddings);
                        }));
  return w;
}

}  // namespace

absl::StatusOr<std::unique_ptr<CausalLM>> CreateLlamaStyleModel(const LlamaStyleVariant& variant,
                                                                const ModelConfig& config,
                                                                const WeightSource& weights,
                                                                const ModelLoadOptions& options) {
  if (config.model_type != variant.model_type) {
    return absl::InvalidArgumentError(
        absl::StrCat("model_type '", config.model_type, "' is not ", variant.model_type));
  }
  if (config.num_attention_heads <= 0 || config.num_key_value_heads <= 0 ||
      config.num_attention_heads % config.num_key_value_heads != 0 || config.head_dim() <= 0) {
    return absl::InvalidArgumentError(absl::StrCat(config.source, ": num_key_value_heads (",
                                                   config.num_key_value_heads, ") must divide num_attention_heads (",
                                                   config.num_attention_heads, ")"));
  }
  const std::string embed_name = absl::StrCat(kPrefix, "embed_tokens.weight");
  const std::set<std::string> names(weights.names.begin(), weights.names.end());
  if (names.count(embed_name) == 0) {
    return absl::NotFoundError(absl::StrCat("weight '", embed_name, "' is missing from the checkpoint: not a ",
                                            variant.model_type, " checkpoint in Hugging Face's layout?"));
  }
  WeightLoader probe(weights, at::kFloat);
  BINQ_ASSIGN_OR_RETURN(const at::ScalarType dtype, ChooseDType(config, options, probe, embed_name));
  const WeightLoader loader(weights, dtype);
  const int64_t h = config.hidden_size;
  const int64_t v = config.vocab_size;

  LlamaEmbedWeights embed;
  BINQ_ASSIGN_OR_RETURN(embed.tokens, loader.Load(embed_name, {v, h}));
  if (config.scale_embeddings) {
    // Gemma3TextScaledWordEmbedding: torch.tensor(hidden**0.5) (fp32), cast
    // to the weights' dtype.
    BINQ_ASSIGN_OR_RETURN(embed.embed_scale, TorchCall("embedding scale", [&] {
                            return at::scalar_tensor(std::sqrt(static_cast<double>(h)), at::kFloat).to(dtype);
                          }));
  }
  LlamaHeadWeights head;
  BINQ_ASSIGN_OR_RETURN(head.norm, loader.Load(absl::StrCat(kPrefix, "norm.weight"), {h}));
  if (config.tie_word_embeddings) {
    head.lm_head = embed.tokens;  // shares memory, as transformers ties them
  } else {
    BINQ_ASSIGN_OR_RETURN(head.lm_head, loader.Load("lm_head.weight", {v, h}));
  }

  std::vector<std::unique_ptr<DecoderBlock>> blocks;
  for (int64_t i = 0; i < config.num_hidden_layers; ++i) {
    BINQ_ASSIGN_OR_RETURN(LlamaBlockWeights w, LoadBlock(config, loader, i));
    blocks.push_back(std::make_unique<LlamaBlock>(static_cast<int>(i), ShapeOf(variant, config, i), dtype,
                                                  std::move(w)));
  }
  return std::unique_ptr<CausalLM>(
      new LlamaStyleModel(config, dtype, std::move(embed), std::move(head), std::move(blocks)));
}

}  // namespace binq::core
