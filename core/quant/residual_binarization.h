// The block-wise driver shared by braq, CRBOG and CRB — BiLLM's
// BRAGPTQ.fasterquant (ALGORITHMS.md §3): damped inverse-Hessian factor U;
// per block of `blocksize` columns, the structural search (§4) on the block as
// compensated so far, the three partitions binarized from the block-start
// values (no intra-block compensation), the loss ½Σ(w−q)²/U_jj², and the
// block's error propagated to the later columns through U.
// Subclasses supply only the partition binarizer.
#ifndef BINQ_CORE_QUANT_RESIDUAL_BINARIZATION_H_
#define BINQ_CORE_QUANT_RESIDUAL_BINARIZATION_H_

#include <optional>

#include <ATen/ATen.h>

#include "core/quant/technique.h"
#include "kernels/binarize.h"

namespace binq::core {

class ResidualBinarizationTechnique : public Technique {
 public:
  absl::StatusOr<LayerResult> Quantize(const LayerProblem& problem,
                                       const QuantOptions& options) const override;

 protected:
  // Values of one partition in LibTorch ops (reference order): X [m, B] fp32,
  // mask bool [m, B], order 1 (non-salient groups) or 2 (salient columns).
  virtual at::Tensor BinarizeAten(const at::Tensor& x, const at::Tensor& mask, int64_t order,
                                  const QuantOptions& options) const = 0;
  // The fused kernel that computes the same, if binq's kernels have one.
  virtual std::optional<kernels::BinarizeMethod> KernelMethod(const QuantOptions& options) const = 0;
};

}  // namespace binq::core

#endif  // BINQ_CORE_QUANT_RESIDUAL_BINARIZATION_H_
