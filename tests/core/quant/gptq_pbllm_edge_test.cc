// GPTQ, RTN and PB-LLM outside the golden cases: bad parameters, shapes the
// references cannot run (PB-LLM widths that are not a multiple of 128), dead
// input channels, group handling, and binq's activation saliency.
#include <cmath>

#include <gtest/gtest.h>

#include "core/quant/activation_saliency.h"
#include "core/quant/calibration.h"
#include "core/quant/gptq.h"
#include "core/quant/minmax_quantizer.h"
#include "core/quant/pbllm.h"

namespace binq::core {
namespace {

using at::indexing::Slice;

struct RandomLayer {
  at::Tensor w;
  at::Tensor h;
};

// A weight with a few large entries and a Hessian of correlated inputs.
RandomLayer MakeLayer(int64_t rows, int64_t cols, uint64_t seed) {
  at::manual_seed(seed);
  at::Tensor w = 0.02 * at::randn({rows, cols});
  w.index_put_({Slice(), Slice(0, cols, 17)}, w.index({Slice(), Slice(0, cols, 17)}) * 6);
  const at::Tensor mix = at::randn({cols, cols}) / std::sqrt(static_cast<double>(cols));
  const at::Tensor x = 0.6 * at::randn({4 * cols, cols}) + 0.8 * at::randn({4 * cols, cols}).matmul(mix);
  auto h = HessianFromInputs(x, 32);
  EXPECT_TRUE(h.ok()) << h.status();
  return {w, h.ok() ? *h : at::Tensor()};
}

void ExpectInvalid(const absl::Status& status, const std::string& option,
                   const std::string& range) {
  EXPECT_EQ(status.code(), absl::StatusCode::kInvalidArgument) << status;
  EXPECT_NE(status.message().find(option), std::string::npos) << status;
  EXPECT_NE(status.message().find(range), std::string::npos) << status;
}

TEST(GptqEdge, BadParametersAreInvalidArgumentNamingTheOption) {
  const RandomLayer layer = MakeLayer(8, 32, 1);
  GptqParams p;
  p.wbits = 5;
  ExpectInvalid(QuantizeGptq({layer.w, layer.h}, p).status(), "wbits", "2, 3, 4, 8");
  p = GptqParams{};
  p.groupsize = 0;
  ExpectInvalid(QuantizeGptq({layer.w, layer.h}, p).status(), "groupsize", ">= 1");
  p.groupsize = -2;
  ExpectInvalid(QuantizeGptq({layer.w, layer.h}, p).status(), "groupsize", "-1");
  EXPECT_EQ(QuantizeGptq({layer.w, at::Tensor()}, GptqParams{}).status().code(),
            absl::StatusCode::kInvalidArgument);
}

TEST(GptqEdge, NotPositiveDefiniteHessianFailsThePrecondition) {
  GptqParams p;
  p.max_damping_retries = 0;
  const at::Tensor w = at::randn({4, 8});
  const auto out = QuantizeGptq({w, -at::eye(8)}, p);
  EXPECT_EQ(out.status().code(), absl::StatusCode::kFailedPrecondition) << out.status();
}

TEST(GptqEdge, NarrowLastBlockAndDeadColumn) {
  // 300 columns: blocks of 128, 128, 44 (the reference runs this; binq too).
  RandomLayer layer = MakeLayer(16, 300, 2);
  layer.h.index_put_({7, Slice()}, 0);
  layer.h.index_put_({Slice(), 7}, 0);
  GptqParams p;
  p.wbits = 3;
  p.groupsize = 128;
  const auto out = QuantizeGptq({layer.w, layer.h}, p);
  ASSERT_TRUE(out.ok()) << out.status();
  EXPECT_EQ(out->layer.dead_columns, 1);
  EXPECT_TRUE(out->layer.quantized.isfinite().all().item<bool>());
  EXPECT_EQ(out->scale.size(0), 3);
  // A dead column is zeroed before quantization; 0 is on every asymmetric grid.
  EXPECT_EQ(out->layer.quantized.select(1, 7).abs().max().item<float>(), 0.0f);
  EXPECT_LE(out->codes.max().item<uint8_t>(), 7);
  EXPECT_GT(out->layer.loss, 0);
}

TEST(GptqEdge, DynamicGroupsInsideABlockReadTheBlockStartWeights) {
  // groupsize 64 < blocksize 128: group 1 (columns 64…127) is calibrated on
  // the global W, which in block 0 is still the original weight.
  const RandomLayer layer = MakeLayer(12, 256, 3);
  GptqParams p;
  p.groupsize = 64;
  const auto out = QuantizeGptq({layer.w, layer.h}, p);
  ASSERT_TRUE(out.ok()) << out.status();
  ASSERT_EQ(out->scale.size(0), 4);
  const MinMaxParams expected =
      FindMinMaxParams(layer.w.index({Slice(), Slice(64, 128)}), 15, /*sym=*/false);
  EXPECT_TRUE(out->scale[1].equal(expected.scale.flatten()));
  EXPECT_TRUE(out->zero[1].equal(expected.zero.flatten()));
  // The intra-block-updated columns differ from the originals.
  EXPECT_FALSE(out->handed.index({Slice(), Slice(64, 128)}).equal(
      layer.w.index({Slice(), Slice(64, 128)})));
}

TEST(GptqEdge, StaticGroupsComeFromTheOriginalWeights) {
  const RandomLayer layer = MakeLayer(12, 256, 4);
  for (bool act_order : {false, true}) {
    GptqParams p;
    p.groupsize = 128;
    p.static_groups = true;
    p.act_order = act_order;
    const auto out = QuantizeGptq({layer.w, layer.h}, p);
    ASSERT_TRUE(out.ok()) << out.status();
    EXPECT_EQ(out->perm.defined(), act_order);
    for (int64_t k = 0; k < 2; ++k) {
      const MinMaxParams expected = FindMinMaxParams(
          layer.w.index({Slice(), Slice(128 * k, 128 * (k + 1))}), 15, /*sym=*/false);
      EXPECT_TRUE(out->scale[k].equal(expected.scale.flatten())) << "group " << k;
    }
    // Every code rebuilds its weight with the parameters of its original column's group.
    const at::Tensor group_of_col = at::div(at::arange(256), 128, "floor");
    const at::Tensor scale = out->scale.index_select(0, group_of_col).t();
    const at::Tensor zero = out->zero.index_select(0, group_of_col).t();
    EXPECT_TRUE((scale * (out->codes.to(at::kFloat) - zero)).equal(out->layer.quantized));
  }
}

TEST(RtnEdge, BadParametersAndGroups) {
  const at::Tensor w = at::randn({6, 256});
  RtnParams p;
  p.wbits = 9;
  ExpectInvalid(RoundToNearest(w, p).status(), "wbits", "1..8");
  p = RtnParams{};
  p.groupsize = 0;
  ExpectInvalid(RoundToNearest(w, p).status(), "groupsize", ">= 1");
  p.groupsize = 64;
  p.sym = true;
  const auto grouped = RoundToNearest(w, p);
  ASSERT_TRUE(grouped.ok()) << grouped.status();
  ASSERT_EQ(grouped->scale.size(0), 4);
  RtnParams whole = p;
  whole.groupsize = -1;
  for (int64_t k = 0; k < 4; ++k) {
    const auto one = RoundToNearest(w.index({Slice(), Slice(64 * k, 64 * (k + 1))}), whole);
    ASSERT_TRUE(one.ok());
    EXPECT_TRUE(one->quantized.equal(grouped->quantized.index({Slice(), Slice(64 * k, 64 * (k + 1))})));
    EXPECT_TRUE(one->scale[0].equal(grouped->scale[k]));
  }
}

TEST(PbllmEdge, BadParametersAreInvalidArgumentNamingTheOption) {
  const RandomLayer layer = MakeLayer(8, 128, 5);
  for (double bad : {-0.1, 1.5, std::nan("")}) {
    PbllmParams p;
    p.low_frac = bad;
    ExpectInvalid(QuantizePbllm({layer.w, layer.h}, p).status(), "low_frac", "[0, 1]");
  }
  PbllmParams p;
  p.high_bit = 9;
  ExpectInvalid(QuantizePbllm({layer.w, layer.h}, p).status(), "high_bit", "2..8");
  ExpectInvalid(ParsePbllmSalientMetric("l2").status(), "salient_metric", "activation");
  ExpectInvalid(ParsePbllmLowMethod("3bit").status(), "low_quant_method", "xnor");
}

TEST(PbllmEdge, WidthsTheReferenceRefusesRunWithTheDocumentedMask) {
  // The reference asserts cols % 128 == 0; binq ranks the whole matrix at once
  // and solves the narrower last block like any other.
  for (int64_t cols : {300, 325}) {
    const RandomLayer layer = MakeLayer(16, cols, 6);
    PbllmParams p;
    const auto out = QuantizePbllm({layer.w, layer.h}, p);
    ASSERT_TRUE(out.ok()) << out.status();
    const int64_t numel = 16 * cols;
    // floor(numel·low_frac) + 1 entries (random weights: no ties).
    EXPECT_EQ(out->binarized.sum().item<int64_t>(),
              static_cast<int64_t>(static_cast<double>(numel) * p.low_frac) + 1);
    EXPECT_TRUE(out->layer.quantized.isfinite().all().item<bool>());
    EXPECT_GT(out->layer.loss, 0);
    // The salient weights sit on the 8-bit grid of their row.
    const at::Tensor codes = out->layer.quantized / out->high.scale + out->high.zero;
    const at::Tensor salient = ~out->binarized;
    EXPECT_LE((codes - codes.round()).abs().masked_select(salient).max().item<float>(), 1e-3);
  }
}

TEST(PbllmEdge, LowFracOneBinarizesEverything) {
  const RandomLayer layer = MakeLayer(8, 128, 7);
  PbllmParams p;
  p.low_frac = 1.0;
  const auto out = QuantizePbllm({layer.w, layer.h}, p);
  ASSERT_TRUE(out.ok()) << out.status();
  EXPECT_TRUE(out->binarized.all().item<bool>());
  EXPECT_DOUBLE_EQ(out->layer.wbits_paper, 1.0);
}

TEST(ActivationSaliency, IsMagnitudeTimesInputNormFromTheHessian) {
  at::Tensor h = at::diag(at::tensor({4.0f, 0.0f, 0.25f}));
  const at::Tensor norms = InputChannelNorms(h, 128);
  // ‖X_j‖² = (nsamples/2)·H_jj = 64·H_jj; a dead channel gives 0.
  EXPECT_TRUE(norms.equal(at::tensor({16.0f, 0.0f, 4.0f})));
  const at::Tensor w = at::tensor({-1.0f, 3.0f, 2.0f, 0.5f, -0.5f, -0.25f}).view({2, 3});
  EXPECT_TRUE(ActivationSaliency(w, h, 128).equal(
      at::tensor({16.0f, 0.0f, 8.0f, 8.0f, 0.0f, 1.0f}).view({2, 3})));
}

TEST(ActivationSaliency, PbllmActivationMetricRanksByIt) {
  const RandomLayer layer = MakeLayer(16, 256, 8);
  PbllmParams p;
  p.salient_metric = PbllmSalientMetric::kActivation;
  p.activation_nsamples = 32;
  const auto out = QuantizePbllm({layer.w, layer.h}, p);
  ASSERT_TRUE(out.ok()) << out.status();
  const at::Tensor expected =
      PbllmBinarizedMask(ActivationSaliency(layer.w, layer.h, 32), p.low_frac);
  EXPECT_TRUE(out->binarized.equal(expected));
  PbllmParams magnitude = p;
  magnitude.salient_metric = PbllmSalientMetric::kMagnitude;
  const auto by_magnitude = QuantizePbllm({layer.w, layer.h}, magnitude);
  ASSERT_TRUE(by_magnitude.ok());
  EXPECT_FALSE(by_magnitude->binarized.equal(out->binarized));
}

}  // namespace
}  // namespace binq::core
