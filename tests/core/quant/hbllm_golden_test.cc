// HBLLM (row-hbraq, col-hbraq) against the reference's outputs (golden
// README Part B): the Haar-band binarizers and split searches, the column
// filling and the whole-block quantizer, and the layer cases stage by stage
// (salient columns, block 0's band splits exactly; Wq within 1e-5·max|W|).
#include "core/quant/hbllm.h"

#include <cmath>

#include <gtest/gtest.h>

#include "core/quant/calibration.h"
#include "core/quant/quantile.h"
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

// Largest difference in units of the fp32 spacing at the reference value.
double MaxUlps(const at::Tensor& ours, const at::Tensor& ref) {
  const at::Tensor spacing =
      at::nextafter(ref.abs(), at::full_like(ref, INFINITY)) - ref.abs();
  return ((ours - ref).abs() / spacing).max().item<double>();
}

TEST(HbllmLevels, Torch113LinspaceReproducesTheBreakPointLevels) {
  // The 81 levels are known bit patterns (ALGORITHMS.md §4.4); the same
  // emulation gives HBLLM's 41 row-split levels.
  EXPECT_EQ(Torch113Linspace(0.1f, 0.9f, 81), BreakPointLevels());
  const std::vector<float> row = Torch113Linspace(0.1f, 0.9f, 41);
  ASSERT_EQ(row.size(), 41u);
  EXPECT_EQ(row.front(), 0.1f);
  EXPECT_EQ(row.back(), 0.9f);
}

TEST(HbllmHaar, RoundTripCarriesTheReferenceFactors) {
  // Forward 1/√2 in fp32, inverse 1/√2 rounded to fp16: not the identity.
  const at::Tensor x = at::tensor({1.0f, 0.5f, -2.0f, 4.0f}, at::kFloat).view({1, 4});
  const auto [low, high] = HaarRows(x);
  const at::Tensor back = InverseHaarRows(low, high);
  EXPECT_FLOAT_EQ(low[0][0].item<float>(), 1.5f * kHaarForward);
  EXPECT_FLOAT_EQ(back[0][0].item<float>(), ((1.5f * kHaarForward) + (0.5f * kHaarForward)) * kHaarInverse);
  EXPECT_NE(back[0][0].item<float>(), 1.0f);
  EXPECT_NEAR(back[0][3].item<float>(), 4.0f * 2 * kHaarForward * kHaarInverse, 1e-6);
  const auto [clow, chigh] = HaarColumns(x.view({4, 1}));
  EXPECT_EQ(CountDifferent(InverseHaarColumns(clow, chigh).view({1, 4}), back), 0);
}

TEST(HbllmGolden, HaarBandBinarizersMatchReference) {
  const GoldenCase golden("binarizer_hbllm-haar_elements_48x128_s3121.safetensors");
  ASSERT_TRUE(golden.ok());
  const at::Tensor w = golden.Get("W");
  const at::Tensor mask = golden.Get("mask").to(at::kBool);
  EXPECT_EQ(CountDifferent(RmsResidual(w, mask, 1), golden.Get("Wq")), 0);
  EXPECT_EQ(CountDifferent(RmsResidual(w, mask, 2), golden.Get("Wq_order2")), 0);
  EXPECT_EQ(CountDifferent(w.mean(1), golden.Get("row_mean")), 0);
  EXPECT_EQ(CountDifferent(RmsSharedMean(w, mask, golden.Get("row_mean")),
                           golden.Get("Wq_shared_mean")),
            0);

  const BandSplit row = RowOptimalSplit(w, /*share_mean=*/false);
  EXPECT_EQ(CountDifferent(row.quantized, golden.Get("Wq_split_row")), 0);
  EXPECT_EQ(row.splits, ToVector(golden.Get("split_row")));

  const BandSplit global = GlobalOptimalSplit(w);
  EXPECT_EQ(CountDifferent(global.quantized, golden.Get("Wq_split_global")), 0);
  EXPECT_EQ(global.splits, ToVector(golden.Get("split_global")));

  // Shared mean: every split point exact; one group of one row (13 entries)
  // comes out 1 ulp from the reference's (its α in the last bit) — a
  // reduction-order difference binq has not pinned down (see the report).
  const BandSplit shared = RowOptimalSplit(w, /*share_mean=*/true);
  EXPECT_EQ(shared.splits, ToVector(golden.Get("split_row_shared_mean")));
  const at::Tensor expected = golden.Get("Wq_split_row_shared_mean");
  EXPECT_LE(CountDifferent(shared.quantized, expected), 13);
  EXPECT_LE(MaxUlps(shared.quantized, expected), 1.0);
}

