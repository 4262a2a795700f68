#include "kernels/validate.h"

#include "absl/strings/str_cat.h"

namespace binq::kernels {
namespace {

absl::Status Invalid(const char* op, const std::string& what) {
  return absl::InvalidArgumentError(absl::StrCat(op, ": ", what));
}

// T's shape and stride, common to both searches.
absl::Status ValidateTarget(const float* target, int64_t ld, int64_t rows, int64_t cols,
                            const float* errors, const char* op) {
  if (target == nullptr || errors == nullptr) return Invalid(op, "null target or errors");
  if (rows < 1 || cols < 1) {
    return Invalid(op, absl::StrCat("empty target [", rows, ", ", cols, "]"));
  }
  if (ld < cols) return Invalid(op, absl::StrCat("row stride ", ld, " < cols ", cols));
  return absl::OkStatus();
}

}  // namespace

absl::Status ValidateBinarizeParams(const BinarizeParams& p, const char* op) {
  if (p.rows < 0 || p.cols < 0) {
    return Invalid(op, absl::StrCat("negative size [", p.rows, ", ", p.cols, "]"));
  }
  if (p.ldx < p.cols || p.ldm < p.cols || p.ldo < p.cols) {
    return Invalid(op, absl::StrCat("row strides (", p.ldx, ", ", p.ldm, ", ", p.ldo,
                                    ") must be >= cols ", p.cols));
  }
  if (p.order != 1 && p.order != 2) {
    return Invalid(op, absl::StrCat("order must be 1 or 2, got ", p.order));
  }
  switch (p.method) {
    case BinarizeMethod::kBraq:
    case BinarizeMethod::kCrbog:
    case BinarizeMethod::kCrb:
    case BinarizeMethod::kCrbPaper2025:
      break;
    default:
      return Invalid(op, absl::StrCat("unknown method ", static_cast<int>(p.method)));
  }
  if (p.rows > 0 && p.cols > 0 && (p.x == nullptr || p.mask == nullptr || p.out == nullptr)) {
    return Invalid(op, "null x, mask or out");
  }
  return absl::OkStatus();
}

absl::Status ValidateSalientSearchParams(const SalientSearchParams& p, const char* op) {
  if (absl::Status s = ValidateTarget(p.target, p.ld, p.rows, p.cols, p.errors, op); !s.ok()) {
    return s;
  }
  if (p.column_order == nullptr) return Invalid(op, "null column_order");
  if (p.up_lim < 1 || p.up_lim > p.cols) {
    return Invalid(op, absl::StrCat("up_lim ", p.up_lim, " outside [1, cols = ", p.cols, "]"));
  }
  return absl::OkStatus();
}

absl::Status ValidateSplitSearchParams(const SplitSearchParams& p, const char* op) {
  if (absl::Status s = ValidateTarget(p.target, p.ld, p.rows, p.cols, p.errors, op); !s.ok()) {
    return s;
  }
  if (p.salient_columns == nullptr) return Invalid(op, "null salient_columns");
  if (p.n_thresholds < 0) return Invalid(op, absl::StrCat("n_thresholds ", p.n_thresholds, " < 0"));
  if (p.n_thresholds > 0 && p.thresholds == nullptr) return Invalid(op, "null thresholds");
  return absl::OkStatus();
}

absl::StatusOr<std::vector<int32_t>> ColumnRanks(const int64_t* order, int64_t up_lim,
                                                 int64_t cols, const char* op) {
  std::vector<int32_t> ranks(static_cast<size_t>(cols), kUnrankedColumn);
  for (int64_t i = 0; i < up_lim; ++i) {
    const int64_t j = order[i];
    if (j < 0 || j >= cols) {
      return Invalid(op, absl::StrCat("column_order[", i, "] = ", j, " outside [0, ", cols, ")"));
    }
    if (ranks[j] != kUnrankedColumn) {
      return Invalid(op, absl::StrCat("column ", j, " repeated in column_order (positions ",
                                      ranks[j], " and ", i, ")"));
    }
    ranks[j] = static_cast<int32_t>(i);
  }
  return ranks;
}

}  // namespace binq::kernels
