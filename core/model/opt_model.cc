#include "core/model/opt_model.h"

#include <cmath>
#include <limits>
#include <set>
#include <string>
#include <utility>
#include <vector>

#include <c10/core/InferenceMode.h>

#include "absl/strings/str_cat.h"
#include "core/base/status_macros.h"
#include "core/model/model_parts.h"
#include "core/model/weight_loader.h"
#include "core/torch/torch_call.h"

// Numerics, op for op as transformers' OPT with attn_implementation="eager"
// (checked against transformers 5.23 models/opt/modeling_opt.py; BiLLM's
// numbers come from 4.35, ALGORITHMS.md §8.6):
//  * LayerNorm eps 1e-5 (nn.LayerNorm's default; OPT has no eps field).
//  * q = q_proj(h) · head_dim^-0.5 in the model dtype before the product;
//    scores = q kᵀ (5.23 then multiplies by scaling=1.0, an exact no-op, so
//    it is skipped) + mask.
//  * 4.35 clamps the scores with max(scores, finfo.min) after adding the
//    mask; 5.23 does not. binq clamps like 4.35. They agree exactly: the
//    clamp only turns -inf (a masked score that overflowed) into finfo.min,
//    and both give an exact 0 after the fp32 softmax, unless a whole row
//    is -inf, which the causal mask (diagonal always allowed) rules out for
//    finite activations.
//  * 4.35 multiplies with bmm on [b·heads, s, d]; 5.23 with matmul on
//    [b, heads, s, d], which ATen folds into the same batched GEMM.
//  * softmax in fp32, cast back to the model dtype. 4.35 upcasts only fp16
//    (bf16/fp32 stay in their dtype); 5.23 upcasts every dtype. binq follows
//    5.23; for fp32 both are the same and for bf16 the difference is at most
//    a rounding of the probabilities.
//  * MLP on the flattened [b·s, h] states as HF, residual adds in the model
//    dtype, learned positions with offset 2 (positions 0…s-1 for unpadded
//    input), project_in before the position add, final LayerNorm (pre-LN
//    only, unless _remove_final_layer_norm), project_out, lm_head.
namespace binq::core {
namespace {

constexpr double kLayerNormEps = 1e-5;
constexpr int64_t kPositionOffset = 2;  // OPTLearnedPositionalEmbedding.offset

enum class Activation { kRelu, kGelu, kSilu };

absl::StatusOr<Activation> ParseActivation(const ModelConfig& config) {
  if (config.activation_function == "relu") return Activation::kRelu;
  if (config.activation_function == "gelu") return Activation::kGelu;
  if (config.activation_function == "silu") return Activation::kSilu;
  return absl::InvalidArgumentError(absl::StrCat(config.source, ": field 'activation_function' is '",
                                                 config.activation_function, "', which binq does not support"));
}

at::Tensor Activate(Activation a, const at::Tensor& x) {
  switch (a) {
    case Activation::kRelu: return at::relu(x);
    case Activation::kGelu: return at::gelu(x);
    case Activation::kSilu: return at::silu(x);
  }
  return x;
}

// ---------------------------------------------------------------------------
// Decoder block.

struct OptBlockWeights {
  at::Tensor k_w, k_b, v_w, v_b, q_w, q_b, out_w, out_b;
  at::Tensor attn_ln_w, attn_ln_b;  // self_attn_layer_norm
  at::Tensor fc1_w, fc1_b, fc2_w, fc2_b;
  at::Tensor ffn_ln_w, ffn_ln_b;  // final_layer_norm
};

enum class SlotKind { kWeight, kBias, kNorm };

// The block's tensors in Hugging Face's state_dict order. Shapes: `rows` ×
// `cols` for weights, [rows] for biases and norms, with 'h' = hidden_size and
// 'f' = ffn_dim.
struct BlockSlot {
  const char* name;
  at::Tensor OptBlockWeights::*member;
  SlotKind kind;
  char rows;
  char cols;
};

constexpr BlockSlot kBlockSlots[] = {
    {"self_attn.k_proj.weight", &OptBlockWeights::k_w, SlotKind::kWeight, 'h', 'h'},
    {"self_attn.k_proj.bias", &OptBlockWeights::k_b, SlotKind::kBias, 'h', 0},
    {"self_attn.v_proj.weight", &OptBlockWeights::v_w, SlotKind::kWeight, 'h', 'h'},
    {"self_attn.v_proj.bias", &OptBlockWeights::v_b, SlotKind::kBias, 'h', 0},
    {"self_attn.q_proj.weight", &OptBlockWeights::q_w, SlotKind::kWeight, 'h', 'h'},
    {"self_attn.q_proj.bias", &OptBlockWeights::q_b, SlotKind::kBias, 'h', 0},
    {"self_attn.out_proj.weight", &OptBlockWeights::out_w, SlotKind::kWeight, 'h', 'h'},
    {"self_attn.out_proj.bias", &OptBlockWeights::out_b, SlotKind::kBias, 'h', 0},
    {"self_attn_layer_norm.weight", &OptBlockWeights::attn_ln_w, SlotKind::kNorm, 'h', 0},
    {"self_attn_layer_norm.bias", &OptBlockWeights::attn_ln_b, SlotKind::kNorm, 'h', 0},
    {"fc1.weight", &OptBlockWeights::fc1_w, SlotKind::kWeight, 'f', 'h'},
    {"fc1.bias", &OptBlockWeights::fc1_b, SlotKind::kBias, 'f', 0},
    {"fc2.weight", &OptBlockWeights::fc2_w, SlotKind::kWeight, 'h', 'f'},
    {"fc2.bias", &OptBlockWeights::fc2_b, SlotKind::kBias, 'h', 0},
    {"final_layer_norm.weight", &OptBlockWeights::ffn_ln_w, SlotKind::kNorm, 'h', 0},
    {"final_layer_norm.bias", &OptBlockWeights::ffn_ln_b, SlotKind::kNorm, 'h', 0},
};

constexpr at::Tensor OptBlockWeights::*kBlockFields[] = {
    &OptBlockWeights::k_w,      &OptBlockWeights::k_b,      &OptBlockWeights::v_w,    &OptBlockWeights::v_b,
    &OptBlockWeights::q_w,      &OptBlockWeights::q_b,      &OptBlockWeights::out_w,  &OptBlockWeights::out_b,
    &OptBlockWeights::attn_ln_w, &OptBlockWeights::attn_ln_b, &OptBlockWeights::fc1_w, &OptBlockWeights::fc1_b,
    &OptBlockWeights::fc2_w,    &OptBlockWeights::fc2_b,    &OptBlockWeights::ffn_ln_w, &OptBlockWeights::ffn_ln_b,
};

class OptBlock final : public DecoderBlock {
 public:
  OptBlock(int index, const ModelConfig& config, at::ScalarType dtype, Activation activation, OptBlockWeights w)
      : DecoderBlock(index),
        hidden_(config.hidden_size),
        heads_(config.num_attention_heads),
        head_dim_(config.head_dim()),
        ffn_(config.ffn_dim),
        pre_ln_(config.do_layer_norm_before),
        dtype_(dtype),
        activation_(activation),
        // transformers: self.scaling = self.head_dim**-0.5 (a Python float).
        scaling_(std::pow(static_cast<double>(config.head_dim()), -0.5)),
        w_(std::move(w)) {}

