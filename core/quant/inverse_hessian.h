// From an accumulated Hessian to the factor the block solver uses
// (ALGORITHMS.md §3.1): dead columns (H_jj = 0) get H_jj = 1 and W[:, j] = 0;
// δ = percdamp·mean(diag H) is added to the diagonal; U = upper Cholesky
// factor of (H + δI)⁻¹.
#ifndef BINQ_CORE_QUANT_INVERSE_HESSIAN_H_
#define BINQ_CORE_QUANT_INVERSE_HESSIAN_H_

#include <cstdint>

#include <ATen/ATen.h>

#include "absl/status/statusor.h"

namespace binq::core {

struct InverseHessianFactor {
  at::Tensor u;                 // fp32 [n, n], upper triangular
  int64_t dead_columns = 0;     // columns whose inputs were always zero
  double damp = 0;              // total δ added to the diagonal
  int damping_retries = 0;      // extra damping rounds needed (0 = reference behaviour)
};

// `hessian` is not modified; `weight` (fp32 working copy [m, n]) has its dead
// columns zeroed. Not positive definite after `max_retries` extra damping
// rounds of 1e-3·mean(diag H) → FAILED_PRECONDITION naming the retries.
// Non-finite Hessian → DATA_LOSS.
[[nodiscard]] absl::StatusOr<InverseHessianFactor> FactorInverseHessian(
    const at::Tensor& hessian, at::Tensor& weight, double percdamp, int max_retries);

}  // namespace binq::core

#endif  // BINQ_CORE_QUANT_INVERSE_HESSIAN_H_
