// The search errors on the CPU: the specification of the CUDA kernels. Each
// row is handled once for all candidates (it stays in cache); the per-row
// sums are then reduced per candidate in the CUDA kernel's order.
#include "kernels/block_search.h"

#include <vector>

#include "core/base/status_macros.h"
#include "kernels/row_math.h"
#include "kernels/validate.h"

namespace binq::kernels {
namespace {

// errors[c] = mean over the block of candidate c, from row_errors[c·rows + r].
void ReduceRows(const std::vector<double>& row_errors, int64_t candidates, int64_t rows,
                int64_t cols, float* errors) {
  const row::SerialLanes lanes(rows);
  for (int64_t c = 0; c < candidates; ++c) {
    errors[c] = row::MeanOfRowErrors(lanes, row_errors.data() + c * rows, rows, cols);
  }
}

}  // namespace

absl::Status SalientSearchErrorsCpu(const SalientSearchParams& p) {
  constexpr const char* kOp = "SalientSearchErrorsCpu";
  BINQ_RETURN_IF_ERROR(ValidateSalientSearchParams(p, kOp));
  BINQ_ASSIGN_OR_RETURN(const std::vector<int32_t> ranks,
                        ColumnRanks(p.column_order, p.up_lim, p.cols, kOp));
  const int64_t candidates = p.up_lim - 1;
  std::vector<double> row_errors(static_cast<size_t>(candidates * p.rows));
  const row::SerialLanes lanes(p.cols);
  for (int64_t r = 0; r < p.rows; ++r) {
    const float* t = p.target + r * p.ld;
    for (int64_t k = 1; k <= candidates; ++k) {
      row_errors[(k - 1) * p.rows + r] = row::SalientRowError(lanes, t, ranks.data(), k);
    }
  }
  ReduceRows(row_errors, candidates, p.rows, p.cols, p.errors);
  return absl::OkStatus();
}

absl::Status SplitSearchErrorsCpu(const SplitSearchParams& p) {
  BINQ_RETURN_IF_ERROR(ValidateSplitSearchParams(p, "SplitSearchErrorsCpu"));
  const int64_t candidates = p.n_thresholds;
  std::vector<double> row_errors(static_cast<size_t>(candidates * p.rows));
  const row::SerialLanes lanes(p.cols);
  for (int64_t r = 0; r < p.rows; ++r) {
    const float* t = p.target + r * p.ld;
    const row::ResidualFit<1> salient = row::FitSalientPart(lanes, t, p.salient_columns);
    for (int64_t k = 0; k < candidates; ++k) {
      row_errors[k * p.rows + r] =
          row::SplitRowError(lanes, t, p.salient_columns, salient, p.thresholds[k]);
    }
  }
  ReduceRows(row_errors, candidates, p.rows, p.cols, p.errors);
  return absl::OkStatus();
}

}  // namespace binq::kernels