  at::Device device() const override { return w_.k_w.device(); }

  absl::Status To(const at::Device& device) override {
    return MoveAll(w_, kBlockFields, device, absl::StrCat("block ", index()));
  }

  std::vector<LinearLayer> linears() override {
    // OPTAttention registers k, v, q, out (ALGORITHMS.md §2.2).
    return {
        {"self_attn.k_proj", &w_.k_w, &w_.k_b},     {"self_attn.v_proj", &w_.v_w, &w_.v_b},
        {"self_attn.q_proj", &w_.q_w, &w_.q_b},     {"self_attn.out_proj", &w_.out_w, &w_.out_b},
        {"fc1", &w_.fc1_w, &w_.fc1_b},              {"fc2", &w_.fc2_w, &w_.fc2_b},
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
    BINQ_RETURN_IF_ERROR(CheckHidden(hidden, hidden_, dtype_, device(), what));
    const int64_t b = hidden.size(0);
    const int64_t s = hidden.size(1);
    BINQ_RETURN_IF_ERROR(CheckMask(mask, b, s, dtype_, device(), what));
    c10::InferenceMode guard;
    return TorchCall(absl::StrCat(what, " forward"), [&]() -> absl::StatusOr<at::Tensor> {
      auto observe = [&](const char* name, const at::Tensor& x) -> absl::Status {
        if (!observer) return absl::OkStatus();
        return observer(name, x);
      };
      auto layer_norm = [&](const at::Tensor& x, const at::Tensor& w, const at::Tensor& bias) {
        return at::layer_norm(x, {hidden_}, w, bias, kLayerNormEps);
      };

      // Self-attention.
      at::Tensor residual = hidden;
      at::Tensor h = hidden;
      if (pre_ln_) h = layer_norm(h, w_.attn_ln_w, w_.attn_ln_b);
      BINQ_RETURN_IF_ERROR(observe("self_attn.q_proj", h));
      at::Tensor q = at::linear(h, w_.q_w, w_.q_b) * scaling_;
      q = q.view({b, -1, heads_, head_dim_}).transpose(1, 2);
      BINQ_RETURN_IF_ERROR(observe("self_attn.k_proj", h));
      at::Tensor k = at::linear(h, w_.k_w, w_.k_b).view({b, -1, heads_, head_dim_}).transpose(1, 2);
      BINQ_RETURN_IF_ERROR(observe("self_attn.v_proj", h));
      at::Tensor v = at::linear(h, w_.v_w, w_.v_b).view({b, -1, heads_, head_dim_}).transpose(1, 2);

      at::Tensor scores = at::matmul(q, k.transpose(-1, -2)) + mask;
      scores.clamp_min_(MinOf(dtype_));
      at::Tensor probs = at::softmax(scores, -1, at::kFloat).to(dtype_);
      scores.reset();
      at::Tensor attn = at::matmul(probs, v).transpose(1, 2).contiguous().reshape({b, s, -1});
      probs.reset();
      BINQ_RETURN_IF_ERROR(observe("self_attn.out_proj", attn));
      h = at::linear(attn, w_.out_w, w_.out_b);
      h = residual + h;
      if (!pre_ln_) h = layer_norm(h, w_.attn_ln_w, w_.attn_ln_b);

      // MLP, on [b·s, h] as transformers does it.
      h = h.reshape({-1, hidden_});
      residual = h;
      if (pre_ln_) h = layer_norm(h, w_.ffn_ln_w, w_.ffn_ln_b);
      BINQ_RETURN_IF_ERROR(observe("fc1", h.view({b, s, hidden_})));
      h = Activate(activation_, at::linear(h, w_.fc1_w, w_.fc1_b));
      BINQ_RETURN_IF_ERROR(observe("fc2", h.view({b, s, ffn_})));
      h = at::linear(h, w_.fc2_w, w_.fc2_b);
      h = (residual + h).view({b, s, hidden_});
      if (!pre_ln_) h = layer_norm(h, w_.ffn_ln_w, w_.ffn_ln_b);
      return h;
    });
  }


 private:
  const int64_t hidden_;
  const int64_t heads_;
  const int64_t head_dim_;
  const int64_t ffn_;
  const bool pre_ln_;
  const at::ScalarType dtype_;
  const Activation activation_;
  const double scaling_;
  OptBlockWeights w_;
};

// ---------------------------------------------------------------------------
// Embeddings and head.

struct OptEmbedWeights {
  at::Tensor tokens;      // [vocab, word_embed_proj_dim]
  at::Tensor positions;   // [max_position_embeddings + 2, hidden]
  at::Tensor project_in;  // [hidden, word_embed_proj_dim] or undefined
};
constexpr at::Tensor OptEmbedWeights::*kEmbedFields[] = {&OptEmbedWeights::tokens, &OptEmbedWeights::positions,
                                                          &OptEmbedWeights::project_in};

struct OptHeadWeights {
  at::Tensor ln_w, ln_b;   // final_layer_norm, or undefined
  at::Tensor project_out;  // [word_embed_proj_dim, hidden] or undefined
  at::Tensor lm_head;      // [vocab, word_embed_proj_dim]
};
constexpr at::Tensor OptHeadWeights::*kHeadFields[] = {&OptHeadWeights::ln_w, &OptHeadWeights::ln_b,
                                                        &OptHeadWeights::project_out, &OptHeadWeights::lm_head};

constexpr const char* kCanonicalPrefix = "model.decoder.";

class OptModel final : public CausalLM {
 public:
  OptModel(const ModelConfig& config, at::ScalarType dtype, OptEmbedWeights embed, OptHeadWeights head,
           std::vector<std::unique_ptr<DecoderBlock>> blocks, bool final_ln)
      : CausalLM(config, dtype),
        tied_(config.tie_word_embeddings),
        final_ln_(final_ln),
        embed_home_(embed),
        embed_(std::move(embed)),
        head_home_(head),
        head_(std::move(head)) {
    blocks_ = std::move(blocks);
  }

