// A layer's Hessian from its calibration inputs, fed as the reference feeds
// them: consecutive chunks of `seqlen` rows, each one add_batch call of one
// sequence (the goldens use seqlen 32; real runs 2048).
#ifndef BINQ_CORE_QUANT_CALIBRATION_H_
#define BINQ_CORE_QUANT_CALIBRATION_H_

#include <cstdint>

#include <ATen/ATen.h>

#include "absl/status/statusor.h"

namespace binq::core {

// `inputs` [n, cols] (any float dtype). A last chunk shorter than `seqlen`
// still counts as one sequence. INVALID_ARGUMENT for seqlen < 1 or a bad
// shape; DATA_LOSS for non-finite inputs.
[[nodiscard]] absl::StatusOr<at::Tensor> HessianFromInputs(const at::Tensor& inputs, int64_t seqlen);

}  // namespace binq::core

#endif  // BINQ_CORE_QUANT_CALIBRATION_H_
