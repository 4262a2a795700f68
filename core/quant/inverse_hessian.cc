#include "core/quant/inverse_hessian.h"

#include "absl/strings/str_cat.h"
#include "core/base/status_macros.h"
#include "core/torch/torch_call.h"

namespace binq::core {
namespace {

// Cholesky of (H + δI)⁻¹ as the reference chains it; undefined tensor when a
// factorization fails (not positive definite).
at::Tensor UpperFactorOfInverse(const at::Tensor& damped) {
  auto [lower, info] = at::linalg_cholesky_ex(damped);
  if (info.item<int64_t>() != 0) return at::Tensor();
  const at::Tensor inverse = at::cholesky_inverse(lower);
  auto [upper, info2] = at::linalg_cholesky_ex(inverse, /*upper=*/true);
  if (info2.item<int64_t>() != 0 || !upper.isfinite().all().item<bool>()) return at::Tensor();
  return upper;
}

}  // namespace

absl::StatusOr<InverseHessianFactor> FactorInverseHessian(const at::Tensor& hessian,
                                                          at::Tensor& weight, double percdamp,
                                                          int max_retries) {
  return TorchCall("factoring the inverse Hessian", [&]() -> absl::StatusOr<InverseHessianFactor> {
    if (!hessian.isfinite().all().item<bool>()) {
      return absl::DataLossError("Hessian has non-finite entries (non-finite calibration inputs?)");
    }
    at::Tensor h = hessian.clone();
    const at::Tensor dead = h.diagonal() == 0;
    InverseHessianFactor out;
    out.dead_columns = dead.sum().item<int64_t>();
    if (out.dead_columns > 0) {
      h.diagonal().masked_fill_(dead, 1);
      weight.index_put_({at::indexing::Slice(), dead}, 0);
    }
    // fp32 mean of a contiguous copy of the diagonal, as torch.diag(H) gives.
    const at::Tensor damp = percdamp * h.diagonal().contiguous().mean();
    h.diagonal().add_(damp);
    out.damp = damp.item<double>();
    at::Tensor u = UpperFactorOfInverse(h);
    // CRB's retry: more damping, relative to the (damped) diagonal's mean.
    while (!u.defined() && out.damping_retries < max_retries) {
      const double mean_diag = h.diagonal().contiguous().mean().item<double>();
      const double extra = mean_diag != 0 ? 1e-3 * mean_diag : 1e-6;
      h.diagonal().add_(extra);
      out.damp += extra;
      ++out.damping_retries;
      u = UpperFactorOfInverse(h);
    }
    if (!u.defined()) {
      return absl::FailedPreconditionError(absl::StrCat(
          "Hessian is not positive definite after damping ", percdamp, " and ",
          out.damping_retries, " extra damping rounds (max_damping_retries)"));
    }
    out.u = u;
    return out;
  });
}

}  // namespace binq::core
