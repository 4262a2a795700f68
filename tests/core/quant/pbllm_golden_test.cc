// PB-LLM (hahnyuan/PB-LLM gptq_pb) against the reference on the golden cases
// (README Part B). Binarizer cases: the low-bit quantizers' calibration and
// values, exact. Layer cases: fed the reference's H and U, the binarized mask
// and every quantizer parameter exact, the first block bit-identical, the
// rest (after LibTorch's inter-block GEMM) within 1e-5·max|W|; end to end from
// X within the same tolerance.
#include "core/quant/pbllm.h"

#include <cctype>

#include <gtest/gtest.h>

#include "absl/strings/str_cat.h"
#include "core/quant/calibration.h"
#include "tests/core/quant/golden_case.h"

namespace binq::core {
namespace {

using at::indexing::Slice;
using testing::CountDifferent;
using testing::GoldenCase;

double MaxAbsDiff(const at::Tensor& a, const at::Tensor& b) {
  return (a - b).abs().max().item<double>();
}

TEST(PbllmBinarizerGolden, EveryLowBitMethodMatchesExactly) {
  const GoldenCase golden("binarizer_pbllm_elements_48x128_s3131.safetensors");
  ASSERT_TRUE(golden.ok());
  const at::Tensor w = golden.Get("W");
  const at::Tensor mask = golden.Get("mask").to(at::kBool);
  struct Method {
    PbllmLowMethod method;
    std::string suffix;
  };
  for (const Method& m : {Method{PbllmLowMethod::kXnor, ""}, Method{PbllmLowMethod::kSign, "_sign"},
                          Method{PbllmLowMethod::k2Bit, "_2bit"},
                          Method{PbllmLowMethod::k4Bit, "_4bit"}}) {
    SCOPED_TRACE(PbllmLowMethodName(m.method));
    const LowBitQuantizer q = CalibrateLowBit(m.method, w * mask);
    EXPECT_EQ(CountDifferent(QuantizeLowBit(q, w), golden.Get("Wq" + m.suffix)), 0);
    EXPECT_EQ(CountDifferent(q.scale.flatten(), golden.Get("scale" + m.suffix)), 0);
    if (m.method == PbllmLowMethod::kXnor) {
      EXPECT_EQ(CountDifferent(q.mean.flatten(), golden.Get("mean")), 0);
    }
    if (m.method == PbllmLowMethod::k2Bit || m.method == PbllmLowMethod::k4Bit) {
      EXPECT_EQ(CountDifferent(q.zero.flatten(), golden.Get("zero" + m.suffix)), 0);
    }
  }
}

PbllmParams ParamsFromMetadata(const GoldenCase& golden) {
  PbllmParams p;
  p.low_method = *ParsePbllmLowMethod(golden.Meta("low_quant_method"));
  p.salient_metric = *ParsePbllmSalientMetric(golden.Meta("salient_metric"));
  p.low_frac = std::stod(golden.Meta("low_frac"));
  p.high_bit = std::stoi(golden.Meta("high_bit"));
  p.blocksize = std::stoll(golden.Meta("blocksize"));
  p.percdamp = std::stod(golden.Meta("percdamp"));
  return p;
}

class PbllmGoldenTest : public ::testing::TestWithParam<const char*> {
 protected:
  void SetUp() override {
    golden_ = std::make_unique<GoldenCase>(GetParam());
    ASSERT_TRUE(golden_->ok());
    params_ = ParamsFromMetadata(*golden_);
    w_ = golden_->Get("W");
    max_w_ = w_.abs().max().item<double>();
  }
  PbllmOutput Run(const at::Tensor& hessian, const at::Tensor& u = at::Tensor()) {
    auto out = QuantizePbllm(LayerProblem{w_, hessian, u}, params_);
    EXPECT_TRUE(out.ok()) << out.status();
    return out.ok() ? *out : PbllmOutput{};
  }
  void ExpectParametersMatch(const PbllmOutput& out) {
    EXPECT_EQ(CountDifferent(out.binarized, golden_->Get("mask").to(at::kBool)), 0);
    EXPECT_EQ(CountDifferent(out.high.scale.flatten(), golden_->Get("high_scale")), 0);
    EXPECT_EQ(CountDifferent(out.high.zero.flatten(), golden_->Get("high_zero")), 0);
    EXPECT_EQ(CountDifferent(out.low.scale.flatten(), golden_->Get("low_scale")), 0);
    if (golden_->Has("low_mean")) {
      EXPECT_EQ(CountDifferent(out.low.mean.flatten(), golden_->Get("low_mean")), 0);
    }
    if (golden_->Has("low_zero")) {
      EXPECT_EQ(CountDifferent(out.low.zero.flatten(), golden_->Get("low_zero")), 0);
      EXPECT_EQ(out.low.maxq, golden_->Get("low_maxq").item<int32_t>());
    }
  }

