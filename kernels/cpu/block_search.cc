#include "kernels/block_search.h"

#include <cmath>
#include <vector>

#include "kernels/cpu/row_binarizers.h"

namespace binq::kernels {
namespace {

bool Valid(const float* target, int64_t ld, int64_t rows, int64_t cols, const float* errors) {
  return target != nullptr && errors != nullptr && rows > 0 && cols > 0 && ld >= cols;
}

}  // namespace

absl::Status SalientSearchErrorsCpu(const SalientSearchParams& p) {
  if (!Valid(p.target, p.ld, p.rows, p.cols, p.errors) || p.column_order == nullptr ||
      p.up_lim < 1 || p.up_lim > p.cols) {
    return absl::InvalidArgumentError("SalientSearchErrors: null pointer or inconsistent sizes");
  }
  std::vector<uint8_t> salient(p.cols), rest(p.cols);
  std::vector<float> a(p.cols), b(p.cols);
  for (int64_t k = 1; k < p.up_lim; ++k) {
    std::fill(salient.begin(), salient.end(), 0);
    for (int64_t i = 0; i < k; ++i) salient[p.column_order[i]] = 1;
    for (int64_t j = 0; j < p.cols; ++j) rest[j] = !salient[j];
    double sum = 0;
    for (int64_t r = 0; r < p.rows; ++r) {
      const float* t = p.target + r * p.ld;
      cpu::ResidualRow(t, salient.data(), p.cols, 2, a.data());
      cpu::ResidualRow(t, rest.data(), p.cols, 2, b.data());
      for (int64_t j = 0; j < p.cols; ++j) {
        const float e = t[j] - (a[j] + b[j]);
        sum += static_cast<double>(e * e);
      }
    }
    p.errors[k - 1] = static_cast<float>(sum / static_cast<double>(p.rows * p.cols));
  }
  return absl::OkStatus();
}

absl::Status SplitSearchErrorsCpu(const SplitSearchParams& p) {
  if (!Valid(p.target, p.ld, p.rows, p.cols, p.errors) || p.salient_columns == nullptr ||
      p.thresholds == nullptr || p.n_thresholds < 0) {
    return absl::InvalidArgumentError("SplitSearchErrors: null pointer or inconsistent sizes");
  }
  // The salient part does not depend on the threshold: once per row.
  std::vector<float> salient_part(p.rows * p.cols);
  for (int64_t r = 0; r < p.rows; ++r) {
    cpu::ResidualRow(p.target + r * p.ld, p.salient_columns, p.cols, 2, &salient_part[r * p.cols]);
  }
  std::vector<uint8_t> low(p.cols), high(p.cols);
  std::vector<float> a(p.cols), b(p.cols);
  for (int64_t k = 0; k < p.n_thresholds; ++k) {
    const float threshold = p.thresholds[k];
    double sum = 0;
    for (int64_t r = 0; r < p.rows; ++r) {
      const float* t = p.target + r * p.ld;
      for (int64_t j = 0; j < p.cols; ++j) {
        const bool non_salient = !p.salient_columns[j];
        const float magnitude = non_salient ? std::fabs(t[j]) : 0.0f;
        high[j] = non_salient && magnitude >= threshold;
        low[j] = non_salient && magnitude < threshold;
      }
      cpu::ResidualRow(t, low.data(), p.cols, 1, a.data());
      cpu::ResidualRow(t, high.data(), p.cols, 1, b.data());
      for (int64_t j = 0; j < p.cols; ++j) {
        const float e = t[j] - ((a[j] + b[j]) + salient_part[r * p.cols + j]);
        sum += static_cast<double>(e * e);
      }
    }
    p.errors[k] = static_cast<float>(sum / static_cast<double>(p.rows * p.cols));
  }
  return absl::OkStatus();
}

}  // namespace binq::kernels