class HbllmBlockGoldenTest : public ::testing::Test {
 protected:
  void SetUp() override {
    golden_ = std::make_unique<GoldenCase>("binarizer_hbllm-block_hand_64x128_s3123.safetensors");
    ASSERT_TRUE(golden_->ok());
    w_ = golden_->Get("W");
    const at::Tensor cols = golden_->Get("mask")[0].nonzero().flatten();
    for (int64_t i = 0; i < cols.numel(); ++i) salient_.push_back(cols[i].item<int64_t>());
  }
  std::unique_ptr<GoldenCase> golden_;
  at::Tensor w_;
  std::vector<int64_t> salient_;
};

TEST_F(HbllmBlockGoldenTest, FillingMatchesExactly) {
  ASSERT_EQ(salient_.size(), 15u);
  EXPECT_EQ(CountDifferent(FillSalientColumns(w_, salient_), golden_->Get("filled")), 0);
}

TEST_F(HbllmBlockGoldenTest, BlockQuantizerMatchesToAFewUlps) {
  // A few band rows differ from the reference in the last bit of a group's
  // scale (the reduction-order difference noted at the shared-mean split;
  // measured ≤ 3.7e-8 absolute here, 1.5e-7·max|W|), far inside the layer
  // tolerance 1e-5·max|W|.
  struct Variant {
    HbllmMethod method;
    HbllmGroupPartition partition;
    bool share;
    const char* name;
  };
  const double max_w = w_.abs().max().item<double>();
  for (const Variant& v : {Variant{HbllmMethod::kRow, HbllmGroupPartition::kRow, false, "Wq_row_row"},
                           Variant{HbllmMethod::kRow, HbllmGroupPartition::kRow, true, "Wq_row_row_sharemean"},
                           Variant{HbllmMethod::kRow, HbllmGroupPartition::kGlobal, false, "Wq_row_global"},
                           Variant{HbllmMethod::kCol, HbllmGroupPartition::kRow, false, "Wq_col_row"},
                           Variant{HbllmMethod::kCol, HbllmGroupPartition::kRow, true, "Wq_col_row_sharemean"},
                           Variant{HbllmMethod::kCol, HbllmGroupPartition::kGlobal, false, "Wq_col_global"}}) {
    HbllmParams params;
    params.method = v.method;
    params.partition = v.partition;
    params.share_mean = v.share;
    const HbllmBlock block = QuantizeHbllmBlock(w_, salient_, params);
    const at::Tensor expected = golden_->Get(v.name);
    const double max_diff = (block.quantized - expected).abs().max().item<double>();
    EXPECT_LE(max_diff, 1e-6 * max_w) << v.name;
    RecordProperty(std::string(v.name) + "_differing", CountDifferent(block.quantized, expected));
    ASSERT_EQ(block.band_lengths.size(), 4u) << v.name;
  }
}

struct LayerCase {
  const char* file;
  HbllmMethod method;
  HbllmSalientScore score;
  HbllmGroupPartition partition;
  bool share_mean;
};

class HbllmLayerGoldenTest : public ::testing::TestWithParam<LayerCase> {
 protected:
  void SetUp() override {
    golden_ = std::make_unique<GoldenCase>(GetParam().file);
    ASSERT_TRUE(golden_->ok());
    params_.method = GetParam().method;
    params_.score = GetParam().score;
    params_.partition = GetParam().partition;
    params_.share_mean = GetParam().share_mean;
    options_.backend = Backend::kAten;
    w_ = golden_->Get("W");
    max_w_ = w_.abs().max().item<double>();
  }

  LayerResult Run(const LayerProblem& problem) {
    auto result = QuantizeHbllmLayer(problem, options_, params_);
    EXPECT_TRUE(result.ok()) << result.status();
    return result.ok() ? *result : LayerResult{};
  }

