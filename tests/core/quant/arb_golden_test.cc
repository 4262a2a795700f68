// ARB-LLM (arb, arb-x, arb-rc, CGB) against the reference's outputs
// (golden README Part B): the binarizers exactly; the layer cases stage by
// stage — block 0's candidates, CGB threshold, split, salient count exactly;
// the partition map exactly; Wq within 1e-5·max|W| (issue #9).
#include "core/quant/arb.h"

#include <gtest/gtest.h>

#include "core/quant/block_search.h"
#include "core/quant/calibration.h"
#include "tests/core/quant/golden_case.h"

namespace binq::core {
namespace {

using at::indexing::Slice;
using testing::CountDifferent;
using testing::GoldenCase;

std::vector<double> ToVector(const at::Tensor& t) {
  const at::Tensor c = t.to(at::kDouble).contiguous();
  return std::vector<double>(c.data_ptr<double>(), c.data_ptr<double>() + c.numel());
}

class ArbBinarizerGoldenTest : public ::testing::TestWithParam<const char*> {};

TEST_P(ArbBinarizerGoldenTest, MatchesReferenceExactly) {
  const GoldenCase golden(GetParam());
  ASSERT_TRUE(golden.ok());
  const at::Tensor w = golden.Get("W");
  const at::Tensor mask = golden.Get("mask").to(at::kBool);
  const at::Tensor s = golden.Get("S");
  const std::map<std::string, at::Tensor> ours = {
      {"Wq", ArbResidual(w, mask, 2)},           {"Wq_order1", ArbResidual(w, mask, 1)},
      {"Wq_x", ArbXResidual(w, mask, 2, s)},     {"Wq_x_order1", ArbXResidual(w, mask, 1, s)},
      {"Wq_rc", ArbRcResidual(w, mask, 2)},      {"Wq_rc_order1", ArbRcResidual(w, mask, 1)}};
  for (const auto& [name, tensor] : ours) {
    const at::Tensor expected = golden.Get(name);
    EXPECT_EQ(CountDifferent(tensor, expected), 0)
        << name << ": max |diff| " << (tensor - expected).abs().max().item<float>();
    EXPECT_EQ(CountDifferent(tensor * ~mask, at::zeros_like(tensor)), 0) << name;
    EXPECT_TRUE(tensor.isfinite().all().item<bool>()) << name;
  }
}

INSTANTIATE_TEST_SUITE_P(Golden, ArbBinarizerGoldenTest,
                         ::testing::Values("binarizer_arb_columns_64x128_s3101.safetensors",
                                           "binarizer_arb_elements_48x128_s3102.safetensors"));

TEST(ArbBinarizer, DefaultIterationCountReproducesReference) {
  // 15 rounds, the reference's default; fewer rounds give other values.
  const GoldenCase golden("binarizer_arb_columns_64x128_s3101.safetensors");
  ASSERT_TRUE(golden.ok());
  const at::Tensor w = golden.Get("W");
  const at::Tensor mask = golden.Get("mask").to(at::kBool);
  const at::Tensor q = ArbResidual(w, mask, 1);
  EXPECT_EQ(CountDifferent(q, golden.Get("Wq_order1")), 0);
  EXPECT_GT(CountDifferent(ArbResidual(w, mask, 1, 3), q), 0);
}

struct LayerCase {
  const char* file;
  ArbMethod method;
  bool cgb;
  SalientMetric metric;
};

class ArbLayerGoldenTest : public ::testing::TestWithParam<LayerCase> {
 protected:
  void SetUp() override {
    golden_ = std::make_unique<GoldenCase>(GetParam().file);
    ASSERT_TRUE(golden_->ok());
    params_.method = GetParam().method;
    params_.order2_group = GetParam().cgb;
    options_.salient_metric = GetParam().metric;
    options_.backend = Backend::kAten;
    w_ = golden_->Get("W");
    max_w_ = w_.abs().max().item<double>();
  }

  // The file's S [blocks, 128, 128] as a block-diagonal [cols, cols].
  at::Tensor GramFromFile() const {
    const at::Tensor s = golden_->Get("S");
    const int64_t cols = w_.size(1);
    at::Tensor gram = at::zeros({cols, cols}, at::kFloat);
    for (int64_t b = 0; b < s.size(0); ++b) {
      const int64_t lo = b * 128;
      const int64_t hi = std::min(lo + 128, cols);
      gram.index_put_({Slice(lo, hi), Slice(lo, hi)}, s[b].index({Slice(0, hi - lo), Slice(0, hi - lo)}));
    }
    return gram;
  }

  LayerResult Run(const LayerProblem& problem) {
    auto result = QuantizeArbLayer(problem, options_, params_);
    EXPECT_TRUE(result.ok()) << result.status();
    return result.ok() ? *result : LayerResult{};
  }

