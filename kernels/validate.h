// Argument checks shared by the CPU twins and the CUDA entry points (internal
// to binq::kernels). Each returns INVALID_ARGUMENT prefixed with `op`.
#ifndef BINQ_KERNELS_VALIDATE_H_
#define BINQ_KERNELS_VALIDATE_H_

#include <cstdint>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "kernels/binarize.h"
#include "kernels/block_search.h"

namespace binq::kernels {

// Rank of a column not in the salient search's column order.
inline constexpr int32_t kUnrankedColumn = INT32_MAX;

[[nodiscard]] absl::Status ValidateBinarizeParams(const BinarizeParams& params, const char* op);
[[nodiscard]] absl::Status ValidateSalientSearchParams(const SalientSearchParams& params,
                                                       const char* op);
[[nodiscard]] absl::Status ValidateSplitSearchParams(const SplitSearchParams& params,
                                                     const char* op);

// ranks[j] = position of column j in `order` (host memory, `up_lim` entries),
// kUnrankedColumn for columns not listed; column j is salient for count k iff
// ranks[j] < k. INVALID_ARGUMENT for an entry outside [0, cols) or repeated.
absl::StatusOr<std::vector<int32_t>> ColumnRanks(const int64_t* order, int64_t up_lim,
                                                 int64_t cols, const char* op);

}  // namespace binq::kernels

#endif  // BINQ_KERNELS_VALIDATE_H_
