// `binq-run layer`: quantize one linear layer stored in a safetensors file
// (W [rows, cols] and X [n, cols], F32/F16/BF16) and write Wq with its figures.
#ifndef BINQ_TOOLS_BINQ_RUN_LAYER_COMMAND_H_
#define BINQ_TOOLS_BINQ_RUN_LAYER_COMMAND_H_

#include <string>

#include "absl/status/statusor.h"
#include "core/quant/options.h"
#include "core/quant/technique.h"
#include "nlohmann/json.hpp"

namespace binq::tools {

struct LayerCommand {
  std::string input;
  std::string output;          // empty: no file, summary only
  std::string technique;
  int64_t seqlen = 2048;       // rows of X per calibration sequence
  std::string device = "cpu";
  // The technique's options as given by the catalog flags (--blocksize,
  // --corr_damp, …), resolved against its catalog row by MakeQuantOptions.
  OptionValues technique_options;
  // Run-time knobs that are not technique options: backend, up_lim,
  // disable_gptq, skip_refinement, symmetric_damp, max_damping_retries.
  core::QuantOptions knobs;
};

// Runs the command; returns the one-line JSON summary (also stored as the
// output's metadata). Errors name the file, tensor or flag at fault.
[[nodiscard]] absl::StatusOr<nlohmann::json> RunLayerCommand(const LayerCommand& command);

// Every technique on one input, for side-by-side figures. Each technique gets
// the given options its catalog row has; an option none of them has is
// INVALID_ARGUMENT.
[[nodiscard]] absl::StatusOr<std::vector<nlohmann::json>> RunCompareCommand(
    const LayerCommand& command, const std::vector<std::string>& techniques);

}  // namespace binq::tools

#endif  // BINQ_TOOLS_BINQ_RUN_LAYER_COMMAND_H_
