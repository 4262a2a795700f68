#include "core/quant/calibration.h"

#include <algorithm>

#include "absl/strings/str_cat.h"
#include "core/base/status_macros.h"
#include "core/quant/hessian.h"
#include "core/torch/torch_call.h"

namespace binq::core {

absl::StatusOr<at::Tensor> HessianFromInputs(const at::Tensor& inputs, int64_t seqlen) {
  if (seqlen < 1) return absl::InvalidArgumentError(absl::StrCat("seqlen: must be >= 1, got ", seqlen));
  if (!inputs.defined() || inputs.dim() != 2 || inputs.size(0) == 0) {
    return absl::InvalidArgumentError("calibration inputs: expected a non-empty 2-D [n, cols] tensor");
  }
  return TorchCall("calibration Hessian", [&]() -> absl::StatusOr<at::Tensor> {
    if (!inputs.isfinite().all().item<bool>()) {
      return absl::DataLossError("calibration inputs: contain non-finite (NaN/Inf) values");
    }
    HessianAccumulator accumulator(inputs.size(1), inputs.device());
    for (int64_t start = 0; start < inputs.size(0); start += seqlen) {
      const int64_t end = std::min(start + seqlen, inputs.size(0));
      BINQ_RETURN_IF_ERROR(accumulator.AddBatch(inputs.slice(0, start, end).unsqueeze(0)));
    }
    return accumulator.hessian();
  });
}

}  // namespace binq::core
