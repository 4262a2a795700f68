// The LLaMA-style decoder that llama, mistral, qwen2, qwen3 and gemma3_text
// share: RMSNorm, rotary position embeddings, grouped-query attention, a
// gated MLP. What differs between the families is data in ModelConfig
// (biases, q/k norms, sliding windows, Gemma's norms and scales, RoPE
// parameters), read by each family's parser in core/model_config, plus the
// few op-placement choices in LlamaStyleVariant. Each family file
// (llama_model.cc, …) registers a factory built here.
//
// Numerics: op for op as transformers 5.23's eager implementations
// (models/{llama,mistral,qwen2,qwen3,gemma3}/modeling_*.py):
//  * RMSNorm in fp32: x·rsqrt(mean(x²)+eps), cast back, then ·w (LLaMA);
//    Gemma: (x·rsqrt(mean(x²)+eps))·(1+w) in fp32, then cast.
//  * RoPE: inv_freq computed once in fp32 on the CPU as the rope init
//    functions do (default, linear, dynamic at its initial length, llama3);
//    per forward, freqs = positions·inv_freq in fp32 on the block's device,
//    cos/sin of cat(freqs, freqs) cast to the model dtype, then
//    q·cos + rotate_half(q)·sin in the model dtype.
//  * scores = (q kᵀ)·scaling (head_dim^-0.5, Gemma query_pre_attn_scalar^-0.5)
//    + the mask (the causal mask; for a sliding
//    layer also finfo.min where q − k ≥ window), softmax in fp32, cast back.
//  * MLP down(act(gate(x))·up(x)), act SiLU or GELU-tanh.
//  * Gemma: embeddings · sqrt(hidden) rounded to the model dtype;
//    post-attention and pre/post feed-forward norms; optional final logit
//    soft-capping (attn_logit_softcapping is ignored, as Gemma3Attention
//    does: it never passes it to the attention function).
// Positions are 0 … s−1 (unpadded windows, as the references run them);
// sequences longer than max_position_embeddings are refused, so "dynamic"
// RoPE keeps its initial frequencies exactly as transformers does there.
#ifndef BINQ_CORE_MODEL_LLAMA_STYLE_H_
#define BINQ_CORE_MODEL_LLAMA_STYLE_H_

#include <memory>

#include "absl/status/statusor.h"
#include "core/model/causal_lm.h"
#include "core/model_config/model_config.h"

namespace binq::core {

struct LlamaStyleVariant {
  const char* model_type = "llama";
  // Where the per-head q/k RMSNorm runs (when config.qk_norm): Qwen3 norms
  // the [b, s, heads, d] view before the transpose, Gemma-3 the transposed
  // [b, heads, s, d] states.
  bool qk_norm_before_transpose = true;
};

// Builds a model of `variant`'s family (config.model_type must match) on the
// CPU. Checkpoint names are Hugging Face's: model.embed_tokens.weight,
// model.layers.<i>.…, model.norm.weight, lm_head.weight (when not tied).
// Errors as LoadCausalLM.
[[nodiscard]] absl::StatusOr<std::unique_ptr<CausalLM>> CreateLlamaStyleModel(const LlamaStyleVariant& variant,
                                                                              const ModelConfig& config,
                                                                              const WeightSource& weights,
                                                                              const ModelLoadOptions& options);

}  // namespace binq::core

// Registers `variant` (a LlamaStyleVariant) under its model_type.
#define BINQ_REGISTER_LLAMA_STYLE_FAMILY(id, variant)                                                  \
  BINQ_REGISTER_MODEL_FAMILY(id, (variant).model_type,                                                \
                             [](const ::binq::core::ModelConfig& config,                               \
                                const ::binq::core::WeightSource& weights,                             \
                                const ::binq::core::ModelLoadOptions& options) {                       \
                               return ::binq::core::CreateLlamaStyleModel((variant), config, weights, options); \
                             })

#endif  // BINQ_CORE_MODEL_LLAMA_STYLE_H_
