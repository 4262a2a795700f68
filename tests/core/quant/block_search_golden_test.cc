// The structural search (salient count, break-point candidates, masks, search
// errors) against BiLLM's structural_guassian_distribution on the golden
// split cases, and the resulting block values.
#include "core/quant/block_search.h"

#include <cstring>

#include <gtest/gtest.h>

#include "core/quant/binarizers.h"
#include "core/quant/quantile.h"
#include "tests/core/quant/golden_case.h"

namespace binq::core {
namespace {

using testing::CountDifferent;
using testing::GoldenCase;

class SplitGoldenTest : public ::testing::TestWithParam<const char*> {};

TEST_P(SplitGoldenTest, SearchAndValuesMatchReference) {
  const GoldenCase golden(GetParam());
  ASSERT_TRUE(golden.ok());
  const at::Tensor w = golden.Get("W");
  const bool hessian = golden.Meta("salient_metric") == "hessian";
  const at::Tensor target = SaliencyTarget(
      w, hessian ? golden.Get("hdiag") : at::Tensor(),
      hessian ? SalientMetric::kHessian : SalientMetric::kMagnitude);
  auto masks_or = SearchBlockMasks(target, 50, AtenSearchErrors());
  ASSERT_TRUE(masks_or.ok()) << masks_or.status();
  const BlockMasks& masks = *masks_or;

  EXPECT_EQ(masks.n_salient, golden.Get("n_salient").item<int32_t>());
  const at::Tensor candidates = golden.Get("candidates");
  ASSERT_EQ(static_cast<int64_t>(masks.candidates.size()), candidates.numel());
  for (int64_t i = 0; i < candidates.numel(); ++i) {
    EXPECT_EQ(masks.candidates[i], candidates[i].item<double>()) << "candidate " << i;
  }
  EXPECT_EQ(masks.split, golden.Get("split").item<double>());

  const at::Tensor err_salient = golden.Get("search_err_salient");
  const at::Tensor err_split = golden.Get("search_err_split");
  ASSERT_EQ(static_cast<int64_t>(masks.salient_errors.size()), err_salient.numel());
  ASSERT_EQ(static_cast<int64_t>(masks.split_errors.size()), err_split.numel());
  for (int64_t i = 0; i < err_salient.numel(); ++i) {
    EXPECT_EQ(masks.salient_errors[i], err_salient[i].item<float>()) << "k=" << i + 1;
  }
  for (int64_t i = 0; i < err_split.numel(); ++i) {
    EXPECT_EQ(masks.split_errors[i], err_split[i].item<float>()) << "candidate " << i;
  }

  EXPECT_EQ(CountDifferent(masks.salient, golden.Get("mask").to(at::kBool)), 0);
  EXPECT_EQ(CountDifferent(masks.low, golden.Get("mask_lo").to(at::kBool)), 0);
  EXPECT_EQ(CountDifferent(masks.high, golden.Get("mask_hi").to(at::kBool)), 0);

  const at::Tensor non_salient = at::zeros_like(w) + HighOrderResidual(w, masks.low, 1) * masks.low +
                                 HighOrderResidual(w, masks.high, 1) * masks.high;
  EXPECT_EQ(CountDifferent(non_salient, golden.Get("Wq")), 0);
  const at::Tensor block = non_salient + HighOrderResidual(w, masks.salient, 2) * masks.salient;
  EXPECT_EQ(CountDifferent(block, golden.Get("Wq_block")), 0);
}

INSTANTIATE_TEST_SUITE_P(Golden, SplitGoldenTest,
                         ::testing::Values("binarizer_split_magnitude_64x128_s3031.safetensors",
                                           "binarizer_split_hessian_96x128_s3032.safetensors"));

TEST(BreakPointLevels, AreTheReferencesLinspaceBits) {
  const uint32_t expected[81] = {
      0x3dcccccd, 0x3de147ae, 0x3df5c290, 0x3e051eb8, 0x3e0f5c29, 0x3e19999a, 0x3e23d70a,
      0x3e2e147b, 0x3e3851ec, 0x3e428f5d, 0x3e4ccccd, 0x3e570a3e, 0x3e6147ae, 0x3e6b851f,
      0x3e75c290, 0x3e800000, 0x3e851eb8, 0x3e8a3d70, 0x3e8f5c29, 0x3e947ae1, 0x3e999999,
      0x3e9eb852, 0x3ea3d70a, 0x3ea8f5c2, 0x3eae147b, 0x3eb33333, 0x3eb851ec, 0x3ebd70a4,
      0x3ec28f5c, 0x3ec7ae14, 0x3ecccccd, 0x3ed1eb85, 0x3ed70a3d, 0x3edc28f5, 0x3ee147ae,
      0x3ee66666, 0x3eeb851e, 0x3ef0a3d6, 0x3ef5c28f, 0x3efae147, 0x3f000000, 0x3f028f5c,
      0x3f051eb8, 0x3f07ae14, 0x3f0a3d71, 0x3f0ccccd, 0x3f0f5c29, 0x3f11eb85, 0x3f147ae1,
      0x3f170a3d, 0x3f199999, 0x3f1c28f5, 0x3f1eb852, 0x3f2147ae, 0x3f23d70a, 0x3f266666,
      0x3f28f5c2, 0x3f2b851e, 0x3f2e147a, 0x3f30a3d6, 0x3f333333, 0x3f35c28f, 0x3f3851eb,
      0x3f3ae147, 0x3f3d70a4, 0x3f400000, 0x3f428f5c, 0x3f451eb8, 0x3f47ae15, 0x3f4a3d71,
      0x3f4ccccd, 0x3f4f5c29, 0x3f51eb85, 0x3f547ae1, 0x3f570a3d, 0x3f599999, 0x3f5c28f6,
      0x3f5eb852, 0x3f6147ae, 0x3f63d70a, 0x3f666666};
  // The list in ALGORITHMS.md §4.4 (torch 1.13 CPU). LibTorch 2.11's own
  // linspace differs from it in the last bit for some levels, which is why
  // binq keeps the table; the golden candidates below depend on it.
  const std::vector<float> levels = BreakPointLevels();
  ASSERT_EQ(levels.size(), 81u);
  for (int i = 0; i < 81; ++i) {
    uint32_t bits;
    std::memcpy(&bits, &levels[i], sizeof bits);
    EXPECT_EQ(bits, expected[i]) << "level " << i;
  }
}

TEST(NumpyLinearQuantiles, InterpolatesFromBothEnds) {
  const float sorted[] = {0.0f, 1.0f, 2.0f, 4.0f};
  // v = 3·q: q = 0.5 → v = 1.5, g = 0.5 → upper form: 2 − 1·0.5 = 1.5.
  // q = 0.1 → v ≈ 0.3 → 0 + 1·g. q = 1 → last value.
  const std::vector<double> q = NumpyLinearQuantiles(sorted, 4, {0.5f, 0.1f, 1.0f});
  EXPECT_DOUBLE_EQ(q[0], 1.5);
  EXPECT_NEAR(q[1], 0.3, 1e-7);
  EXPECT_EQ(q[2], 4.0);
}

TEST(NumpyLinearQuantiles, VirtualIndexIsFloat32OnlyForSmallSamples) {
  // N−1 = 65535 → fp32 index; N−1 = 65536 → fp64 index. With q = 0.1f the
  // fp32 product rounds differently from the fp64 one.
  const float q = 0.1f;
  std::vector<float> small(65536), large(65537);
  for (size_t i = 0; i < small.size(); ++i) small[i] = static_cast<float>(i);
  for (size_t i = 0; i < large.size(); ++i) large[i] = static_cast<float>(i);
  const double v32 = static_cast<float>(65535.0f * q);
  const double v64 = 65536.0 * static_cast<double>(q);
  EXPECT_DOUBLE_EQ(NumpyLinearQuantiles(small.data(), 65536, {q})[0], v32);
  EXPECT_DOUBLE_EQ(NumpyLinearQuantiles(large.data(), 65537, {q})[0], v64);
}

}  // namespace
}  // namespace binq::core