  void ExpectWithinTolerance(const LayerResult& r) {
    ASSERT_TRUE(r.quantized.defined());
    const double max_diff = (r.quantized - golden_->Get("Wq")).abs().max().item<double>();
    EXPECT_LE(max_diff, 1e-5 * max_w_) << "max |Wq − ref| / max|W| = " << max_diff / max_w_;
    const double loss = golden_->Get("loss").item<double>();
    EXPECT_NEAR(r.loss, loss, 1e-4 * loss);
    EXPECT_EQ(CountDifferent(r.partition, golden_->Get("salient_mask") * 2), 0);
  }

  std::unique_ptr<GoldenCase> golden_;
  HbllmParams params_;
  QuantOptions options_;
  at::Tensor w_;
  double max_w_ = 0;
};

TEST_P(HbllmLayerGoldenTest, StagesMatchGivenReferenceFactor) {
  const LayerResult r = Run(LayerProblem{w_, golden_->Get("H"), golden_->Get("U")});
  ASSERT_TRUE(r.quantized.defined());
  const at::Tensor n_salient = golden_->Get("n_salient");
  ASSERT_EQ(static_cast<int64_t>(r.salient_per_block.size()), n_salient.numel());
  for (int64_t b = 0; b < n_salient.numel(); ++b) {
    EXPECT_EQ(r.salient_per_block[b], n_salient[b].item<int32_t>()) << "block " << b;
  }
  // Band split points: lengths exactly; block 0 (uncompensated) exactly.
  const std::vector<double> lengths = ToVector(golden_->Get("band_split_len"));
  EXPECT_EQ(r.block_diagnostics.at("band_split_len"), lengths);
  const std::vector<double> ref_splits = ToVector(golden_->Get("band_split"));
  const std::vector<double>& splits = r.block_diagnostics.at("band_split");
  ASSERT_EQ(splits.size(), ref_splits.size());
  const size_t block0 = static_cast<size_t>(lengths[0] + lengths[1] + lengths[2] + lengths[3]);
  int64_t differing = 0;
  for (size_t i = 0; i < block0; ++i) differing += splits[i] != ref_splits[i] ? 1 : 0;
  // row-hbraq + share_mean: one band row's scale differs from the reference
  // in the last bit (as in HaarBandBinarizersMatchReference), which flips
  // that row's split between two near-equal candidates and the salient
  // residual's splits downstream (5 of 192 in block 0); every other case is exact.
  const bool known_shared_mean_ulp = params_.share_mean && params_.method == HbllmMethod::kRow;
  EXPECT_LE(differing, known_shared_mean_ulp ? 5 : 0);
  ExpectWithinTolerance(r);
}

TEST_P(HbllmLayerGoldenTest, FilledBlockMatchesExactly) {
  if (params_.method != HbllmMethod::kRow) GTEST_SKIP() << "col-hbraq does not fill";
  const at::Tensor mask = golden_->Get("salient_mask")[0].index({Slice(0, 128)});
  const at::Tensor cols = mask.nonzero().flatten();
  std::vector<int64_t> salient;
  for (int64_t i = 0; i < cols.numel(); ++i) salient.push_back(cols[i].item<int64_t>());
  const at::Tensor filled = FillSalientColumns(w_.index({Slice(), Slice(0, 128)}), salient);
  EXPECT_EQ(CountDifferent(filled, golden_->Get("filled").index({Slice(), Slice(0, 128)})), 0);
}

TEST_P(HbllmLayerGoldenTest, EndToEndFromInputsWithinTolerance) {
  const int64_t seqlen = std::stoll(golden_->Meta("seqlen"));
  auto hessian = HessianFromInputs(golden_->Get("X"), seqlen);
  ASSERT_TRUE(hessian.ok()) << hessian.status();
  const LayerResult r = Run(LayerProblem{w_, *hessian});
  ExpectWithinTolerance(r);
  EXPECT_GT(r.relative_output_error, 0);
  EXPECT_LT(r.relative_output_error, 1);
}

