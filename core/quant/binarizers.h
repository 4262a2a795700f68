// Masked residual binarizers in LibTorch ops, in the references' operation
// order so that results are bit-identical to them on the same device
// (ALGORITHMS.md §4.1, §5, §6). Every function takes a float32 block X [m, B]
// and a boolean mask M [m, B] on the same device and returns a float32 [m, B]
// that is zero outside M. They may throw c10::Error (callers wrap them in
// TorchCall).
#ifndef BINQ_CORE_QUANT_BINARIZERS_H_
#define BINQ_CORE_QUANT_BINARIZERS_H_

#include <cstdint>

#include <ATen/ATen.h>

namespace binq::core {

// BiLLM's high_order_residual R_K(X, M): per row and pass, mean μ of the
// residual over M, scale α = mean |residual − μ|, value μ + α·sgn(·).
at::Tensor HighOrderResidual(const at::Tensor& x, const at::Tensor& mask, int64_t order);

// CRBOG: order 1 = R₁; order 2 = greedy planes re-weighted by the 2×2
// least-squares solve in double (§5).
at::Tensor CoupledResidual(const at::Tensor& x, const at::Tensor& mask, int64_t order);

struct CrbParams {
  double lam = 1e-5;
  double corr_damp = 0.1;
  bool skip_refinement = false;
  bool symmetric_damp = false;
};

// CRB-current (vectorized v7, §6.1): fp32 Tikhonov/damped solve, two-way sign
// refinement, final mean correction.
at::Tensor CoupledResidualStable(const at::Tensor& x, const at::Tensor& mask, int64_t order,
                                 const CrbParams& params);

// CRB-paper2025 (per-row v7, §6.2): double solve, refinement without
// re-centring, no mean correction. `skip_refinement`/`symmetric_damp` are not
// part of that function and are ignored.
at::Tensor CoupledResidualPaper2025(const at::Tensor& x, const at::Tensor& mask, int64_t order,
                                    const CrbParams& params);

}  // namespace binq::core

#endif  // BINQ_CORE_QUANT_BINARIZERS_H_
