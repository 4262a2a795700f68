// qwen2 (Qwen2ForCausalLM; Qwen2/2.5): LLaMA's layer with q/k/v biases and
// optional sliding-window layers (use_sliding_window, max_window_layers).
#include "core/model/llama_style.h"

namespace binq::core {
namespace {
constexpr LlamaStyleVariant kQwen2{"qwen2"};
}  // namespace
BINQ_REGISTER_LLAMA_STYLE_FAMILY(qwen2, kQwen2);
}  // namespace binq::core
