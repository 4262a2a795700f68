// ARB-LLM (ALGORITHMS.md §9.3): alternating refined binarization on BiLLM's
// block framework. Three binarizers — ARB (mean and scale refined
// alternately with the signs), ARB-X (then closed-form μ/α under the
// calibration matrix S), ARB-RC (row and column scales, no mean) — and the
// mask search with optional CGB (column-group bitmap: the salient columns
// split in two by magnitude). LibTorch ops in the reference's order: the
// golden cases match bit for bit on the CPU. The binarizers may throw
// c10::Error (callers wrap them in TorchCall).
#ifndef BINQ_CORE_QUANT_ARB_H_
#define BINQ_CORE_QUANT_ARB_H_

#include <cstdint>
#include <vector>

#include <ATen/ATen.h>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "core/quant/options.h"
#include "core/quant/residual_binarization.h"
#include "core/quant/technique.h"

namespace binq::core {

enum class ArbMethod { kArb, kArbX, kArbRc };
const char* ArbMethodName(ArbMethod method);  // "arb", "arb-x", "arb-rc"

struct ArbParams {
  ArbMethod method = ArbMethod::kArb;
  bool order2_group = false;  // CGB (--order2_group, alias --cgb)
  int iterations = 15;        // ARB alternating refinements (reference default)
  int x_iterations = 15;      // ARB-X closed-form μ/α updates after them
  // ARB-X's quadratic forms Σ_jk S_jk u_j v_k: true = the reference's
  // elementwise (S ⊙ u⊗v) sum, bit-identical to it but O(m·B²) memory
  // traffic per form; false = one GEMM ((u S) ⊙ v), ~100× faster, equal to
  // ~1e-7 relative. QuantizeArbLayer takes true for Backend::kAten.
  bool exact_gram_order = true;
};

// INVALID_ARGUMENT naming the option for iterations outside [1, 1000] or
// x_iterations outside [0, 1000].
[[nodiscard]] absl::Status ValidateArbParams(const ArbParams& params);

// ARB of order 1 or 2 on X [m, B] fp32 within bool mask M: braq's R_K start,
// then `iterations` rounds (mean, scales as a reciprocal times a sum, signs;
// order 2 re-assigns both sign planes to the nearest of the four levels).
// Zero outside M; rows without entries give zeros.
at::Tensor ArbResidual(const at::Tensor& x, const at::Tensor& mask, int64_t order,
                       int iterations = 15);

// ARB-X: ArbResidual's signs, then `x_iterations` closed-form updates of μ
// and α (order 2: α₁ then α₂) minimizing tr(R S Rᵀ) per row. `gram` = S for
// the block's columns [B, B] fp32.
at::Tensor ArbXResidual(const at::Tensor& x, const at::Tensor& mask, int64_t order,
                        const at::Tensor& gram, int iterations = 15, int x_iterations = 15,
                        bool exact_gram_order = true);

// ARB-RC: per-row × per-column scales, no mean, refined alternately; order 2
// re-assigns the two sign planes each round.
at::Tensor ArbRcResidual(const at::Tensor& x, const at::Tensor& mask, int64_t order,
                         int iterations = 15);

// One partition's values by the method's binarizer (`gram` read by ARB-X only).
at::Tensor ArbBinarize(const ArbParams& params, const at::Tensor& x, const at::Tensor& mask,
                       int64_t order, const at::Tensor& gram);

// ARB's masks for a block, from the saliency target T [m, B].
struct ArbBlockMasks {
  at::Tensor salient;       // bool [m, B], whole columns
  at::Tensor salient_low;   // CGB: salient entries with |T| < cgb_split (else undefined)
  at::Tensor salient_high;  // CGB: salient entries with |T| ≥ cgb_split
  at::Tensor low;           // non-salient, |T| < split
  at::Tensor high;          // non-salient, |T| ≥ split
  int64_t n_salient = 0;
  double split = 0;
  double cgb_split = 0;
  std::vector<double> candidates;      // the split's 81 candidates
  std::vector<double> cgb_candidates;  // CGB's (quantiles of the non-zero salient |T|)
  std::vector<float> split_errors;
  bool fallback = false;  // a search had no finite error (first threshold / CRB's count used)
};

// The search of §9.3: BiLLM's salient count; CGB threshold (if on); the
// non-salient break-point with the salient part approximated by ARB order 2
// (ARB-RC for arb-rc) and errors by MSE, or for arb-x by ⟨EᵀE, S⟩.
[[nodiscard]] absl::StatusOr<ArbBlockMasks> SearchArbMasks(const at::Tensor& target,
                                                           const ArbParams& params,
                                                           const at::Tensor& gram,
                                                           int64_t up_lim);

// Partition codes ARB's goldens use: 0 non-salient low, 1 non-salient high,
// 2 salient (CGB: salient low), 3 salient high (CGB only).
at::Tensor ArbPartitionCodes(const ArbBlockMasks& masks);

// The block quantizer for QuantizeBlockwise. `gram` is the layer's S
// [cols, cols] (arb-x; only diagonal blocks are read) or undefined;
// `gram_is_hessian`: it is the accumulated Hessian, S = H/2.
BlockQuantizer ArbBlockQuantizer(const ArbParams& params, const QuantOptions& options,
                                 const at::Tensor& gram, bool gram_is_hessian);

// The params a registered technique runs with: `method`, and order2_group
// from options.technique_options (the catalog row's, MakeQuantOptions).
[[nodiscard]] absl::StatusOr<ArbParams> ArbParamsFromOptions(ArbMethod method,
                                                             const QuantOptions& options);

// A whole layer. ARB-X reads problem.input_gram, or hessian/2 without it;
// `params.exact_gram_order` is replaced by (options.backend == kAten).
// Diagnostics: split_per_block, salient_per_block, block_diagnostics
// "cgb_split" (CGB only); partition codes as ArbPartitionCodes.
[[nodiscard]] absl::StatusOr<LayerResult> QuantizeArbLayer(const LayerProblem& problem,
                                                           const QuantOptions& options,
                                                           const ArbParams& params);

}  // namespace binq::core

#endif  // BINQ_CORE_QUANT_ARB_H_
