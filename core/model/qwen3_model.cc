// qwen3 (Qwen3ForCausalLM): Qwen2's layer with a per-head RMSNorm of q and k
// on the [b, s, heads, d] view (before the transpose, as Qwen3Attention),
// an explicit head_dim and attention_bias for all four projections.
#include "core/model/llama_style.h"

namespace binq::core {
namespace {
constexpr LlamaStyleVariant kQwen3{"qwen3", /*qk_norm_before_transpose=*/true};
}  // namespace
BINQ_REGISTER_LLAMA_STYLE_FAMILY(qwen3, kQwen3);
}  // namespace binq::core
