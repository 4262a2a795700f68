// Whole-layer parity with the references (BiLLM/CRB fasterquant) on the golden
// layer cases. Tolerance: Wq within 1e-5·max|W| elementwise (issue #2). Stage
// by stage: the Hessian from X, then — fed the reference's own H, to separate
// BLAS differences from the rest — U, the salient counts, the split points,
// the partition map and the values.
#include <gtest/gtest.h>

#include "core/quant/calibration.h"
#include "core/quant/technique.h"
#include "tests/core/quant/golden_case.h"

namespace binq::core {
namespace {

using testing::CountDifferent;
using testing::GoldenCase;

struct LayerCase {
  const char* file;
  const char* technique;
  SalientMetric metric;
};

class LayerGoldenTest : public ::testing::TestWithParam<LayerCase> {
 protected:
  void SetUp() override {
    golden_ = std::make_unique<GoldenCase>(GetParam().file);
    ASSERT_TRUE(golden_->ok());
    auto technique = TechniqueRegistry::Global().Find(GetParam().technique);
    ASSERT_TRUE(technique.ok()) << technique.status();
    technique_ = *technique;
    options_.salient_metric = GetParam().metric;
    options_.backend = Backend::kAten;
    w_ = golden_->Get("W");
    max_w_ = w_.abs().max().item<double>();
  }

  LayerResult Run(const at::Tensor& hessian, const at::Tensor& u = at::Tensor()) {
    auto result = technique_->Quantize(LayerProblem{w_, hessian, u}, options_);
    EXPECT_TRUE(result.ok()) << result.status();
    return result.ok() ? *result : LayerResult{};
  }

