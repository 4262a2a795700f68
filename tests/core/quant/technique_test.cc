// Registry lookups, baselines, and the cases where the references crash:
// narrow last blocks, dead columns, non-positive-definite Hessians and
// non-finite inputs.
#include "core/quant/technique.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "core/quant/calibration.h"
#include "tests/testing/status_matchers.h"

namespace binq::core {
namespace {

using ::binq::testing::StatusIs;
using ::testing::HasSubstr;

const Technique& Get(const char* name) {
  auto t = TechniqueRegistry::Global().Find(name);
  EXPECT_TRUE(t.ok()) << t.status();
  return **t;
}

// A small correlated problem: W [rows, cols], H from 4·cols random inputs.
LayerProblem MakeProblem(int64_t rows, int64_t cols, uint64_t seed = 7) {
  at::manual_seed(seed);
  const at::Tensor w = at::randn({rows, cols}) * 0.02;
  const at::Tensor x = at::randn({4 * cols, cols});
  return LayerProblem{w, *HessianFromInputs(x, 32)};
}

TEST(TechniqueRegistry, FindsEveryTechniqueCaseInsensitively) {
  for (const char* name : {"braq", "BRAQ", "crb", "CRB", "crbog", "CRBOG", "Sign", "RTN"}) {
    EXPECT_TRUE(TechniqueRegistry::Global().Find(name).ok()) << name;
  }
  EXPECT_EQ(Get("crbog").name(), "CRBOG");
}

TEST(TechniqueRegistry, UnknownNameListsTheKnownOnes) {
  EXPECT_THAT(TechniqueRegistry::Global().Find("gptq9"),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       AllOf(HasSubstr("gptq9"), HasSubstr("braq"), HasSubstr("CRBOG"))));
}

TEST(ResidualBinarization, NarrowLastBlockIsSearchedWithinTheBlock) {
  // 128 + 20 columns: the reference's topk(50) would fail on the last block.
  const LayerProblem p = MakeProblem(32, 148);
  for (const char* name : {"braq", "CRBOG", "CRB"}) {
    auto r = Get(name).Quantize(p, QuantOptions{});
    ASSERT_TRUE(r.ok()) << name << ": " << r.status();
    ASSERT_EQ(r->salient_per_block.size(), 2u);
    EXPECT_GE(r->salient_per_block[1], 1);
    EXPECT_LT(r->salient_per_block[1], 20);
    EXPECT_LT(r->relative_output_error, 0.6);
    EXPECT_TRUE(r->quantized.isfinite().all().item<bool>());
  }
}

TEST(ResidualBinarization, OneColumnBlockIsSalient) {
  const LayerProblem p = MakeProblem(16, 129);
  auto r = Get("braq").Quantize(p, QuantOptions{});
  ASSERT_TRUE(r.ok()) << r.status();
  EXPECT_EQ(r->salient_per_block.back(), 1);
}

TEST(ResidualBinarization, DeadColumnsAreZeroedAndCounted) {
  LayerProblem p = MakeProblem(16, 128);
  p.hessian = p.hessian.clone();
  p.hessian.index_put_({3}, 0);
  p.hessian.index_put_({at::indexing::Slice(), 3}, 0);
  auto r = Get("CRB").Quantize(p, QuantOptions{});
  ASSERT_TRUE(r.ok()) << r.status();
  EXPECT_EQ(r->dead_columns, 1);
}

TEST(ResidualBinarization, NonPositiveDefiniteHessianIsRetriedAndReported) {
  LayerProblem p = MakeProblem(16, 128);
  // Indefinite: a large negative eigen-direction that 1% damping cannot fix.
  const at::Tensor v = at::randn({128, 1});
  p.hessian = p.hessian - 50 * v.matmul(v.t());
  QuantOptions options;
  auto r = Get("braq").Quantize(p, options);
  if (r.ok()) {
    EXPECT_GT(r->damping_retries, 0);
  } else {
    EXPECT_THAT(r, StatusIs(absl::StatusCode::kFailedPrecondition, HasSubstr("positive definite")));
  }
  options.max_damping_retries = 0;
  EXPECT_THAT(Get("braq").Quantize(p, options),
              StatusIs(absl::StatusCode::kFailedPrecondition, HasSubstr("not positive definite")));
}

TEST(ResidualBinarization, RejectsNonFiniteWeightsAndBadShapes) {
  LayerProblem p = MakeProblem(8, 128);
  p.weight = p.weight.clone();
  p.weight[2][5] = std::numeric_limits<float>::quiet_NaN();
  EXPECT_THAT(Get("CRB").Quantize(p, QuantOptions{}),
              StatusIs(absl::StatusCode::kDataLoss, HasSubstr("non-finite")));
  LayerProblem wrong = MakeProblem(8, 128);
  wrong.hessian = at::eye(64);
  EXPECT_THAT(Get("braq").Quantize(wrong, QuantOptions{}),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("hessian")));
  LayerProblem missing = MakeProblem(8, 128);
  missing.hessian = at::Tensor();
  EXPECT_THAT(Get("braq").Quantize(missing, QuantOptions{}),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("hessian")));
  QuantOptions zero_block;
  zero_block.blocksize = 0;
  EXPECT_THAT(Get("braq").Quantize(MakeProblem(8, 128), zero_block),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("blocksize")));
}

