// `binq-run make-layer`: writes a synthetic layer case (W, X) shaped like real
// LLM layers — a few outlier input channels, heavy-tailed weight columns and
// correlated inputs — following the recipe of the golden cases
// (tests/data/golden/README.md), with LibTorch's generator.
#ifndef BINQ_TOOLS_BINQ_RUN_MAKE_LAYER_COMMAND_H_
#define BINQ_TOOLS_BINQ_RUN_MAKE_LAYER_COMMAND_H_

#include <cstdint>
#include <string>

#include "absl/status/status.h"

namespace binq::tools {

struct MakeLayerCommand {
  std::string output;
  int64_t rows = 256;
  int64_t cols = 512;
  int64_t tokens = 0;  // rows of X; 0 = 4·cols
  uint64_t seed = 0;
};

[[nodiscard]] absl::Status RunMakeLayerCommand(const MakeLayerCommand& command);

}  // namespace binq::tools

#endif  // BINQ_TOOLS_BINQ_RUN_MAKE_LAYER_COMMAND_H_
