// HBLLM (ALGORITHMS.md §9.4): BiLLM's block framework with the block
// binarized in the Haar domain. Salient columns as BiLLM's count search (on
// W²/U_jj², columns scored by their L2 or L1 norm); the non-salient part
// (row-hbraq: salient columns filled from their neighbours, Haar along rows;
// col-hbraq: the non-salient columns alone, Haar along columns) and the
// salient residual (Haar along columns) each as a low band and the high band
// of what the low band leaves, binarized with RMS scales and a per-row (or
// global) two-group split. LibTorch ops in the reference's order.
//
// Where the reference raises (odd widths/row counts for its transforms), binq
// pads the transformed axis by repeating its last column/row and drops the
// padded entry after the inverse transform; blocks narrower than 50 columns
// search k = 1 … B−1 salient columns as braq does.
#ifndef BINQ_CORE_QUANT_HBLLM_H_
#define BINQ_CORE_QUANT_HBLLM_H_

#include <cstdint>
#include <utility>
#include <vector>

#include <ATen/ATen.h>

#include "absl/status/statusor.h"
#include "core/quant/block_search.h"
#include "core/quant/options.h"
#include "core/quant/residual_binarization.h"
#include "core/quant/technique.h"

namespace binq::core {

enum class HbllmMethod { kRow, kCol };            // row-hbraq, col-hbraq
enum class HbllmSalientScore { kL2, kL1 };        // --salient_metric l2|l1
enum class HbllmGroupPartition { kRow, kGlobal }; // --group_partition row|global
const char* HbllmMethodName(HbllmMethod method);  // "row-hbraq", "col-hbraq"

struct HbllmParams {
  HbllmMethod method = HbllmMethod::kRow;
  HbllmSalientScore score = HbllmSalientScore::kL2;
  // The reference has no default (it asserts); binq's is `row`, the setting
  // of every command in the reference's README.
  HbllmGroupPartition partition = HbllmGroupPartition::kRow;
  bool share_mean = false;  // row partition, non-salient bands only
};

// The forward factor fp32(1/√2) and the inverse's 1/√2 rounded to fp16: the
// round trip is not exact, as in the reference.
inline constexpr float kHaarForward = 0.70710677f;
inline constexpr float kHaarInverse = 0.70703125f;

// Haar along rows (pairs of adjacent columns) of x [m, n], n even:
// low = (even + odd)·f, high = (even − odd)·f, each [m, n/2]; and its inverse.
std::pair<at::Tensor, at::Tensor> HaarRows(const at::Tensor& x);
at::Tensor InverseHaarRows(const at::Tensor& low, const at::Tensor& high);
// The same along columns (pairs of adjacent rows), m even.
std::pair<at::Tensor, at::Tensor> HaarColumns(const at::Tensor& x);
at::Tensor InverseHaarColumns(const at::Tensor& low, const at::Tensor& high);

// Residual binarization with RMS scales: per row and pass μ = mean over the
// mask, α = sqrt(mean (x − μ)²), value μ + α·sgn(x − μ). Zero outside mask.
at::Tensor RmsResidual(const at::Tensor& x, const at::Tensor& mask, int64_t order);
// One pass with a given per-row mean `mean` [m].
at::Tensor RmsSharedMean(const at::Tensor& x, const at::Tensor& mask, const at::Tensor& mean);

// A band binarized as two groups |x| < p / |x| ≥ p, each RMS order 1.
struct BandSplit {
  at::Tensor quantized;
  std::vector<double> splits;  // row: one p per band row (fp32 values); global: one
};
// Per row, the best of 41 candidates torch.quantile(|band|, levels, dim=1)
// by row SSE; `share_mean`: both groups use the row's mean.
BandSplit RowOptimalSplit(const at::Tensor& band, bool share_mean);
// One p for the whole band: the best of the 81 break-point candidates by MSE.
BandSplit GlobalOptimalSplit(const at::Tensor& band);

// LibTorch 1.13's CPU linspace in fp32 (vectorized in lanes of 8, two
// vectors per step, scalar tail), which the references ran; LibTorch 2.11's
// kernel rounds some values differently.
std::vector<float> Torch113Linspace(float start, float end, int64_t steps);

// Each salient column j ← the mean of the non-salient columns in [j−3, j+3];
// none there: the nearest non-salient column to the left, else to the right;
// none at all: unchanged. `salient` sorted column indices.
at::Tensor FillSalientColumns(const at::Tensor& block, const std::vector<int64_t>& salient);

struct HbllmBlock {
  at::Tensor quantized;               // fp32 [m, B]
  std::vector<double> band_splits;    // per band in order: non-salient low, high, salient low, high
  std::vector<int32_t> band_lengths;  // values per band
};
// HaarBinarization.quantize of one block for a given salient column set.
HbllmBlock QuantizeHbllmBlock(const at::Tensor& block, const std::vector<int64_t>& salient,
                              const HbllmParams& params);

// BiLLM's count search on T [m, B] with columns scored by L2 or L1 norm.
[[nodiscard]] absl::StatusOr<SalientColumns> SearchHbllmSalient(const at::Tensor& target,
                                                                HbllmSalientScore score,
                                                                int64_t up_lim);

BlockQuantizer HbllmBlockQuantizer(const HbllmParams& params, const QuantOptions& options);

// The params a registered technique runs with: `method`, and salient_metric
// (l2|l1), group_partition (row|global), share_mean from
// options.technique_options.
[[nodiscard]] absl::StatusOr<HbllmParams> HbllmParamsFromOptions(HbllmMethod method,
                                                                 const QuantOptions& options);

// A whole layer. wbits_paper as the paper counts it: row-hbraq 1 + salient
// columns / cols (the salient residual is a second plane over the filled
// non-salient one), col-hbraq 1.00 (each column binarized once). partition: 2 in salient columns, 0 elsewhere;
// block_diagnostics "band_split" and "band_split_len" as the goldens.
[[nodiscard]] absl::StatusOr<LayerResult> QuantizeHbllmLayer(const LayerProblem& problem,
                                                             const QuantOptions& options,
                                                             const HbllmParams& params);

}  // namespace binq::core

#endif  // BINQ_CORE_QUANT_HBLLM_H_