TEST(ResidualBinarization, HalfPrecisionWeightsAreQuantizedInFloat32) {
  LayerProblem p = MakeProblem(16, 128);
  auto from_f32 = Get("braq").Quantize(p, QuantOptions{});
  p.weight = p.weight.to(at::kHalf).to(at::kFloat);
  auto reference = Get("braq").Quantize(p, QuantOptions{});
  p.weight = p.weight.to(at::kHalf);
  auto from_f16 = Get("braq").Quantize(p, QuantOptions{});
  ASSERT_TRUE(from_f32.ok() && reference.ok() && from_f16.ok());
  EXPECT_TRUE(at::equal(from_f16->quantized, reference->quantized));
  EXPECT_EQ(from_f16->quantized.scalar_type(), at::kFloat);
}

TEST(ResidualBinarization, CrbBeatsBraqAndSignOnOutputError) {
  const LayerProblem p = MakeProblem(64, 256, 11);
  auto braq = Get("braq").Quantize(p, QuantOptions{});
  auto crb = Get("CRB").Quantize(p, QuantOptions{});
  auto sign = Get("sign").Quantize(p, QuantOptions{});
  ASSERT_TRUE(braq.ok() && crb.ok() && sign.ok());
  // Residual binarization with Hessian compensation beats the plain sign.
  EXPECT_LT(braq->relative_output_error, sign->relative_output_error);
  EXPECT_LT(crb->relative_output_error, sign->relative_output_error);
  EXPECT_NEAR(braq->wbits_paper, 1.0 + braq->salient_columns / 256.0, 1e-12);
}

TEST(Baselines, SignIsPerRowMeanMagnitude) {
  const at::Tensor w = at::tensor({1.0f, -3.0f, 0.0f, 2.0f}).view({2, 2});
  auto r = Get("sign").Quantize(LayerProblem{w, at::Tensor()}, QuantOptions{});
  ASSERT_TRUE(r.ok()) << r.status();
  EXPECT_TRUE(at::equal(r->quantized, at::tensor({2.0f, -2.0f, 0.0f, 1.0f}).view({2, 2})));
}

TEST(Baselines, RtnWithManyBitsIsNearlyExactAndOneBitIsCoarse) {
  const LayerProblem p = MakeProblem(16, 64);
  QuantOptions eight;
  eight.wbits = 8;
  auto fine = Get("rtn").Quantize(p, eight);
  QuantOptions two;
  two.wbits = 2;
  auto coarse = Get("rtn").Quantize(p, two);
  ASSERT_TRUE(fine.ok() && coarse.ok());
  EXPECT_LT(fine->relative_output_error, 1e-3);
  EXPECT_GT(coarse->relative_output_error, fine->relative_output_error);
  // Levels per row: at most 2^bits distinct values.
  EXPECT_LE(std::get<0>(at::_unique(coarse->quantized[0])).numel(), 4);
}

}  // namespace
}  // namespace binq::core
