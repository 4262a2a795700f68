// SalientSearchErrorsCpu / SplitSearchErrorsCpu — the search errors'
// specification — against BiLLM's own search errors and choices
// (tests/data/golden/binarizer_split_*.safetensors). Errors agree with the
// reference to ~1e-7 relative (double vs fp32 cascade sums); the choices
// (k*, break-point, masks) must be the same.
#include <algorithm>
#include <cmath>
#include <iostream>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "kernels/binarize.h"
#include "kernels/block_search.h"
#include "tests/kernels/golden_reader.h"
#include "tests/kernels/kernel_test_util.h"
#include "tests/testing/status_matchers.h"

namespace binq::kernels {
namespace {

using ::binq::testing::FirstArgmin;
using ::binq::testing::GoldenFile;
using ::binq::testing::GoldenPath;
using ::binq::testing::IsOk;
using ::binq::testing::SalientErrors;
using ::binq::testing::SplitErrors;

constexpr int64_t kUpLim = 50;

// max_k |a_k − b_k| / |b_k|; also counts bit-identical entries.
double MaxRelDiff(const std::vector<float>& a, const std::vector<float>& b, int64_t* identical) {
  double worst = 0;
  *identical = 0;
  for (size_t i = 0; i < a.size(); ++i) {
    if (a[i] == b[i]) ++*identical;
    worst = std::max(worst, std::abs(static_cast<double>(a[i]) - b[i]) / std::abs(b[i]));
  }
  return worst;
}

// ---------------------------------------------------------------------------
// Golden split-search files.

class KernelsBlockSearchGoldenTest : public ::testing::TestWithParam<const char*> {
 protected:
  void SetUp() override {
    BINQ_ASSERT_OK_AND_ASSIGN(file_, GoldenFile::Open(GoldenPath(GetParam())));
    BINQ_ASSERT_OK_AND_ASSIGN(w_, file_.F32("W"));
    BINQ_ASSERT_OK_AND_ASSIGN(const std::vector<int64_t> shape, file_.Shape("W"));
    ASSERT_EQ(shape.size(), 2u);
    rows_ = shape[0];
    cols_ = shape[1];
    if (file_.Meta("salient_metric") == "hessian") {
      BINQ_ASSERT_OK_AND_ASSIGN(const std::vector<float> hdiag, file_.F32("hdiag"));
      target_ = testing::HessianSaliency(w_, hdiag, rows_, cols_);
    } else {
      ASSERT_EQ(file_.Meta("salient_metric"), "magnitude");
      target_ = w_;
    }
    // The chosen salient columns: whole columns of `mask`.
    BINQ_ASSERT_OK_AND_ASSIGN(const std::vector<uint8_t> mask, file_.U8("mask"));
    salient_.assign(mask.begin(), mask.begin() + cols_);
    for (int64_t r = 0; r < rows_; ++r) {
      for (int64_t j = 0; j < cols_; ++j) ASSERT_EQ(mask[r * cols_ + j], salient_[j]);
    }
  }

  void Report(const std::string& what, const std::vector<float>& ours,
              const std::vector<float>& ref) {
    int64_t identical = 0;
    const double rel = MaxRelDiff(ours, ref, &identical);
    EXPECT_LE(rel, 1e-5) << what;
    const std::string line =
        absl::StrCat(identical, "/", ref.size(), " bit-identical, max rel diff = ", rel);
    RecordProperty(what, line);
    std::cout << "[golden] " << GetParam() << " " << what << ": " << line << "\n";
  }

