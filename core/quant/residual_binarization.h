// The block-wise driver shared by braq, CRBOG, CRB, ARB-LLM and HBLLM —
// BiLLM's BRAGPTQ.fasterquant (ALGORITHMS.md §3): damped inverse-Hessian
// factor U; per block of `blocksize` columns, one technique-specific block
// quantizer on the block as compensated so far (no intra-block compensation),
// the loss ½Σ(w−q)²/U_jj², and the block's error propagated to the later
// columns through U.
// braq/CRBOG/CRB subclass ResidualBinarizationTechnique and supply only the
// partition binarizer; other methods call QuantizeBlockwise with their own
// block quantizer.
#ifndef BINQ_CORE_QUANT_RESIDUAL_BINARIZATION_H_
#define BINQ_CORE_QUANT_RESIDUAL_BINARIZATION_H_

#include <functional>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include <ATen/ATen.h>

#include "core/quant/technique.h"
#include "kernels/binarize.h"

namespace binq::core {

// What a block quantizer sees: the block [m, B] fp32 as compensated so far
// (read-only), the diagonal of U over it, and its column range in the layer.
struct BlockInput {
  const at::Tensor& block;
  const at::Tensor& u_diag;
  int64_t start = 0;
  int64_t end = 0;
};

// What it returns. `partition` is uint8 [m, B] with the technique's codes.
struct BlockOutcome {
  at::Tensor quantized;
  at::Tensor partition;
  int64_t n_salient = 0;
  double split = 0;
  bool fallback = false;
  // Appended, per key, to LayerResult::block_diagnostics.
  std::map<std::string, std::vector<double>> diagnostics;
  double search_seconds = 0;
  double binarize_seconds = 0;
};

using BlockQuantizer = std::function<absl::StatusOr<BlockOutcome>(const BlockInput&)>;

// Validates the problem, factors the Hessian (or takes problem.inverse_factor),
// runs `quantize_block` on each block and fills the layer figures. `name`
// labels torch errors. Packing and bits are left for the caller to set
// (wbits_paper is BiLLM's 1 + salient columns / cols). Call with validated
// options.
[[nodiscard]] absl::StatusOr<LayerResult> QuantizeBlockwise(const LayerProblem& problem,
                                                            const QuantOptions& options,
                                                            const std::string& name,
                                                            const BlockQuantizer& quantize_block);

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