  std::string block_prefix(int i) const override { return absl::StrCat(kCanonicalPrefix, "layers.", i, "."); }

  at::Device embeddings_device() const override { return embed_.tokens.device(); }
  at::Device head_device() const override { return head_.lm_head.device(); }

  // Embeddings and head are never modified, so the CPU copies loaded at the
  // start stay, and moving back to the CPU just drops the device copies (and
  // keeps a tied lm_head sharing embed_tokens' memory).
  absl::Status EmbeddingsTo(const at::Device& device) override {
    return MovePartFromHome(embed_home_, embed_, &OptEmbedWeights::tokens, tied_ ? &head_.lm_head : nullptr,
                            kEmbedFields, device, "the embeddings");
  }

  absl::Status HeadTo(const at::Device& device) override {
    return MovePartFromHome(head_home_, head_, &OptHeadWeights::lm_head, tied_ ? &embed_.tokens : nullptr,
                            kHeadFields, device, "the head");
  }

  absl::StatusOr<at::Tensor> Embed(const at::Tensor& ids) const override {
    const ModelConfig& c = config();
    const at::Device device = embeddings_device();
    BINQ_ASSIGN_OR_RETURN(const at::Tensor ids_on_device,
                          CheckedTokenIds(ids, c.vocab_size, c.max_position_embeddings, device));
    const int64_t s = ids.size(1);
    c10::InferenceMode guard;
    return TorchCall("embed", [&] {
      at::Tensor x = at::embedding(embed_.tokens, ids_on_device);
      // Unpadded input: positions 0 … s-1, looked up at offset 2.
      const at::Tensor positions = at::arange(kPositionOffset, s + kPositionOffset,
                                              at::TensorOptions().dtype(at::kLong).device(device));
      const at::Tensor pos = at::embedding(embed_.positions, positions);
      if (embed_.project_in.defined()) x = at::linear(x, embed_.project_in);
      return x + pos;
    });
  }