  std::unique_ptr<GoldenCase> golden_;
  const Technique* technique_ = nullptr;
  QuantOptions options_;
  at::Tensor w_;
  double max_w_ = 0;
};

TEST_P(LayerGoldenTest, HessianFromInputsMatches) {
  const int64_t seqlen = std::stoll(golden_->Meta("seqlen"));
  auto hessian = HessianFromInputs(golden_->Get("X"), seqlen);
  ASSERT_TRUE(hessian.ok()) << hessian.status();
  const at::Tensor expected = golden_->Get("H");
  const double scale = expected.abs().max().item<double>();
  EXPECT_LE((*hessian - expected).abs().max().item<double>(), 1e-6 * scale);
}

TEST_P(LayerGoldenTest, OurFactorOfTheReferenceHessianMatchesItsU) {
  const LayerResult r = Run(golden_->Get("H"));
  ASSERT_TRUE(r.quantized.defined());
  // LibTorch's LAPACK/BLAS differ from the reference's in the last bits of U
  // and of the compensation GEMMs; the result stays well inside tolerance.
  const double max_diff = (r.quantized - golden_->Get("Wq")).abs().max().item<double>();
  EXPECT_LE(max_diff, 1e-5 * max_w_);
  EXPECT_EQ(CountDifferent(r.partition, golden_->Get("partition")), 0);
}

TEST_P(LayerGoldenTest, StagesMatchGivenReferenceFactor) {
  // Fed the reference's own H and U: only binq's search, binarizers, block
  // loop and the compensation GEMM remain: counts and the partition map must
  // match exactly, block 0's split point too.
  const LayerResult r = Run(golden_->Get("H"), golden_->Get("U"));
  ASSERT_TRUE(r.quantized.defined());
  const at::Tensor n_salient = golden_->Get("n_salient");
  const at::Tensor split = golden_->Get("split");
  ASSERT_EQ(static_cast<int64_t>(r.salient_per_block.size()), n_salient.numel());
  for (int64_t b = 0; b < n_salient.numel(); ++b) {
    EXPECT_EQ(r.salient_per_block[b], n_salient[b].item<int32_t>()) << "block " << b;
    if (b == 0) {
      EXPECT_EQ(r.split_per_block[b], split[b].item<double>()) << "block 0";
    } else {
      // Later blocks start from weights compensated by a fp32 GEMM
      // (err · U[s:e, e:]); MKL and the reference BLAS sum in different
      // orders, which moves the percentile candidates by ~1e-6 relative
      // (measured ≤ 3e-6) while every mask and count stays the same.
      EXPECT_NEAR(r.split_per_block[b], split[b].item<double>(),
                  2e-5 * std::abs(split[b].item<double>()))
          << "block " << b;
    }
  }
  EXPECT_EQ(CountDifferent(r.partition, golden_->Get("partition")), 0);
  const double max_diff = (r.quantized - golden_->Get("Wq")).abs().max().item<double>();
  EXPECT_LE(max_diff, 1e-5 * max_w_);
  RecordProperty("max_abs_diff_over_max_w", std::to_string(max_diff / max_w_));
  const double loss = golden_->Get("loss").item<double>();
  EXPECT_NEAR(r.loss, loss, 1e-4 * loss);
}

TEST_P(LayerGoldenTest, EndToEndFromInputsWithinTolerance) {
  const int64_t seqlen = std::stoll(golden_->Meta("seqlen"));
  auto hessian = HessianFromInputs(golden_->Get("X"), seqlen);
  ASSERT_TRUE(hessian.ok()) << hessian.status();
  const LayerResult r = Run(*hessian);
  ASSERT_TRUE(r.quantized.defined());
  const double max_diff = (r.quantized - golden_->Get("Wq")).abs().max().item<double>();
  EXPECT_LE(max_diff, 1e-5 * max_w_) << "max |Wq − ref| / max|W| = " << max_diff / max_w_;
  const double loss = golden_->Get("loss").item<double>();
  EXPECT_NEAR(r.loss, loss, 1e-4 * loss);
  EXPECT_GT(r.relative_output_error, 0);
  EXPECT_LT(r.relative_output_error, 1);
}

TEST_P(LayerGoldenTest, FusedKernelCpuTwinWithinTolerance) {
  // binq's fused kernels sum in double instead of PyTorch's cascade order:
  // same masks and counts here, values within the layer tolerance.
  options_.backend = Backend::kKernels;
  const LayerResult r = Run(golden_->Get("H"), golden_->Get("U"));
  ASSERT_TRUE(r.quantized.defined());
  EXPECT_EQ(r.backend, "kernels-cpu");
  EXPECT_EQ(CountDifferent(r.partition, golden_->Get("partition")), 0);
  const double max_diff = (r.quantized - golden_->Get("Wq")).abs().max().item<double>();
  EXPECT_LE(max_diff, 1e-5 * max_w_);
  RecordProperty("kernels_max_abs_diff_over_max_w", std::to_string(max_diff / max_w_));
}

INSTANTIATE_TEST_SUITE_P(
    Golden, LayerGoldenTest,
    ::testing::Values(
        LayerCase{"braq_hessian_64x256.safetensors", "braq", SalientMetric::kHessian},
        LayerCase{"braq_magnitude_64x256.safetensors", "braq", SalientMetric::kMagnitude},
        LayerCase{"CRBOG_hessian_64x256.safetensors", "CRBOG", SalientMetric::kHessian},
        LayerCase{"CRB_hessian_64x256.safetensors", "CRB", SalientMetric::kHessian},
        LayerCase{"braq_hessian_128x384.safetensors", "braq", SalientMetric::kHessian},
        LayerCase{"braq_magnitude_128x384.safetensors", "braq", SalientMetric::kMagnitude},
        LayerCase{"CRBOG_hessian_128x384.safetensors", "CRBOG", SalientMetric::kHessian},
        LayerCase{"CRB_hessian_128x384.safetensors", "CRB", SalientMetric::kHessian}),
    [](const ::testing::TestParamInfo<LayerCase>& info) {
      std::string name = info.param.file;
      name = name.substr(0, name.find('.'));
      return name;
    });

}  // namespace
}  // namespace binq::core
