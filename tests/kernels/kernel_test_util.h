// Shared helpers of the kernel tests: variants of the binarizers, random
// blocks shaped like the golden ones, comparisons and the search argmins.
// Test-only; no LibTorch.
#ifndef BINQ_TESTS_KERNELS_KERNEL_TEST_UTIL_H_
#define BINQ_TESTS_KERNELS_KERNEL_TEST_UTIL_H_

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <cstring>
#include <numeric>
#include <random>
#include <string>
#include <vector>

#include "gtest/gtest.h"
#include "kernels/binarize.h"
#include "kernels/block_search.h"
#include "tests/testing/status_matchers.h"

namespace binq::testing {

// One configuration of BinarizeRows.
struct Variant {
  std::string name;
  kernels::BinarizeMethod method;
  int order;
  bool skip_refinement = false;
  bool symmetric_damp = false;
};

// Every method and order, plus CRB-current's two switches.
inline std::vector<Variant> AllVariants() {
  using kernels::BinarizeMethod;
  return {
      {"braq/1", BinarizeMethod::kBraq, 1},
      {"braq/2", BinarizeMethod::kBraq, 2},
      {"CRBOG/1", BinarizeMethod::kCrbog, 1},
      {"CRBOG/2", BinarizeMethod::kCrbog, 2},
      {"CRB/1", BinarizeMethod::kCrb, 1},
      {"CRB/2", BinarizeMethod::kCrb, 2},
      {"CRB/2/skip_refinement", BinarizeMethod::kCrb, 2, true, false},
      {"CRB/2/symmetric_damp", BinarizeMethod::kCrb, 2, false, true},
      {"CRB-paper2025/1", BinarizeMethod::kCrbPaper2025, 1},
      {"CRB-paper2025/2", BinarizeMethod::kCrbPaper2025, 2},
  };
}

inline kernels::BinarizeParams MakeParams(const Variant& v, const float* x, const uint8_t* mask,
                                          float* out, int64_t rows, int64_t cols) {
  kernels::BinarizeParams p;
  p.x = x;
  p.mask = mask;
  p.out = out;
  p.rows = rows;
  p.cols = p.ldx = p.ldm = p.ldo = cols;
  p.method = v.method;
  p.order = v.order;
  p.skip_refinement = v.skip_refinement;
  p.symmetric_damp = v.symmetric_damp;
  return p;
}

// Weights like the golden files' W: normal(0, 0.02), a few columns scaled by
// U(4, 10), rows·cols/200 entries scaled by U(3, 8).
inline std::vector<float> RandomWeights(int64_t rows, int64_t cols, uint32_t seed) {
  std::mt19937 rng(seed);
  std::normal_distribution<float> normal(0.0f, 0.02f);
  std::vector<float> w(static_cast<size_t>(rows * cols));
  for (float& v : w) v = normal(rng);
  if (rows * cols == 0) return w;
  std::uniform_int_distribution<int64_t> col(0, cols - 1), entry(0, rows * cols - 1);
  std::uniform_real_distribution<float> col_scale(4.0f, 10.0f), entry_scale(3.0f, 8.0f);
  for (int64_t i = 0; i < std::max<int64_t>(2, cols / 32); ++i) {
    const int64_t j = col(rng);
    const float s = col_scale(rng);
    for (int64_t r = 0; r < rows; ++r) w[r * cols + j] *= s;
  }
  for (int64_t i = 0; i < rows * cols / 200; ++i) w[entry(rng)] *= entry_scale(rng);
  return w;
}

// Bernoulli(p) mask with hand-made rows where the shape allows: row 0 empty,
// row 1 a single entry, row 2 full.
inline std::vector<uint8_t> RandomMask(int64_t rows, int64_t cols, double p, uint32_t seed) {
  std::mt19937 rng(seed);
  std::bernoulli_distribution in(p);
  std::vector<uint8_t> mask(static_cast<size_t>(rows * cols));
  for (uint8_t& m : mask) m = in(rng) ? 1 : 0;
  if (rows >= 3 && cols >= 1) {
    std::fill(mask.begin(), mask.begin() + cols, 0);
    std::fill(mask.begin() + cols, mask.begin() + 2 * cols, 0);
    mask[cols + cols / 2] = 1;
    std::fill(mask.begin() + 2 * cols, mask.begin() + 3 * cols, 1);
  }
  return mask;
}

struct DiffStats {
  double max_abs = 0;     // max |a − b| (NaN counts as infinite)
  int64_t identical = 0;  // a == b, or both NaN
  int64_t count = 0;
};

inline DiffStats Compare(const std::vector<float>& a, const std::vector<float>& b) {
  DiffStats s;
  s.count = static_cast<int64_t>(std::min(a.size(), b.size()));
  for (int64_t i = 0; i < s.count; ++i) {
    if (a[i] == b[i] || (std::isnan(a[i]) && std::isnan(b[i]))) {
      ++s.identical;
      continue;
    }
    const double d = std::abs(static_cast<double>(a[i]) - b[i]);
    s.max_abs = std::max(s.max_abs, std::isnan(d) ? INFINITY : d);
  }
  return s;
}

inline float MaxAbs(const std::vector<float>& v) {
  float m = 0;
  for (float x : v) m = std::max(m, std::abs(x));
  return m;
}

// The search choice: index of the first strict minimum, NaN never chosen;
// -1 when every value is NaN.
inline int64_t FirstArgmin(const std::vector<float>& errors) {
  int64_t best = -1;
  for (int64_t i = 0; i < static_cast<int64_t>(errors.size()); ++i) {
    if (std::isnan(errors[i])) continue;
    if (best < 0 || errors[i] < errors[best]) best = i;
  }
  return best;
}

// Saliency for the hessian metric: T = W² / d² per column, in fp32.
inline std::vector<float> HessianSaliency(const std::vector<float>& w, const std::vector<float>& d,
                                          int64_t rows, int64_t cols) {
  std::vector<float> t(w.size());
  for (int64_t r = 0; r < rows; ++r) {
    for (int64_t j = 0; j < cols; ++j) {
      const float v = w[r * cols + j];
      t[r * cols + j] = (v * v) / (d[j] * d[j]);
    }
  }
  return t;
}

// The `up_lim` columns with the largest Σ_r |T_rj| (fp32 sums in row order),
// descending; ties keep the lower index.
inline std::vector<int64_t> TopColumns(const std::vector<float>& t, int64_t rows, int64_t cols,
                                       int64_t up_lim) {
  std::vector<float> score(static_cast<size_t>(cols), 0.0f);
  for (int64_t r = 0; r < rows; ++r) {
    for (int64_t j = 0; j < cols; ++j) score[j] += std::abs(t[r * cols + j]);
  }
  std::vector<int64_t> idx(static_cast<size_t>(cols));
  std::iota(idx.begin(), idx.end(), 0);
  std::stable_sort(idx.begin(), idx.end(), [&](int64_t a, int64_t b) { return score[a] > score[b]; });
  idx.resize(static_cast<size_t>(up_lim));
  return idx;
}

// 81 break-point candidates: NumPy-style linear quantiles (fp64 arithmetic) of
// the non-salient |T| sample at linspace(0.1, 0.9, 81), rounded to fp32.
inline std::vector<float> QuantileThresholds(const std::vector<float>& t,
                                             const std::vector<uint8_t>& salient, int64_t rows,
                                             int64_t cols) {
  std::vector<float> a;
  for (int64_t r = 0; r < rows; ++r) {
    for (int64_t j = 0; j < cols; ++j) a.push_back(salient[j] ? 0.0f : std::abs(t[r * cols + j]));
  }
  std::sort(a.begin(), a.end());
  std::vector<float> out;
  const double n1 = static_cast<double>(a.size() - 1);
  for (int k = 0; k <= 80; ++k) {
    const double v = n1 * (0.1 + 0.01 * k);
    const int64_t i = static_cast<int64_t>(std::floor(v));
    const double g = v - static_cast<double>(i);
    const double x = i + 1 < static_cast<int64_t>(a.size()) ? a[i] + (a[i + 1] - a[i]) * g : a[i];
    out.push_back(static_cast<float>(x));
  }
  return out;
}

// SalientSearchErrorsCpu on a packed T; errors[k − 1] for k = 1 … |order| − 1.
inline std::vector<float> SalientErrors(const std::vector<float>& t, int64_t rows, int64_t cols,
                                        const std::vector<int64_t>& order) {
  std::vector<float> errors(order.size() > 1 ? order.size() - 1 : 0, NAN);
  kernels::SalientSearchParams p;
  p.target = t.data();
  p.ld = p.cols = cols;
  p.rows = rows;
  p.column_order = order.data();
  p.up_lim = static_cast<int64_t>(order.size());
  p.errors = errors.data();
  EXPECT_THAT(kernels::SalientSearchErrorsCpu(p), IsOk());
  return errors;
}

// SplitSearchErrorsCpu on a packed T; one error per threshold.
inline std::vector<float> SplitErrors(const std::vector<float>& t, int64_t rows, int64_t cols,
                                      const std::vector<uint8_t>& salient,
                                      const std::vector<float>& thresholds) {
  std::vector<float> errors(thresholds.size(), NAN);
  kernels::SplitSearchParams p;
  p.target = t.data();
  p.ld = p.cols = cols;
  p.rows = rows;
  p.salient_columns = salient.data();
  p.thresholds = thresholds.data();
  p.n_thresholds = static_cast<int64_t>(thresholds.size());
  p.errors = errors.data();
  EXPECT_THAT(kernels::SplitSearchErrorsCpu(p), IsOk());
  return errors;
}

}  // namespace binq::testing

#endif  // BINQ_TESTS_KERNELS_KERNEL_TEST_UTIL_H_
