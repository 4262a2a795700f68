// GPTQ n-bit and RTN against the IST-DASLab/gptq reference on the golden
// cases (README Part B). Tolerance: Wq within 1e-5·max|W|. Stage by stage: fed
// the reference's own H and U, the act-order permutation, the first processed
// block (values, codes, the parameters of its group) must be bit-identical —
// later blocks start from the inter-block GEMM, where LibTorch's BLAS sums in
// another order than the reference's — and the rest within tolerance.
#include "core/quant/gptq.h"

#include <algorithm>

#include <gtest/gtest.h>

#include "absl/strings/str_cat.h"
#include "core/quant/calibration.h"
#include "core/quant/minmax_quantizer.h"
#include "tests/core/quant/golden_case.h"

namespace binq::core {
namespace {

using at::indexing::Slice;
using testing::CountDifferent;
using testing::GoldenCase;

GptqParams ParamsFromMetadata(const GoldenCase& golden) {
  GptqParams p;
  p.wbits = std::stoi(golden.Meta("bits"));
  p.groupsize = std::stoll(golden.Meta("groupsize"));
  p.sym = golden.Meta("sym") == "True";
  p.act_order = golden.Meta("act_order") == "True";
  p.static_groups = golden.Meta("static_groups") == "True";
  p.blocksize = std::stoll(golden.Meta("blocksize"));
  p.percdamp = std::stod(golden.Meta("percdamp"));
  return p;
}

double MaxAbsDiff(const at::Tensor& a, const at::Tensor& b) {
  return (a - b).abs().max().item<double>();
}

// scale·(codes − zero) per group of processed columns, back in the original order.
at::Tensor Rebuild(const GptqOutput& out, int64_t groupsize) {
  const int64_t cols = out.codes.size(1);
  at::Tensor codes = out.codes.to(at::kFloat);
  if (out.perm.defined()) codes = codes.index_select(1, out.perm);
  const int64_t g = groupsize == -1 ? cols : groupsize;
  at::Tensor q = at::empty_like(codes);
  for (int64_t k = 0; k * g < cols; ++k) {
    const Slice cols_k(k * g, std::min((k + 1) * g, cols));
    const at::Tensor scale = out.scale[k].unsqueeze(1), zero = out.zero[k].unsqueeze(1);
    q.index_put_({Slice(), cols_k}, scale * (codes.index({Slice(), cols_k}) - zero));
  }
  return out.perm.defined() ? q.index_select(1, at::argsort(out.perm)) : q;
}

class GptqGoldenTest : public ::testing::TestWithParam<const char*> {
 protected:
  void SetUp() override {
    golden_ = std::make_unique<GoldenCase>(GetParam());
    ASSERT_TRUE(golden_->ok());
    params_ = ParamsFromMetadata(*golden_);
    w_ = golden_->Get("W");
    max_w_ = w_.abs().max().item<double>();
  }
  GptqOutput Run(const at::Tensor& hessian, const at::Tensor& u = at::Tensor()) {
    auto out = QuantizeGptq(LayerProblem{w_, hessian, u}, params_);
    EXPECT_TRUE(out.ok()) << out.status();
    return out.ok() ? *out : GptqOutput{};
  }

