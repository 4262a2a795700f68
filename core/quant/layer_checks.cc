#include "core/quant/layer_checks.h"

#include <cmath>

#include "absl/strings/str_cat.h"

namespace binq::core {

absl::Status CheckLayerProblem(const LayerProblem& problem, bool needs_hessian) {
  const at::Tensor& w = problem.weight;
  if (!w.defined() || w.dim() != 2) {
    return absl::InvalidArgumentError(absl::StrCat(
        "weight: expected a 2-D [rows, cols] tensor, got ", w.defined() ? w.dim() : 0, " dims"));
  }
  if (!at::isFloatingType(w.scalar_type())) {
    return absl::InvalidArgumentError("weight: expected a floating-point tensor");
  }
  if (w.size(0) == 0 || w.size(1) == 0) {
    return absl::InvalidArgumentError("weight: has zero rows or columns");
  }
  if (!w.isfinite().all().item<bool>()) {
    const int64_t bad = (~w.isfinite()).sum().item<int64_t>();
    return absl::DataLossError(absl::StrCat("weight: ", bad, " non-finite (NaN/Inf) entries"));
  }
  const at::Tensor& h = problem.hessian;
  if (!h.defined()) {
    if (needs_hessian) return absl::InvalidArgumentError("hessian: required by this technique");
    return absl::OkStatus();
  }
  if (h.dim() != 2 || h.size(0) != w.size(1) || h.size(1) != w.size(1)) {
    return absl::InvalidArgumentError(absl::StrCat("hessian: expected [", w.size(1), ", ",
                                                   w.size(1), "] to match the weight's columns"));
  }
  if (h.device() != w.device()) {
    return absl::InvalidArgumentError("hessian: must be on the weight's device");
  }
  return absl::OkStatus();
}

double RelativeOutputError(const at::Tensor& weight, const at::Tensor& quantized,
                           const at::Tensor& hessian) {
  if (!hessian.defined()) return std::nan("");
  const at::Tensor w = weight.to(at::kFloat);
  const at::Tensor delta = w - quantized;
  const double num = (delta.matmul(hessian) * delta).sum(at::kDouble).item<double>();
  const double den = (w.matmul(hessian) * w).sum(at::kDouble).item<double>();
  return den > 0 ? num / den : std::nan("");
}

}  // namespace binq::core