  std::unique_ptr<GoldenCase> golden_;
  PbllmParams params_;
  at::Tensor w_;
  double max_w_ = 0;
};

TEST_P(PbllmGoldenTest, StagesMatchGivenReferenceFactor) {
  const PbllmOutput out = Run(golden_->Get("H"), golden_->Get("U"));
  ASSERT_TRUE(out.layer.quantized.defined());
  ExpectParametersMatch(out);
  const at::Tensor wq = golden_->Get("Wq");
  const Slice first(0, std::min<int64_t>(params_.blocksize, w_.size(1)));
  EXPECT_EQ(CountDifferent(out.layer.quantized.index({Slice(), first}), wq.index({Slice(), first})),
            0);
  EXPECT_EQ(CountDifferent(out.handed.index({Slice(), first}),
                           golden_->Get("Wc").index({Slice(), first})), 0);
  EXPECT_LE(MaxAbsDiff(out.layer.quantized, wq), 1e-5 * max_w_);
  EXPECT_LE(MaxAbsDiff(out.handed, golden_->Get("Wc")), 1e-5 * max_w_);
  const double loss = golden_->Get("loss").item<double>();
  EXPECT_NEAR(out.layer.loss, loss, 1e-4 * loss);
}

TEST_P(PbllmGoldenTest, EndToEndFromInputsWithinTolerance) {
  auto hessian = HessianFromInputs(golden_->Get("X"), std::stoll(golden_->Meta("seqlen")));
  ASSERT_TRUE(hessian.ok()) << hessian.status();
  const PbllmOutput out = Run(*hessian);
  ASSERT_TRUE(out.layer.quantized.defined());
  ExpectParametersMatch(out);
  const double max_diff = MaxAbsDiff(out.layer.quantized, golden_->Get("Wq"));
  EXPECT_LE(max_diff, 1e-5 * max_w_) << "max |Wq − ref| / max|W| = " << max_diff / max_w_;
  RecordProperty("max_abs_diff_over_max_w", absl::StrCat(max_diff / max_w_));
  const double loss = golden_->Get("loss").item<double>();
  EXPECT_NEAR(out.layer.loss, loss, 1e-4 * loss);
  // PB-LLM's bits: binarized weights at the low method's bits, the rest at high_bit.
  const double binarized = static_cast<double>(out.binarized.sum().item<int64_t>());
  const double numel = static_cast<double>(out.binarized.numel());
  EXPECT_GT(out.layer.wbits_paper, 1.0);
  EXPECT_LT(out.layer.wbits_paper, params_.high_bit);
  if (params_.low_method == PbllmLowMethod::kXnor) {
    EXPECT_DOUBLE_EQ(out.layer.wbits_paper,
                     (binarized + (numel - binarized) * params_.high_bit) / numel);
  }
}

INSTANTIATE_TEST_SUITE_P(Golden, PbllmGoldenTest,
                         ::testing::Values("pbllm-xnor_hessian_lf0.9_64x256.safetensors",
                                           "pbllm-xnor_magnitude_lf0.9_64x256.safetensors",
                                           "pbllm-xnor_hessian_lf0.5_64x256.safetensors",
                                           "pbllm-sign_hessian_lf0.9_64x256.safetensors",
                                           "pbllm-2bit_hessian_lf0.9_64x256.safetensors",
                                           "pbllm-4bit_hessian_lf0.9_64x256.safetensors"),
                         [](const ::testing::TestParamInfo<const char*>& info) {
                           std::string name = info.param;
                           name = name.substr(0, name.rfind(".safetensors"));
                           for (char& c : name) {
                             if (!std::isalnum(static_cast<unsigned char>(c))) c = '_';
                           }
                           return name;
                         });

}  // namespace
}  // namespace binq::core
