// gemma3_text (Gemma3ForCausalLM): Gemma's RMSNorm x·(1+w), embeddings
// scaled by sqrt(hidden) in the model dtype, GELU-tanh GeGLU, q/k norms on
// the transposed [b, heads, s, d] states (as Gemma3Attention), post-attention
// and pre/post feed-forward norms, sliding and global layers with their own
// RoPE, query_pre_attn_scalar. Gemma's activations overflow fp16: run it in
// the checkpoint's dtype (bf16 for the released models; --dtype auto).
#include "core/model/llama_style.h"

namespace binq::core {
namespace {
constexpr LlamaStyleVariant kGemma3Text{"gemma3_text", /*qk_norm_before_transpose=*/false};
}  // namespace
BINQ_REGISTER_LLAMA_STYLE_FAMILY(gemma3_text, kGemma3Text);
}  // namespace binq::core
