// mistral (MistralForCausalLM): LLaMA's layer without biases, every layer
// attending through config.sliding_window when it is set.
#include "core/model/llama_style.h"

namespace binq::core {
namespace {
constexpr LlamaStyleVariant kMistral{"mistral"};
}  // namespace
BINQ_REGISTER_LLAMA_STYLE_FAMILY(mistral, kMistral);
}  // namespace binq::core
