// The packed layout rebuilds every technique's de-quantized weights exactly
// (in the model's dtype), costs what it says, and rejects corrupt parts.
#include "core/quant/packing.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "core/quant/calibration.h"
#include "core/quant/technique.h"
#include "tests/testing/status_matchers.h"

namespace binq::core {
namespace {

using ::binq::testing::StatusIs;
using ::testing::HasSubstr;

// A layer with outlier columns (so the searches find salient columns), a
// dead input (an all-zero Hessian row and column) and a zero weight.
LayerProblem MakeProblem(int64_t rows, int64_t cols) {
  at::manual_seed(11);
  at::Tensor w = at::randn({rows, cols}) * 0.02;
  w.index_put_({at::indexing::Slice(), 3}, w.index({at::indexing::Slice(), 3}) * 8);
  w.index_put_({0, 0}, 0.0);
  at::Tensor x = at::randn({4 * cols, cols});
  x.index_put_({at::indexing::Slice(), 5}, 0.0);
  return LayerProblem{w, *HessianFromInputs(x, 64)};
}

struct Case {
  const char* technique;
  int wbits;
};

class PackingTest : public ::testing::TestWithParam<Case> {};

TEST_P(PackingTest, RebuildsTheQuantizedWeightsExactly) {
  const Case c = GetParam();
  const LayerProblem problem = MakeProblem(48, 320);  // 3 blocks, the last 64 wide
  QuantOptions options;
  options.wbits = c.wbits;
  auto technique = TechniqueRegistry::Global().Find(c.technique);
  ASSERT_TRUE(technique.ok());
  auto result = (*technique)->Quantize(problem, options);
  ASSERT_TRUE(result.ok()) << result.status();
  for (at::ScalarType dtype : {at::kHalf, at::kBFloat16, at::kFloat}) {
    auto packed = PackLayer(result->quantized, result->partition, result->packing, dtype);
    ASSERT_TRUE(packed.ok()) << c.technique << ": " << packed.status();
    auto rebuilt = UnpackLayer(*packed);
    ASSERT_TRUE(rebuilt.ok()) << rebuilt.status();
    EXPECT_EQ(rebuilt->scalar_type(), dtype);
    EXPECT_TRUE(at::equal(*rebuilt, result->quantized.to(dtype))) << c.technique << " " << dtype;
    // Exceptions are rare: sgn(0) entries only (the zero weight, dead column).
    EXPECT_LT(packed->exception_index.numel(), 48 * 3) << c.technique;
    const double expected_bits = PackedBitsPerWeight(
        result->packing, 48, 320, static_cast<int>(8 * at::elementSize(dtype)));
    const double exception_bits =
        8.0 * (packed->exception_index.numel() * (8 + at::elementSize(dtype))) / (48.0 * 320.0);
    EXPECT_NEAR(packed->bits_per_weight(), expected_bits + exception_bits, 1e-9);
  }
  EXPECT_DOUBLE_EQ(result->storage_bits, PackedBitsPerWeight(result->packing, 48, 320));
}

INSTANTIATE_TEST_SUITE_P(Techniques, PackingTest,
                         ::testing::Values(Case{"braq", 2}, Case{"CRBOG", 2}, Case{"CRB", 2},
                                           Case{"sign", 1}, Case{"rtn", 2}, Case{"rtn", 3}),
                         [](const auto& info) {
                           return std::string(info.param.technique) + "_" +
                                  std::to_string(info.param.wbits);
                         });

TEST(PackingLayout, ResidualCostsTwoBitsPlusLevels) {
  const PackingScheme scheme{PackingScheme::Kind::kResidual, 128, 2};
  // 2 bits/weight + 8 fp16 levels per row and block (1 bit/weight) + a
  // 1-bit-per-column bitmap (1/rows).
  EXPECT_DOUBLE_EQ(PackedBitsPerWeight(scheme, 4096, 4096), 2.0 + 1.0 + 1.0 / 4096);
}

TEST(PackingLayout, TensorsAndMetadataRoundTrip) {
  const LayerProblem problem = MakeProblem(16, 128);
  auto result = (*TechniqueRegistry::Global().Find("CRB"))->Quantize(problem, QuantOptions{});
  ASSERT_TRUE(result.ok());
  auto packed = PackLayer(result->quantized, result->partition, result->packing, at::kHalf);
  ASSERT_TRUE(packed.ok());
  const auto tensors = packed->Tensors("layers.0.fc1");
  auto back = PackedLayerFromTensors("layers.0.fc1", packed->Metadata(), [&](const std::string& n) {
    auto it = tensors.find(n);
    return it == tensors.end() ? at::Tensor() : it->second;
  });
  ASSERT_TRUE(back.ok()) << back.status();
  auto rebuilt = UnpackLayer(*back);
  ASSERT_TRUE(rebuilt.ok());
  EXPECT_TRUE(at::equal(*rebuilt, result->quantized.to(at::kHalf)));
}

TEST(PackingLayout, CorruptPartsAreDataLoss) {
  const LayerProblem problem = MakeProblem(16, 128);
  auto result = (*TechniqueRegistry::Global().Find("braq"))->Quantize(problem, QuantOptions{});
  ASSERT_TRUE(result.ok());
  auto packed = PackLayer(result->quantized, result->partition, result->packing, at::kHalf);
  ASSERT_TRUE(packed.ok());
  PackedLayer short_codes = *packed;
  short_codes.codes = packed->codes.slice(1, 0, 3).contiguous();
  EXPECT_THAT(UnpackLayer(short_codes), StatusIs(absl::StatusCode::kDataLoss, HasSubstr("codes")));
  PackedLayer bad_exception = *packed;
  bad_exception.exception_index = at::full({1}, 16 * 128, at::kLong);
  bad_exception.exception_value = at::zeros({1}, at::kHalf);
  EXPECT_THAT(UnpackLayer(bad_exception),
              StatusIs(absl::StatusCode::kDataLoss, HasSubstr("outside the 16x128")));
  PackedLayer no_bitmap = *packed;
  no_bitmap.salient_columns = at::Tensor();
  EXPECT_THAT(UnpackLayer(no_bitmap), StatusIs(absl::StatusCode::kDataLoss, HasSubstr("salient")));
  EXPECT_THAT(PackedLayerFromTensors("x", {{"scheme", "zip"}}, [](const std::string&) { return at::Tensor(); }),
              StatusIs(absl::StatusCode::kDataLoss, HasSubstr("unknown packing scheme 'zip'")));
}

TEST(PackingLayout, PartitionMustBeColumnWise) {
  at::Tensor q = at::randn({4, 8});
  at::Tensor part = at::zeros({4, 8}, at::kByte);
  part.index_put_({1, 2}, 2);  // salient in one row only
  EXPECT_THAT(PackLayer(q, part, {PackingScheme::Kind::kResidual, 8, 2}, at::kHalf),
              StatusIs(absl::StatusCode::kInternal, HasSubstr("not column-wise")));
  EXPECT_THAT(PackLayer(q, at::Tensor(), {PackingScheme::Kind::kNone, 8, 2}, at::kHalf),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("no packed form")));
}

}  // namespace
}  // namespace binq::core