  absl::StatusOr<at::Tensor> Head(const at::Tensor& hidden) const override {
    BINQ_RETURN_IF_ERROR(CheckHidden(hidden, config().hidden_size, dtype(), head_device(), "head"));
    c10::InferenceMode guard;
    return TorchCall("head", [&] {
      at::Tensor h = hidden;
      if (final_ln_) h = at::layer_norm(h, {config().hidden_size}, head_.ln_w, head_.ln_b, kLayerNormEps);
      if (head_.project_out.defined()) h = at::linear(h, head_.project_out);
      return at::linear(h, head_.lm_head).contiguous();
    });
  }

  std::vector<std::pair<std::string, at::Tensor>> NamedTensors() const override {
    std::vector<std::pair<std::string, at::Tensor>> out;
    const std::string p = kCanonicalPrefix;
    out.emplace_back(p + "embed_tokens.weight", embed_.tokens);
    out.emplace_back(p + "embed_positions.weight", embed_.positions);
    if (head_.project_out.defined()) out.emplace_back(p + "project_out.weight", head_.project_out);
    if (embed_.project_in.defined()) out.emplace_back(p + "project_in.weight", embed_.project_in);
    if (head_.ln_w.defined()) out.emplace_back(p + "final_layer_norm.weight", head_.ln_w);
    if (head_.ln_b.defined()) out.emplace_back(p + "final_layer_norm.bias", head_.ln_b);
    for (int i = 0; i < num_blocks(); ++i) {
      for (auto& [name, t] : block(i).NamedTensors()) out.emplace_back(block_prefix(i) + name, t);
    }
    if (!tied_) out.emplace_back("lm_head.weight", head_.lm_head);
    return out;
  }

