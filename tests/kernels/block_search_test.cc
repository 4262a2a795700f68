// SalientSearchErrorsCpu / SplitSearchErrorsCpu — the search errors'
// specification — against compositions of BinarizeRowsCpu and on bad
// arguments (the golden comparison is in block_search_golden_test.cc).
#include "kernels/block_search.h"

#include <cmath>
#include <string>
#include <vector>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "kernels/binarize.h"
#include "tests/kernels/kernel_test_util.h"
#include "tests/testing/status_matchers.h"

namespace binq::kernels {
namespace {

using ::binq::testing::SalientErrors;
using ::binq::testing::SplitErrors;
using ::binq::testing::IsOk;
using ::binq::testing::StatusIs;
using ::testing::HasSubstr;

// ---------------------------------------------------------------------------
// The fused errors equal MSEs of BinarizeRowsCpu compositions (§4.3, §4.4).

double Mse(const std::vector<float>& t, const std::vector<float>& q) {
  double sum = 0;
  for (size_t i = 0; i < t.size(); ++i) {
    const float e = t[i] - q[i];
    sum += static_cast<double>(e * e);
  }
  return sum / static_cast<double>(t.size());
}

std::vector<float> Braq(const std::vector<float>& x, const std::vector<uint8_t>& mask,
                        int64_t rows, int64_t cols, int order) {
  std::vector<float> out(x.size());
  const testing::Variant v{"braq", BinarizeMethod::kBraq, order};
  EXPECT_THAT(BinarizeRowsCpu(testing::MakeParams(v, x.data(), mask.data(), out.data(), rows, cols)),
              IsOk());
  return out;
}

TEST(KernelsBlockSearchTest, FusedErrorsEqualComposedBinarizers) {
  const int64_t rows = 23, cols = 70, up_lim = 12;
  const std::vector<float> w = testing::RandomWeights(rows, cols, 51);
  std::vector<float> d(cols);
  for (int64_t j = 0; j < cols; ++j) d[j] = 0.5f + 0.01f * static_cast<float>(j % 13);
  const std::vector<float> t = testing::HessianSaliency(w, d, rows, cols);
  const std::vector<int64_t> order = testing::TopColumns(t, rows, cols, up_lim);

  const std::vector<float> salient_errors = SalientErrors(t, rows, cols, order);
  std::vector<uint8_t> salient(cols, 0);
  for (int64_t k = 1; k < up_lim; ++k) {
    salient[order[k - 1]] = 1;
    std::vector<uint8_t> m(rows * cols), not_m(rows * cols);
    for (int64_t i = 0; i < rows * cols; ++i) {
      m[i] = salient[i % cols];
      not_m[i] = !m[i];
    }
    const std::vector<float> a = Braq(t, m, rows, cols, 2), b = Braq(t, not_m, rows, cols, 2);
    std::vector<float> q(t.size());
    for (size_t i = 0; i < q.size(); ++i) q[i] = a[i] + b[i];
    EXPECT_NEAR(salient_errors[k - 1], Mse(t, q), 1e-6 * Mse(t, q)) << "k = " << k;
  }

  // Break-point errors with 5 salient columns.
  std::fill(salient.begin(), salient.end(), 0);
  for (int64_t i = 0; i < 5; ++i) salient[order[i]] = 1;
  const std::vector<float> thresholds = testing::QuantileThresholds(t, salient, rows, cols);
  const std::vector<float> split_errors = SplitErrors(t, rows, cols, salient, thresholds);
  std::vector<uint8_t> m2(rows * cols);
  for (int64_t i = 0; i < rows * cols; ++i) m2[i] = salient[i % cols];
  const std::vector<float> g2 = Braq(t, m2, rows, cols, 2);
  for (size_t k = 0; k < thresholds.size(); ++k) {
    std::vector<uint8_t> m0(rows * cols), m1(rows * cols);
    for (int64_t i = 0; i < rows * cols; ++i) {
      m1[i] = !m2[i] && std::abs(t[i]) >= thresholds[k];
      m0[i] = !m2[i] && std::abs(t[i]) < thresholds[k];
    }
    const std::vector<float> g0 = Braq(t, m0, rows, cols, 1), g1 = Braq(t, m1, rows, cols, 1);
    std::vector<float> q(t.size());
    for (size_t i = 0; i < q.size(); ++i) q[i] = (g0[i] + g1[i]) + g2[i];
    EXPECT_NEAR(split_errors[k], Mse(t, q), 1e-6 * Mse(t, q)) << "k = " << k;
  }
}

TEST(KernelsBlockSearchTest, ExactFitsGiveZeroError) {
  // Two values per row: each non-salient group is constant, R₁ is exact.
  const int64_t rows = 4, cols = 6;
  std::vector<float> t(rows * cols);
  for (int64_t i = 0; i < rows * cols; ++i) t[i] = (i % 2) ? 0.5f : 2.0f;
  const std::vector<uint8_t> salient = {0, 0, 0, 0, 0, 1};
  const std::vector<float> errors = SplitErrors(t, rows, cols, salient, {1.0f});
  EXPECT_EQ(errors[0], 0.0f);
}

TEST(KernelsBlockSearchTest, NothingToEvaluate) {
  const std::vector<float> t = {1.0f, 2.0f, 3.0f};
  float sentinel = 42.0f;
  SalientSearchParams sp;
  sp.target = t.data();
  sp.ld = sp.cols = 3;
  sp.rows = 1;
  const int64_t order[] = {2};
  sp.column_order = order;
  sp.up_lim = 1;  // no count to try
  sp.errors = &sentinel;
  EXPECT_THAT(SalientSearchErrorsCpu(sp), IsOk());
  SplitSearchParams pp;
  pp.target = t.data();
  pp.ld = pp.cols = 3;
  pp.rows = 1;
  const uint8_t salient[] = {0, 0, 1};
  pp.salient_columns = salient;
  pp.n_thresholds = 0;
  pp.errors = &sentinel;
  EXPECT_THAT(SplitSearchErrorsCpu(pp), IsOk());
  EXPECT_EQ(sentinel, 42.0f);
}

TEST(KernelsBlockSearchTest, RejectsBadArguments) {
  const std::vector<float> t(12, 1.0f);
  std::vector<float> errors(4);
  SalientSearchParams sp;
  sp.target = t.data();
  sp.ld = sp.cols = 4;
  sp.rows = 3;
  sp.errors = errors.data();
  const int64_t out_of_range[] = {1, 4};
  sp.column_order = out_of_range;
  sp.up_lim = 2;
  EXPECT_THAT(SalientSearchErrorsCpu(sp),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       HasSubstr("SalientSearchErrorsCpu: column_order[1] = 4 outside")));
  const int64_t repeated[] = {1, 3, 1};
  sp.column_order = repeated;
  sp.up_lim = 3;
  EXPECT_THAT(SalientSearchErrorsCpu(sp),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("repeated")));
  sp.up_lim = 5;
  EXPECT_THAT(SalientSearchErrorsCpu(sp),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("up_lim 5")));
  sp.up_lim = 2;
  sp.ld = 3;
  EXPECT_THAT(SalientSearchErrorsCpu(sp),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("row stride")));

  SplitSearchParams pp;
  pp.target = t.data();
  pp.ld = pp.cols = 4;
  pp.rows = 3;
  pp.errors = errors.data();
  const uint8_t salient[] = {0, 1, 0, 0};
  pp.salient_columns = salient;
  pp.n_thresholds = 2;  // thresholds null
  EXPECT_THAT(SplitSearchErrorsCpu(pp),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("null thresholds")));
  pp.rows = 0;
  EXPECT_THAT(SplitSearchErrorsCpu(pp),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("empty target")));
}

}  // namespace
}  // namespace binq::kernels
