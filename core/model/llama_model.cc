// llama: LLaMA-1/2/3/3.1/3.2, Vicuna, TinyLlama, SmolLM, … (LlamaForCausalLM).
// RMSNorm, RoPE (default, linear, dynamic, llama3), grouped-query attention,
// SwiGLU; attention_bias, mlp_bias, head_dim and tied embeddings from the
// config (core/model_config/llama_config.cc).
#include "core/model/llama_style.h"

namespace binq::core {
namespace {
constexpr LlamaStyleVariant kLlama{"llama"};
}  // namespace
BINQ_REGISTER_LLAMA_STYLE_FAMILY(llama, kLlama);
}  // namespace binq::core