INSTANTIATE_TEST_SUITE_P(
    Golden, HbllmLayerGoldenTest,
    ::testing::Values(
        LayerCase{"hbllm-row_l2_64x256.safetensors", HbllmMethod::kRow, HbllmSalientScore::kL2,
                  HbllmGroupPartition::kRow, false},
        LayerCase{"hbllm-col_l2_64x256.safetensors", HbllmMethod::kCol, HbllmSalientScore::kL2,
                  HbllmGroupPartition::kRow, false},
        LayerCase{"hbllm-row_l2_sharemean_64x256.safetensors", HbllmMethod::kRow,
                  HbllmSalientScore::kL2, HbllmGroupPartition::kRow, true},
        LayerCase{"hbllm-col_l2_sharemean_64x256.safetensors", HbllmMethod::kCol,
                  HbllmSalientScore::kL2, HbllmGroupPartition::kRow, true},
        LayerCase{"hbllm-row_l1_128x384.safetensors", HbllmMethod::kRow, HbllmSalientScore::kL1,
                  HbllmGroupPartition::kRow, false},
        LayerCase{"hbllm-col_l2_global_64x256.safetensors", HbllmMethod::kCol,
                  HbllmSalientScore::kL2, HbllmGroupPartition::kGlobal, false}),
    [](const ::testing::TestParamInfo<LayerCase>& info) {
      std::string name = info.param.file;
      name = name.substr(0, name.find('.'));
      for (char& c : name) {
        if (c == '-') c = '_';
      }
      return name;
    });

TEST(HbllmLayer, L1AndL2PickDifferentColumnsOnTheL1Case) {
  // README B.4: l2 picks 4,4,3 salient columns on this input, l1 3,4,3.
  const GoldenCase golden("hbllm-row_l1_128x384.safetensors");
  ASSERT_TRUE(golden.ok());
  HbllmParams params;
  params.score = HbllmSalientScore::kL2;
  auto r = QuantizeHbllmLayer(LayerProblem{golden.Get("W"), golden.Get("H"), golden.Get("U")},
                              QuantOptions{}, params);
  ASSERT_TRUE(r.ok()) << r.status();
  EXPECT_EQ(r->salient_per_block, (std::vector<int64_t>{4, 4, 3}));
}

// Shapes the reference refuses (README B.7): odd row counts (both methods),
// odd block widths (row-hbraq) are padded for the transforms; blocks
// narrower than 50 columns search k = 1 … B−1.
TEST(HbllmLayer, OddAndNarrowShapesRun) {
  at::manual_seed(11);
  for (const auto& [rows, cols] : std::vector<std::pair<int64_t, int64_t>>{{63, 256}, {64, 325}, {64, 300}, {7, 131}}) {
    const at::Tensor w = at::randn({rows, cols}) * 0.02;
    auto hessian = HessianFromInputs(at::randn({4 * cols, cols}), 32);
    ASSERT_TRUE(hessian.ok());
    for (const HbllmMethod method : {HbllmMethod::kRow, HbllmMethod::kCol}) {
      for (const HbllmGroupPartition partition : {HbllmGroupPartition::kRow, HbllmGroupPartition::kGlobal}) {
        HbllmParams params;
        params.method = method;
        params.partition = partition;
        auto r = QuantizeHbllmLayer(LayerProblem{w, *hessian}, QuantOptions{}, params);
        ASSERT_TRUE(r.ok()) << r.status();
        EXPECT_EQ(r->quantized.sizes(), w.sizes());
        EXPECT_TRUE(r->quantized.isfinite().all().item<bool>());
        EXPECT_LT(r->relative_output_error, 1) << rows << "x" << cols << " " << HbllmMethodName(method);
        EXPECT_LE(r->salient_per_block.back(), std::min<int64_t>(49, (cols - 1) % 128));
      }
    }
  }
}

TEST(HbllmHaar, PaddedPairHasNoDetail) {
  // Odd widths are padded by repeating the last column: that pair's high
  // band is exactly zero, so the padding adds no detail to binarize.
  at::manual_seed(3);
  const at::Tensor x = at::randn({8, 5});
  const auto [low, high] = HaarRows(at::cat({x, x.narrow(1, 4, 1)}, 1));
  EXPECT_EQ(low.size(1), 3);
  EXPECT_EQ(high[0][2].item<float>(), 0.0f);  // the padded pair has no detail
}

}  // namespace
}  // namespace binq::core