 private:
  const bool tied_;
  const bool final_ln_;
  const OptEmbedWeights embed_home_;
  OptEmbedWeights embed_;
  const OptHeadWeights head_home_;
  OptHeadWeights head_;
};

}  // namespace

absl::StatusOr<std::unique_ptr<CausalLM>> CreateOptModel(const ModelConfig& config, const WeightSource& weights,
                                                         const ModelLoadOptions& options) {
  if (config.model_type != "opt") {
    return absl::InvalidArgumentError(absl::StrCat("model_type '", config.model_type, "' is not OPT"));
  }
  if (config.hidden_size <= 0 || config.num_attention_heads <= 0 || config.hidden_size % config.num_attention_heads) {
    return absl::InvalidArgumentError(absl::StrCat(config.source, ": num_attention_heads (", config.num_attention_heads,
                                                   ") must divide hidden_size (", config.hidden_size, ")"));
  }
  BINQ_ASSIGN_OR_RETURN(const Activation activation, ParseActivation(config));

  // HF checkpoints name tensors model.decoder.…; the original facebook/opt
  // conversions (and OPTModel without the LM head) decoder.….
  const std::set<std::string> names(weights.names.begin(), weights.names.end());
  std::string prefix;
  if (names.count("model.decoder.embed_tokens.weight")) {
    prefix = "model.decoder.";
  } else if (names.count("decoder.embed_tokens.weight")) {
    prefix = "decoder.";
  } else {
    return absl::NotFoundError(
        "weight 'model.decoder.embed_tokens.weight' is missing from the checkpoint (nor is there "
        "'decoder.embed_tokens.weight'): not an OPT checkpoint?");
  }
  const std::string embed_name = prefix + "embed_tokens.weight";
  WeightLoader probe(weights, at::kFloat);
  BINQ_ASSIGN_OR_RETURN(const at::ScalarType dtype, ChooseDType(config, options, probe, embed_name));
  const WeightLoader loader(weights, dtype);

  const int64_t h = config.hidden_size;
  const int64_t f = config.ffn_dim;
  const int64_t p = config.word_embed_proj_dim;
  const int64_t v = config.vocab_size;
  const bool project = p != h;

  OptEmbedWeights embed;
  BINQ_ASSIGN_OR_RETURN(embed.tokens, loader.Load(embed_name, {v, p}));
  BINQ_ASSIGN_OR_RETURN(embed.positions,
                        loader.Load(prefix + "embed_positions.weight", {config.max_position_embeddings + kPositionOffset, h}));
  if (project) {
    BINQ_ASSIGN_OR_RETURN(embed.project_in, loader.Load(prefix + "project_in.weight", {h, p}));
  }

  OptHeadWeights head;
  // transformers: final_layer_norm exists only for pre-LN models that did not
  // remove it.
  const bool final_ln = config.do_layer_norm_before && !config.remove_final_layer_norm;
  if (final_ln && config.layer_norm_elementwise_affine) {
    BINQ_ASSIGN_OR_RETURN(head.ln_w, loader.Load(prefix + "final_layer_norm.weight", {h}));
    BINQ_ASSIGN_OR_RETURN(head.ln_b, loader.Load(prefix + "final_layer_norm.bias", {h}));
  }
  if (project) {
    BINQ_ASSIGN_OR_RETURN(head.project_out, loader.Load(prefix + "project_out.weight", {p, h}));
  }
  if (config.tie_word_embeddings) {
    head.lm_head = embed.tokens;  // shares memory, as transformers ties them
  } else {
    BINQ_ASSIGN_OR_RETURN(head.lm_head, loader.Load("lm_head.weight", {v, p}));
  }

  std::vector<std::unique_ptr<DecoderBlock>> blocks;
  for (int64_t i = 0; i < config.num_hidden_layers; ++i) {
    const std::string bp = absl::StrCat(prefix, "layers.", i, ".");
    OptBlockWeights w;
    for (const BlockSlot& slot : kBlockSlots) {
      if (slot.kind == SlotKind::kBias && !config.enable_bias) continue;
      if (slot.kind == SlotKind::kNorm && !config.layer_norm_elementwise_affine) continue;
      std::vector<int64_t> shape = {slot.rows == 'h' ? h : f};
      if (slot.cols != 0) shape.push_back(slot.cols == 'h' ? h : f);
      BINQ_ASSIGN_OR_RETURN(w.*slot.member, loader.Load(bp + slot.name, std::move(shape)));
    }
    blocks.push_back(std::make_unique<OptBlock>(static_cast<int>(i), config, dtype, activation, std::move(w)));
  }
  return std::unique_ptr<CausalLM>(
      new OptModel(config, dtype, std::move(embed), std::move(head), std::move(blocks), final_ln));
}

BINQ_REGISTER_MODEL_FAMILY(opt, "opt", CreateOptModel);

}  // namespace binq::core
