// BiLLM's structural search for one block (ALGORITHMS.md §4.2–4.5): how many
// salient columns, and the break-point that splits the other weights into a
// concentrated and a sparse group. Used by braq, CRBOG and CRB alike.
#ifndef BINQ_CORE_QUANT_BLOCK_SEARCH_H_
#define BINQ_CORE_QUANT_BLOCK_SEARCH_H_

#include <cstdint>
#include <vector>

#include <ATen/ATen.h>

#include "absl/status/statusor.h"
#include "core/quant/options.h"

namespace binq::core {

// The three partitions of a block: M₀ (non-salient, |saliency| < split),
// M₁ (non-salient, ≥ split), M₂ (salient columns). Bool [m, B] on the block's
// device; disjoint.
struct BlockMasks {
  at::Tensor low;
  at::Tensor high;
  at::Tensor salient;
  int64_t n_salient = 0;
  double split = 0;                  // chosen break-point (saliency units, fp64)
  std::vector<float> salient_errors; // E_k, k = 1 … up_lim−1
  std::vector<double> candidates;    // the 81 break-point candidates
  std::vector<float> split_errors;   // E'_k per candidate
  bool fallback = false;             // no finite search error: CRB's fallback used
};

// The searches' hot loops, computed either by LibTorch ops or by binq's
// kernels (core/quant/kernel_dispatch.h).
class SearchErrorFunctions {
 public:
  virtual ~SearchErrorFunctions() = default;
  // E_k for k = 1 … order.size()−1: M_sal = columns order[0:k].
  virtual absl::StatusOr<std::vector<float>> SalientErrors(const at::Tensor& target,
                                                           const at::Tensor& order) const = 0;
  // E'_k for each fp32 threshold; `salient` is the bool [m, B] salient mask.
  virtual absl::StatusOr<std::vector<float>> SplitErrors(
      const at::Tensor& target, const at::Tensor& salient,
      const std::vector<float>& thresholds) const = 0;
};

// LibTorch-ops implementation, in the reference's order (bit parity).
const SearchErrorFunctions& AtenSearchErrors();

// The saliency target T of a block (§4.2): W²/d² per column for the hessian
// metric (d = diag of U over the block), W itself for magnitude.
at::Tensor SaliencyTarget(const at::Tensor& block, const at::Tensor& u_diag, SalientMetric metric);

// The salient-column count search alone (§4.3), on column scores `scores`
// [B] (braq: Σ_r |T_rj|; HBLLM: the L2 or L1 norm of T's columns). The chosen
// columns come from a second topk(scores, k*) call, as in the references.
struct SalientColumns {
  at::Tensor mask;            // bool [m, B], whole columns
  int64_t count = 0;
  std::vector<float> errors;  // E_k, k = 1 … min(up_lim, B)−1
  bool fallback = false;      // no finite E_k: CRB-current's up_lim // 3
};
absl::StatusOr<SalientColumns> SearchSalientColumns(const at::Tensor& target,
                                                    const at::Tensor& scores, int64_t up_lim,
                                                    const SearchErrorFunctions& errors);

// The 81 break-point candidates (§4.4 step 4) of the values in `sample` (any
// shape, finite; sorted on the CPU). Empty `sample` → empty result.
std::vector<double> BreakPointCandidates(const at::Tensor& sample);

// Index of the first strict minimum; NaN never selected; −1 when none finite.
int64_t FirstMinimum(const std::vector<float>& errors);

// Bool [m, B] mask of whole columns `columns` (int64 indices) of `like`.
at::Tensor ColumnMask(const at::Tensor& like, const at::Tensor& columns);

// Runs both searches on `target` [m, B] (finite values) and builds the masks.
// Blocks narrower than up_lim search k = 1 … B−1 (B = 1: the column is
// salient). Errors come from `errors`; may throw c10::Error.
absl::StatusOr<BlockMasks> SearchBlockMasks(const at::Tensor& target, int64_t up_lim,
                            const SearchErrorFunctions& errors);

}  // namespace binq::core

#endif  // BINQ_CORE_QUANT_BLOCK_SEARCH_H_
