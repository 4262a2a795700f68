// Checks and figures shared by all techniques.
#ifndef BINQ_CORE_QUANT_LAYER_CHECKS_H_
#define BINQ_CORE_QUANT_LAYER_CHECKS_H_

#include <ATen/ATen.h>

#include "absl/status/status.h"
#include "core/quant/technique.h"

namespace binq::core {

// INVALID_ARGUMENT for a weight that is not a 2-D float tensor or a Hessian of
// the wrong shape/device (or missing when `needs_hessian`); DATA_LOSS for
// non-finite weights. Call inside TorchCall.
[[nodiscard]] absl::Status CheckLayerProblem(const LayerProblem& problem, bool needs_hessian);

// tr(ΔW H ΔWᵀ) / tr(W H Wᵀ) with ΔW = W − Ŵ (fp32 GEMM, fp64 traces); NaN
// when `hessian` is undefined or the denominator is 0.
double RelativeOutputError(const at::Tensor& weight, const at::Tensor& quantized,
                           const at::Tensor& hessian);

}  // namespace binq::core

#endif  // BINQ_CORE_QUANT_LAYER_CHECKS_H_