  GoldenFile file_;
  std::vector<float> w_, target_;
  std::vector<uint8_t> salient_;
  int64_t rows_ = 0, cols_ = 0;
};

TEST_P(KernelsBlockSearchGoldenTest, SalientCountSearch) {
  BINQ_ASSERT_OK_AND_ASSIGN(const std::vector<float> ref, file_.F32("search_err_salient"));
  BINQ_ASSERT_OK_AND_ASSIGN(const std::vector<int32_t> n_salient, file_.I32("n_salient"));
  ASSERT_EQ(ref.size(), static_cast<size_t>(kUpLim - 1));
  const std::vector<int64_t> order = testing::TopColumns(target_, rows_, cols_, kUpLim);
  const std::vector<float> ours = SalientErrors(target_, rows_, cols_, order);
  Report("search_err_salient", ours, ref);

  // k* = first strict minimum; its top-k* columns are the file's mask.
  const int64_t k = FirstArgmin(ours) + 1;
  EXPECT_EQ(k, FirstArgmin(ref) + 1);
  EXPECT_EQ(k, n_salient.at(0));
  std::vector<uint8_t> chosen(cols_, 0);
  for (int64_t i = 0; i < k; ++i) chosen[order[i]] = 1;
  EXPECT_EQ(chosen, salient_);
}

TEST_P(KernelsBlockSearchGoldenTest, BreakPointSearch) {
  BINQ_ASSERT_OK_AND_ASSIGN(const std::vector<float> ref, file_.F32("search_err_split"));
  BINQ_ASSERT_OK_AND_ASSIGN(const std::vector<double> candidates, file_.F64("candidates"));
  BINQ_ASSERT_OK_AND_ASSIGN(const std::vector<double> split, file_.F64("split"));
  ASSERT_EQ(candidates.size(), 81u);
  // The comparison with the fp64 candidate happens in fp32 (§4.4 step 5).
  std::vector<float> thresholds(candidates.begin(), candidates.end());
  const std::vector<float> ours = SplitErrors(target_, rows_, cols_, salient_, thresholds);
  Report("search_err_split", ours, ref);

  const int64_t best = FirstArgmin(ours);
  ASSERT_GE(best, 0);
  EXPECT_EQ(best, FirstArgmin(ref));
  EXPECT_EQ(candidates[best], split.at(0));

  // The groups of that break-point are the file's masks.
  BINQ_ASSERT_OK_AND_ASSIGN(const std::vector<uint8_t> lo, file_.U8("mask_lo"));
  BINQ_ASSERT_OK_AND_ASSIGN(const std::vector<uint8_t> hi, file_.U8("mask_hi"));
  for (int64_t r = 0; r < rows_; ++r) {
    for (int64_t j = 0; j < cols_; ++j) {
      const size_t i = r * cols_ + j;
      const bool high = !salient_[j] && std::abs(target_[i]) >= thresholds[best];
      ASSERT_EQ(hi[i], high ? 1 : 0) << r << "," << j;
      ASSERT_EQ(lo[i], !salient_[j] && !high ? 1 : 0) << r << "," << j;
    }
  }
}

TEST_P(KernelsBlockSearchGoldenTest, BlockValuesFromTheChosenMasks) {
  // Wq = R₁(W, lo) + R₁(W, hi); Wq_block = Wq + R₂(W, mask): braq values of
  // the three groups, from the weights (not the saliency).
  BINQ_ASSERT_OK_AND_ASSIGN(const std::vector<uint8_t> lo, file_.U8("mask_lo"));
  BINQ_ASSERT_OK_AND_ASSIGN(const std::vector<uint8_t> hi, file_.U8("mask_hi"));
  BINQ_ASSERT_OK_AND_ASSIGN(const std::vector<uint8_t> sal, file_.U8("mask"));
  BINQ_ASSERT_OK_AND_ASSIGN(const std::vector<float> wq_ref, file_.F32("Wq"));
  BINQ_ASSERT_OK_AND_ASSIGN(const std::vector<float> block_ref, file_.F32("Wq_block"));
  auto run = [&](const std::vector<uint8_t>& mask, int order) {
    std::vector<float> out(w_.size());
    const testing::Variant v{"braq", BinarizeMethod::kBraq, order};
    EXPECT_THAT(
        BinarizeRowsCpu(testing::MakeParams(v, w_.data(), mask.data(), out.data(), rows_, cols_)),
        IsOk());
    return out;
  };
  const std::vector<float> g0 = run(lo, 1), g1 = run(hi, 1), g2 = run(sal, 2);
  std::vector<float> wq(w_.size()), block(w_.size());
  for (size_t i = 0; i < w_.size(); ++i) {
    wq[i] = (0.0f + g0[i]) + g1[i];
    block[i] = wq[i] + g2[i];
  }
  const float scale = testing::MaxAbs(w_);
  const testing::DiffStats d1 = testing::Compare(wq, wq_ref);
  const testing::DiffStats d2 = testing::Compare(block, block_ref);
  EXPECT_LE(d1.max_abs, 1e-6 * scale);
  EXPECT_LE(d2.max_abs, 1e-6 * scale);
  std::cout << "[golden] " << GetParam() << " Wq: " << d1.identical << "/" << d1.count
            << " bit-identical; Wq_block: " << d2.identical << "/" << d2.count
            << " bit-identical, max|diff|/max|W| = " << d2.max_abs / scale << "\n";
}

INSTANTIATE_TEST_SUITE_P(Golden, KernelsBlockSearchGoldenTest,
                         ::testing::Values("binarizer_split_magnitude_64x128_s3031.safetensors",
                                           "binarizer_split_hessian_96x128_s3032.safetensors"),
                         [](const ::testing::TestParamInfo<const char*>& info) {
                           return std::string(info.param).find("hessian") != std::string::npos
                                      ? "hessian"
                                      : "magnitude";
                         });

}  // namespace
}  // namespace binq::kernels
