// The weights and config.json of make-tiny's random checkpoints, one
// function per layout: OPT's, and the LLaMA-style families' (llama,
// mistral, qwen2, qwen3, gemma3_text) with each family's own features
// switched on (GQA, Mistral's window, Qwen2's q/k/v biases, Qwen3's q/k
// norms, Gemma's norms, local/global layers and bf16).
#ifndef BINQ_TOOLS_BINQ_RUN_TINY_MODELS_H_
#define BINQ_TOOLS_BINQ_RUN_TINY_MODELS_H_

#include <string>
#include <utility>
#include <vector>

#include <ATen/ATen.h>

#include "absl/status/statusor.h"
#include "nlohmann/json.hpp"
#include "tools/binq_run/make_tiny_command.h"

namespace binq::tools {

struct TinyModel {
  nlohmann::json config;  // config.json
  std::vector<std::pair<std::string, at::Tensor>> tensors;
};

// `vocab` rows of embeddings; sizes as `c` (checked by the caller).
[[nodiscard]] absl::StatusOr<TinyModel> TinyOptModel(const MakeTinyCommand& c, int64_t vocab);
[[nodiscard]] absl::StatusOr<TinyModel> TinyLlamaStyleModel(const MakeTinyCommand& c, int64_t vocab);

}  // namespace binq::tools

#endif  // BINQ_TOOLS_BINQ_RUN_TINY_MODELS_H_