  void ExpectWithinTolerance(const LayerResult& r) {
    ASSERT_TRUE(r.quantized.defined());
    const double max_diff = (r.quantized - golden_->Get("Wq")).abs().max().item<double>();
    EXPECT_LE(max_diff, 1e-5 * max_w_) << "max |Wq − ref| / max|W| = " << max_diff / max_w_;
    const double loss = golden_->Get("loss").item<double>();
    EXPECT_NEAR(r.loss, loss, 1e-4 * loss);
  }

  std::unique_ptr<GoldenCase> golden_;
  ArbParams params_;
  QuantOptions options_;
  at::Tensor w_;
  double max_w_ = 0;
};

TEST_P(ArbLayerGoldenTest, FirstBlockSearchMatchesExactly) {
  // Block 0 is the uncompensated weight: every search result is exact.
  const at::Tensor block = w_.index({Slice(), Slice(0, 128)});
  const at::Tensor d = golden_->Get("U").diagonal().index({Slice(0, 128)});
  const at::Tensor target = SaliencyTarget(block, d, options_.salient_metric);
  const at::Tensor gram = params_.method == ArbMethod::kArbX ? golden_->Get("S")[0] : at::Tensor();
  auto masks = SearchArbMasks(target, params_, gram, 50);
  ASSERT_TRUE(masks.ok()) << masks.status();
  EXPECT_EQ(masks->n_salient, golden_->Get("n_salient")[0].item<int32_t>());
  EXPECT_EQ(masks->candidates, ToVector(golden_->Get("split_candidates")[0]));
  EXPECT_EQ(masks->split, golden_->Get("split")[0].item<double>());
  if (params_.order2_group) {
    EXPECT_EQ(masks->cgb_candidates, ToVector(golden_->Get("cgb_candidates")[0]));
    EXPECT_EQ(masks->cgb_split, golden_->Get("cgb_split")[0].item<double>());
  }
  EXPECT_EQ(CountDifferent(ArbPartitionCodes(*masks),
                           golden_->Get("partition").index({Slice(), Slice(0, 128)})),
            0);
  EXPECT_FALSE(masks->fallback);
}

TEST_P(ArbLayerGoldenTest, StagesMatchGivenReferenceFactor) {
  LayerProblem problem{w_, golden_->Get("H"), golden_->Get("U")};
  if (params_.method == ArbMethod::kArbX) problem.input_gram = GramFromFile();
  const LayerResult r = Run(problem);
  ASSERT_TRUE(r.quantized.defined());
  const at::Tensor n_salient = golden_->Get("n_salient");
  const at::Tensor split = golden_->Get("split");
  ASSERT_EQ(static_cast<int64_t>(r.salient_per_block.size()), n_salient.numel());
  for (int64_t b = 0; b < n_salient.numel(); ++b) {
    EXPECT_EQ(r.salient_per_block[b], n_salient[b].item<int32_t>()) << "block " << b;
    // Later blocks start from weights compensated by an fp32 GEMM whose
    // summation order differs between MKL and the reference BLAS (~1e-6).
    EXPECT_NEAR(r.split_per_block[b], split[b].item<double>(),
                2e-5 * std::abs(split[b].item<double>()))
        << "block " << b;
    if (params_.order2_group) {
      const double cgb = golden_->Get("cgb_split")[b].item<double>();
      EXPECT_NEAR(r.block_diagnostics.at("cgb_split")[b], cgb, 2e-5 * cgb) << "block " << b;
    }
  }
  EXPECT_EQ(r.split_per_block[0], split[0].item<double>());
  EXPECT_EQ(CountDifferent(r.partition, golden_->Get("partition")), 0);
  ExpectWithinTolerance(r);
  EXPECT_EQ(r.search_fallbacks, 0);
}

TEST_P(ArbLayerGoldenTest, EndToEndFromInputsWithinTolerance) {
  // binq's own Hessian and factor; arb-x takes S = H/2 (no input_gram).
  const int64_t seqlen = std::stoll(golden_->Meta("seqlen"));
  auto hessian = HessianFromInputs(golden_->Get("X"), seqlen);
  ASSERT_TRUE(hessian.ok()) << hessian.status();
  const LayerResult r = Run(LayerProblem{w_, *hessian});
  ExpectWithinTolerance(r);
  EXPECT_EQ(CountDifferent(r.partition, golden_->Get("partition")), 0);
  EXPECT_GT(r.relative_output_error, 0);
  EXPECT_LT(r.relative_output_error, 1);
  EXPECT_DOUBLE_EQ(r.wbits_paper, 1.0 + static_cast<double>(r.salient_columns) / w_.size(1));
}

INSTANTIATE_TEST_SUITE_P(
    Golden, ArbLayerGoldenTest,
    ::testing::Values(
        LayerCase{"arb_hessian_64x256.safetensors", ArbMethod::kArb, false, SalientMetric::kHessian},
        LayerCase{"arb_cgb_hessian_64x256.safetensors", ArbMethod::kArb, true, SalientMetric::kHessian},
        LayerCase{"arb-x_hessian_64x256.safetensors", ArbMethod::kArbX, false, SalientMetric::kHessian},
        LayerCase{"arb-x_cgb_hessian_64x256.safetensors", ArbMethod::kArbX, true,
                  SalientMetric::kHessian},
        LayerCase{"arb-rc_hessian_64x256.safetensors", ArbMethod::kArbRc, false,
                  SalientMetric::kHessian},
        LayerCase{"arb-rc_cgb_hessian_64x256.safetensors", ArbMethod::kArbRc, true,
                  SalientMetric::kHessian},
        LayerCase{"arb-x_cgb_hessian_128x384.safetensors", ArbMethod::kArbX, true,
                  SalientMetric::kHessian},
        LayerCase{"arb-x_cgb_magnitude_64x256.safetensors", ArbMethod::kArbX, true,
                  SalientMetric::kMagnitude}),
    [](const ::testing::TestParamInfo<LayerCase>& info) {
      std::string name = info.param.file;
      name = name.substr(0, name.find('.'));
      for (char& c : name) {
        if (c == '-') c = '_';
      }
      return name;
    });

// Where the reference crashes (topk(50) of a last block narrower than 50
// columns, README B.7): binq searches k = 1 … B−1 there, as for braq.
TEST(ArbLayer, NarrowLastBlockRuns) {
  at::manual_seed(7);
  const at::Tensor w = at::randn({32, 300}) * 0.02;
  const at::Tensor x = at::randn({600, 300});
  auto hessian = HessianFromInputs(x, 32);
  ASSERT_TRUE(hessian.ok());
  for (const ArbMethod method : {ArbMethod::kArb, ArbMethod::kArbX, ArbMethod::kArbRc}) {
    ArbParams params;
    params.method = method;
    params.order2_group = true;
    auto r = QuantizeArbLayer(LayerProblem{w, *hessian}, QuantOptions{}, params);
    ASSERT_TRUE(r.ok()) << r.status();
    ASSERT_EQ(r->salient_per_block.size(), 3u);
    EXPECT_GE(r->salient_per_block[2], 1);
    EXPECT_LE(r->salient_per_block[2], 43);  // 44-wide block: k ≤ B − 1
    EXPECT_TRUE(r->quantized.isfinite().all().item<bool>());
    EXPECT_LT(r->relative_output_error, 1) << ArbMethodName(method);
  }
}

TEST(ArbLayer, GemmOrderArbXWithinTolerance) {
  // Any backend but aten computes ARB-X's quadratic forms by one GEMM:
  // not bit-identical, well inside the layer tolerance.
  const GoldenCase golden("arb-x_cgb_hessian_128x384.safetensors");
  ASSERT_TRUE(golden.ok());
  const at::Tensor w = golden.Get("W");
  ArbParams params;
  params.method = ArbMethod::kArbX;
  params.order2_group = true;
  QuantOptions options;
  options.backend = Backend::kAuto;
  auto r = QuantizeArbLayer(LayerProblem{w, golden.Get("H"), golden.Get("U")}, options, params);
  ASSERT_TRUE(r.ok()) << r.status();
  EXPECT_EQ(r->backend, "aten-gemm");
  const double max_w = w.abs().max().item<double>();
  EXPECT_LE((r->quantized - golden.Get("Wq")).abs().max().item<double>(), 1e-5 * max_w);
  EXPECT_EQ(CountDifferent(r->partition, golden.Get("partition")), 0);
}

TEST(ArbLayer, CgbImprovesOnPlainArbX) {
  // The paper's claim on the golden input: CGB lowers the layer loss.
  const GoldenCase plain("arb-x_hessian_64x256.safetensors");
  const GoldenCase cgb("arb-x_cgb_hessian_64x256.safetensors");
  ASSERT_TRUE(plain.ok() && cgb.ok());
  EXPECT_LT(cgb.Get("loss").item<float>(), plain.Get("loss").item<float>());
}

TEST(ArbLayer, BadParamsAreInvalidArgumentNamingTheOption) {
  const at::Tensor w = at::randn({8, 64});
  const at::Tensor h = at::eye(64);
  ArbParams params;
  params.iterations = 0;
  auto r = QuantizeArbLayer(LayerProblem{w, h}, QuantOptions{}, params);
  ASSERT_EQ(r.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_NE(r.status().message().find("arb_iterations"), std::string::npos);
  EXPECT_NE(r.status().message().find("[1, 1000]"), std::string::npos);

  params = ArbParams{};
  params.method = ArbMethod::kArbX;
  LayerProblem problem{w, h};
  problem.input_gram = at::eye(32);
  r = QuantizeArbLayer(problem, QuantOptions{}, params);
  ASSERT_EQ(r.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_NE(r.status().message().find("input_gram"), std::string::npos);

  r = QuantizeArbLayer(LayerProblem{w, at::Tensor()}, QuantOptions{}, params);
  ASSERT_EQ(r.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_NE(r.status().message().find("hessian"), std::string::npos);
}

}  // namespace
}  // namespace binq::core