  std::unique_ptr<GoldenCase> golden_;
  GptqParams params_;
  at::Tensor w_;
  double max_w_ = 0;
};

TEST_P(GptqGoldenTest, StagesMatchGivenReferenceFactor) {
  const GptqOutput out = Run(golden_->Get("H"), golden_->Get("U"));
  ASSERT_TRUE(out.layer.quantized.defined());
  const at::Tensor wq = golden_->Get("Wq");
  at::Tensor first_block = at::arange(std::min<int64_t>(params_.blocksize, w_.size(1)));
  if (params_.act_order) {
    ASSERT_TRUE(out.perm.defined());
    EXPECT_EQ(CountDifferent(out.perm, golden_->Get("perm").to(at::kLong)), 0);
    first_block = out.perm.index({Slice(0, first_block.numel())});
  } else {
    EXPECT_FALSE(out.perm.defined());
  }
  auto block0 = [&](const at::Tensor& t) { return t.index_select(1, first_block); };
  EXPECT_EQ(CountDifferent(block0(out.layer.quantized), block0(wq)), 0);
  EXPECT_EQ(CountDifferent(block0(out.handed), block0(golden_->Get("Wc"))), 0);
  EXPECT_EQ(CountDifferent(out.codes, golden_->Get("codes")), 0);
  const at::Tensor scale = golden_->Get("scale"), zero = golden_->Get("zero");
  ASSERT_EQ(out.scale.sizes(), scale.sizes());
  EXPECT_EQ(CountDifferent(out.scale[0], scale[0]), 0);
  EXPECT_EQ(CountDifferent(out.zero, zero), 0);
  EXPECT_LE(MaxAbsDiff(out.scale, scale), 1e-5 * scale.abs().max().item<double>());
  EXPECT_LE(MaxAbsDiff(out.layer.quantized, wq), 1e-5 * max_w_);
  EXPECT_LE(MaxAbsDiff(out.handed, golden_->Get("Wc")), 1e-5 * max_w_);
  const double loss = golden_->Get("loss").item<double>();
  EXPECT_NEAR(out.layer.loss, loss, 1e-4 * loss);
  // The codes and the group parameters rebuild the weights exactly.
  EXPECT_EQ(CountDifferent(Rebuild(out, params_.groupsize), out.layer.quantized), 0);
}

TEST_P(GptqGoldenTest, OurFactorOfTheReferenceHessianWithinTolerance) {
  const GptqOutput out = Run(golden_->Get("H"));
  ASSERT_TRUE(out.layer.quantized.defined());
  EXPECT_LE(MaxAbsDiff(out.layer.quantized, golden_->Get("Wq")), 1e-5 * max_w_);
  const double loss = golden_->Get("loss").item<double>();
  EXPECT_NEAR(out.layer.loss, loss, 1e-4 * loss);
}

TEST_P(GptqGoldenTest, EndToEndFromInputsWithinTolerance) {
  auto hessian = HessianFromInputs(golden_->Get("X"), std::stoll(golden_->Meta("seqlen")));
  ASSERT_TRUE(hessian.ok()) << hessian.status();
  const GptqOutput out = Run(*hessian);
  ASSERT_TRUE(out.layer.quantized.defined());
  const double max_diff = MaxAbsDiff(out.layer.quantized, golden_->Get("Wq"));
  EXPECT_LE(max_diff, 1e-5 * max_w_) << "max |Wq − ref| / max|W| = " << max_diff / max_w_;
  RecordProperty("max_abs_diff_over_max_w", absl::StrCat(max_diff / max_w_));
  const double loss = golden_->Get("loss").item<double>();
  EXPECT_NEAR(out.layer.loss, loss, 1e-4 * loss);
  EXPECT_GT(out.layer.relative_output_error, 0);
  EXPECT_LT(out.layer.relative_output_error, 1);
  EXPECT_EQ(out.layer.wbits_paper, params_.wbits);
}

INSTANTIATE_TEST_SUITE_P(Golden, GptqGoldenTest,
                         ::testing::Values("gptq_w4g128_64x256.safetensors",
                                           "gptq_w3g128_sym_act_64x256.safetensors",
                                           "gptq_w2g128_64x256.safetensors",
                                           "gptq_w3_sym_64x256.safetensors",
                                           "gptq_w4_act_128x384.safetensors"),
                         [](const ::testing::TestParamInfo<const char*>& info) {
                           std::string name = info.param;
                           return name.substr(0, name.find('.'));
                         });

class RtnGoldenTest : public ::testing::TestWithParam<const char*> {};

TEST_P(RtnGoldenTest, MatchesReferenceExactly) {
  const GoldenCase golden(GetParam());
  ASSERT_TRUE(golden.ok());
  RtnParams params;
  params.wbits = std::stoi(golden.Meta("bits"));
  params.groupsize = std::stoll(golden.Meta("groupsize"));
  params.sym = golden.Meta("sym") == "True";
  auto out = RoundToNearest(golden.Get("W"), params);
  ASSERT_TRUE(out.ok()) << out.status();
  EXPECT_EQ(CountDifferent(out->quantized, golden.Get("Wq")), 0);
  EXPECT_EQ(CountDifferent(out->scale, golden.Get("scale")), 0);
  EXPECT_EQ(CountDifferent(out->zero, golden.Get("zero")), 0);
  EXPECT_EQ(CountDifferent(out->codes, golden.Get("codes")), 0);
}

INSTANTIATE_TEST_SUITE_P(Golden, RtnGoldenTest,
                         ::testing::Values("rtn_w4_64x256.safetensors",
                                           "rtn_w3_sym_64x256.safetensors"),
                         [](const ::testing::TestParamInfo<const char*>& info) {
                           std::string name = info.param;
                           return name.substr(0, name.find('.'));
                         });

}  // namespace
}  // namespace binq::core
