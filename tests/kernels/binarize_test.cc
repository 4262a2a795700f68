// BinarizeRowsCpu — the binarizers' specification — on the edge cases of
// ALGORITHMS.md §4.1, §5, §6, on strides and on bad arguments (the golden
// comparison is in binarize_golden_test.cc).
#include "kernels/binarize.h"

#include <cctype>
#include <cmath>
#include <limits>
#include <string>
#include <vector>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/kernels/kernel_test_util.h"
#include "tests/testing/status_matchers.h"

namespace binq::kernels {
namespace {

using ::binq::testing::AllVariants;
using ::binq::testing::Compare;
using ::binq::testing::IsOk;
using ::binq::testing::MakeParams;
using ::binq::testing::StatusIs;
using ::binq::testing::Variant;
using ::testing::HasSubstr;

constexpr float kNaN = std::numeric_limits<float>::quiet_NaN();

// Runs the CPU twin on a packed block; the output starts as NaN so that an
// entry left unwritten fails every comparison.
std::vector<float> RunCpu(const Variant& v, const std::vector<float>& x,
                          const std::vector<uint8_t>& mask, int64_t rows, int64_t cols) {
  std::vector<float> out(x.size(), kNaN);
  EXPECT_THAT(BinarizeRowsCpu(MakeParams(v, x.data(), mask.data(), out.data(), rows, cols)),
              IsOk());
  return out;
}

// ---------------------------------------------------------------------------
// Edge cases, for every method and order.

class KernelsBinarizeEdgeTest : public ::testing::TestWithParam<Variant> {};

TEST_P(KernelsBinarizeEdgeTest, EmptyRowIsAllZeros) {
  const std::vector<float> x = {0.5f, -1.0f, 3.0f, 0.25f};
  const std::vector<uint8_t> mask(4, 0);
  EXPECT_THAT(RunCpu(GetParam(), x, mask, 1, 4), ::testing::Each(0.0f));
}

TEST_P(KernelsBinarizeEdgeTest, OneElementGroupIsReproduced) {
  const std::vector<float> x = {0.5f, -0.0371f, 3.0f, 0.25f, -7.5f};
  const std::vector<uint8_t> mask = {0, 1, 0, 0, 0};
  EXPECT_THAT(RunCpu(GetParam(), x, mask, 1, 5),
              ::testing::ElementsAre(0.0f, -0.0371f, 0.0f, 0.0f, 0.0f));
}

TEST_P(KernelsBinarizeEdgeTest, AllEqualRowGivesTheValue) {
  // 7 × 0.25 sums exactly, so the mean is exactly 0.25 and every sign is 0.
  const std::vector<float> x(7, 0.25f);
  const std::vector<uint8_t> mask(7, 1);
  EXPECT_THAT(RunCpu(GetParam(), x, mask, 1, 7), ::testing::Each(0.25f));
}

TEST_P(KernelsBinarizeEdgeTest, EntryAtTheMeanGetsTheMean) {
  // sign(0) = 0: the middle entry equals the row mean (0) and keeps it; the
  // row is symmetric, so the outer entries come out as ±v.
  const std::vector<float> x = {-0.015f, 0.0f, 0.015f, 9.0f};
  const std::vector<uint8_t> mask = {1, 1, 1, 0};
  const std::vector<float> out = RunCpu(GetParam(), x, mask, 1, 4);
  EXPECT_EQ(out[1], 0.0f);
  EXPECT_EQ(out[0], -out[2]);
  EXPECT_GT(out[2], 0.0f);
  EXPECT_EQ(out[3], 0.0f);
}

TEST_P(KernelsBinarizeEdgeTest, EntriesOutsideTheMaskAreNotRead) {
  const int64_t rows = 9, cols = 37;
  std::vector<float> x = testing::RandomWeights(rows, cols, 11);
  const std::vector<uint8_t> mask = testing::RandomMask(rows, cols, 0.4, 12);
  const std::vector<float> before = RunCpu(GetParam(), x, mask, rows, cols);
  for (size_t i = 0; i < x.size(); ++i) {
    if (!mask[i]) x[i] = (i % 2) ? kNaN : 1e30f;
  }
  const std::vector<float> after = RunCpu(GetParam(), x, mask, rows, cols);
  EXPECT_EQ(Compare(before, after).identical, static_cast<int64_t>(x.size()));
  for (size_t i = 0; i < x.size(); ++i) {
    if (!mask[i]) {
      EXPECT_EQ(after[i], 0.0f) << i;
    }
  }
}

TEST_P(KernelsBinarizeEdgeTest, RowStridesAreHonoured) {
  const int64_t rows = 5, cols = 33, ld = 40;
  const std::vector<float> x = testing::RandomWeights(rows, cols, 21);
  const std::vector<uint8_t> mask = testing::RandomMask(rows, cols, 0.5, 22);
  const std::vector<float> packed = RunCpu(GetParam(), x, mask, rows, cols);

  std::vector<float> xs(rows * ld, 123.0f), outs(rows * ld, -5.0f);
  std::vector<uint8_t> ms(rows * ld, 1);
  for (int64_t r = 0; r < rows; ++r) {
    for (int64_t j = 0; j < cols; ++j) {
      xs[r * ld + j] = x[r * cols + j];
      ms[r * ld + j] = mask[r * cols + j];
    }
  }
  BinarizeParams p = MakeParams(GetParam(), xs.data(), ms.data(), outs.data(), rows, cols);
  p.ldx = p.ldm = p.ldo = ld;
  ASSERT_THAT(BinarizeRowsCpu(p), IsOk());
  for (int64_t r = 0; r < rows; ++r) {
    for (int64_t j = 0; j < ld; ++j) {
      if (j < cols) {
        EXPECT_EQ(outs[r * ld + j], packed[r * cols + j]) << r << "," << j;
      } else {
        EXPECT_EQ(outs[r * ld + j], -5.0f) << "padding written at " << r << "," << j;
      }
    }
  }
}

INSTANTIATE_TEST_SUITE_P(AllMethods, KernelsBinarizeEdgeTest, ::testing::ValuesIn(AllVariants()),
                         [](const ::testing::TestParamInfo<Variant>& info) {
                           std::string name = info.param.name;
                           for (char& c : name) {
                             if (!std::isalnum(static_cast<unsigned char>(c))) c = '_';
                           }
                           return name;
                         });

// ---------------------------------------------------------------------------
// Method-specific behaviour.

TEST(KernelsBinarizeTest, BraqOrderOneValues) {
  // μ = 0, α = mean|x| = 0.03 / 3 in fp32: {−α, 0, α}.
  const std::vector<float> x = {-0.015f, 0.0f, 0.015f};
  const std::vector<float> out =
      RunCpu({"braq/1", BinarizeMethod::kBraq, 1}, x, std::vector<uint8_t>(3, 1), 1, 3);
  const float alpha = (0.015f + 0.015f) / 3.0f;
  EXPECT_THAT(out, ::testing::ElementsAre(-alpha, 0.0f, alpha));
}

TEST(KernelsBinarizeTest, BraqSkipsNanInsideTheMaskLikeNanmean) {
  // §4.1: a NaN inside the mask is left out of μ and α and receives the sum
  // of the pass means; the other entries are binarized as without it.
  const std::vector<float> with_nan = {1.0f, 2.0f, kNaN, 5.0f};
  const std::vector<float> without = {1.0f, 2.0f, 0.0f, 5.0f};
  const std::vector<uint8_t> all = {1, 1, 1, 1}, no_nan = {1, 1, 0, 1};
  for (int order : {1, 2}) {
    SCOPED_TRACE(order);
    const Variant v{"braq", BinarizeMethod::kBraq, order};
    const std::vector<float> a = RunCpu(v, with_nan, all, 1, 4);
    const std::vector<float> b = RunCpu(v, without, no_nan, 1, 4);
    EXPECT_EQ(a[0], b[0]);
    EXPECT_EQ(a[1], b[1]);
    EXPECT_EQ(a[3], b[3]);
    EXPECT_FALSE(std::isnan(a[2]));
  }
  // Order 1: the NaN entry gets μ = 8/3.
  const std::vector<float> a = RunCpu({"braq", BinarizeMethod::kBraq, 1}, with_nan, all, 1, 4);
  EXPECT_EQ(a[2], 8.0f / 3.0f);
}

TEST(KernelsBinarizeTest, OrderOneOfEveryMethodIsBraqR1) {
  // §5, §6.1, §6.2: the order-1 paths equal braq's R₁ (by value; CRB-current
  // has its own formula, the others share braq's code).
  const int64_t rows = 17, cols = 129;
  const std::vector<float> x = testing::RandomWeights(rows, cols, 31);
  const std::vector<uint8_t> mask = testing::RandomMask(rows, cols, 0.3, 32);
  const std::vector<float> braq = RunCpu({"braq", BinarizeMethod::kBraq, 1}, x, mask, rows, cols);
  for (BinarizeMethod m :
       {BinarizeMethod::kCrbog, BinarizeMethod::kCrb, BinarizeMethod::kCrbPaper2025}) {
    const std::vector<float> other = RunCpu({"other", m, 1}, x, mask, rows, cols);
    EXPECT_EQ(Compare(other, braq).identical, rows * cols) << static_cast<int>(m);
  }
}

TEST(KernelsBinarizeTest, CrbVariantsDiffer) {
  // The switches and the per-row variant change the values on a real-sized
  // salient group (guards against a switch being ignored).
  const int64_t rows = 64, cols = 128;
  const std::vector<float> x = testing::RandomWeights(rows, cols, 41);
  const std::vector<uint8_t> mask = testing::RandomMask(rows, cols, 0.3, 42);
  const std::vector<float> crb = RunCpu({"crb", BinarizeMethod::kCrb, 2}, x, mask, rows, cols);
  for (const Variant& v : {Variant{"skip", BinarizeMethod::kCrb, 2, true, false},
                           Variant{"sym", BinarizeMethod::kCrb, 2, false, true},
                           Variant{"paper", BinarizeMethod::kCrbPaper2025, 2},
                           Variant{"crbog", BinarizeMethod::kCrbog, 2},
                           Variant{"braq", BinarizeMethod::kBraq, 2}}) {
    EXPECT_LT(Compare(RunCpu(v, x, mask, rows, cols), crb).identical, rows * cols) << v.name;
  }
}

TEST(KernelsBinarizeTest, EmptyShapesAreNoOps) {
  BinarizeParams p;  // every pointer null
  p.order = 2;
  EXPECT_THAT(BinarizeRowsCpu(p), IsOk());
  p.rows = 3;  // cols = 0
  EXPECT_THAT(BinarizeRowsCpu(p), IsOk());
}

TEST(KernelsBinarizeTest, RejectsBadArguments) {
  std::vector<float> x(6, 1.0f), out(6);
  std::vector<uint8_t> mask(6, 1);
  const Variant v{"braq", BinarizeMethod::kBraq, 1};
  BinarizeParams p = MakeParams(v, x.data(), mask.data(), out.data(), 2, 3);

  BinarizeParams bad = p;
  bad.order = 3;
  EXPECT_THAT(BinarizeRowsCpu(bad), StatusIs(absl::StatusCode::kInvalidArgument,
                                             HasSubstr("BinarizeRowsCpu: order must be 1 or 2")));
  bad = p;
  bad.x = nullptr;
  EXPECT_THAT(BinarizeRowsCpu(bad),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("null")));
  bad = p;
  bad.ldo = 2;
  EXPECT_THAT(BinarizeRowsCpu(bad),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("row strides")));
  bad = p;
  bad.rows = -1;
  EXPECT_THAT(BinarizeRowsCpu(bad),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("negative size")));
  bad = p;
  bad.method = static_cast<BinarizeMethod>(7);
  EXPECT_THAT(BinarizeRowsCpu(bad),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("unknown method")));
}

}  // namespace
}  // namespace binq::kernels
