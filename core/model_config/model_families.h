// The decoder families binq runs, by Hugging Face model_type: the one list
// both the daemon's pre-flight and the worker consult. Each family has a
// config parser here and a model factory registered under the same
// model_type in core/model (CausalLM, ModelRegistry); a test checks the two
// lists agree (docs/adding-a-model-family.md). No LibTorch.
#ifndef BINQ_CORE_MODEL_CONFIG_MODEL_FAMILIES_H_
#define BINQ_CORE_MODEL_CONFIG_MODEL_FAMILIES_H_

#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/string_view.h"

namespace binq::core {

// The model_types with a config parser, sorted:
// {"gemma3_text", "llama", "mistral", "opt", "qwen2", "qwen3"}.
std::vector<std::string> ModelFamilyTypes();

// OK for a known model_type; INVALID_ARGUMENT naming it and the supported
// families otherwise.
[[nodiscard]] absl::Status CheckModelType(absl::string_view model_type);

// Reads only the `model_type` of `path` (a config.json or a folder holding
// one) and checks it: binqd's pre-flight at submit, which should not depend
// on the rest of the config. NOT_FOUND / UNAVAILABLE as ReadModelConfig;
// INVALID_ARGUMENT naming the file for text that is not a JSON object, a
// missing or non-string model_type, or an unknown one (as CheckModelType).
[[nodiscard]] absl::Status CheckConfigModelType(const std::string& path);

}  // namespace binq::core

#endif  // BINQ_CORE_MODEL_CONFIG_MODEL_FAMILIES_H_
