// BinarizeRowsCpu — the binarizers' specification — against the references'
// outputs (tests/data/golden/binarizer_{braq,CRBOG,CRB}_*.safetensors). The
// twin sums in double, the references in PyTorch's fp32 cascade, so values
// agree to ~1 ulp of the sums, not bit for bit: the bound is 1e-6·max|W|, and
// the number of bit-identical entries is reported (printed and recorded as a
// test property).
#include <cctype>
#include <iostream>
#include <string>
#include <utility>
#include <vector>

#include "absl/strings/str_cat.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "kernels/binarize.h"
#include "tests/kernels/golden_reader.h"
#include "tests/kernels/kernel_test_util.h"
#include "tests/testing/status_matchers.h"

namespace binq::kernels {
namespace {

using ::binq::testing::Compare;
using ::binq::testing::DiffStats;
using ::binq::testing::GoldenFile;
using ::binq::testing::GoldenPath;
using ::binq::testing::IsOk;
using ::binq::testing::MakeParams;
using ::binq::testing::MaxAbs;
using ::binq::testing::Variant;

// ---------------------------------------------------------------------------
// Golden binarizer files.

struct GoldenCase {
  const char* file;
  BinarizeMethod method;
};

class KernelsBinarizeGoldenTest : public ::testing::TestWithParam<GoldenCase> {};

TEST_P(KernelsBinarizeGoldenTest, CpuTwinMatchesReference) {
  BINQ_ASSERT_OK_AND_ASSIGN(const GoldenFile g, GoldenFile::Open(GoldenPath(GetParam().file)));
  BINQ_ASSERT_OK_AND_ASSIGN(const std::vector<float> w, g.F32("W"));
  BINQ_ASSERT_OK_AND_ASSIGN(const std::vector<uint8_t> mask, g.U8("mask"));
  BINQ_ASSERT_OK_AND_ASSIGN(const std::vector<int64_t> shape, g.Shape("W"));
  ASSERT_EQ(shape.size(), 2u);
  const int64_t rows = shape[0], cols = shape[1];
  ASSERT_EQ(mask.size(), w.size());
  const float scale = MaxAbs(w);
  const BinarizeMethod method = GetParam().method;

  // Reference tensor → the variant that produced it (README table).
  std::vector<std::pair<std::string, Variant>> expected = {
      {"Wq", {"order 2", method, 2}},
      {"Wq_order1", {"order 1", method, 1}},
  };
  if (method == BinarizeMethod::kCrb) {
    expected.push_back({"Wq_skip_refinement", {"skip_refinement", method, 2, true, false}});
    expected.push_back({"Wq_symmetric_damp", {"symmetric_damp", method, 2, false, true}});
    expected.push_back({"Wq_paper2025", {"paper2025", BinarizeMethod::kCrbPaper2025, 2}});
  }
  for (const auto& [tensor, variant] : expected) {
    SCOPED_TRACE(tensor);
    BINQ_ASSERT_OK_AND_ASSIGN(const std::vector<float> ref, g.F32(tensor));
    std::vector<float> ours(w.size(), -1.0f);
    ASSERT_THAT(
        BinarizeRowsCpu(MakeParams(variant, w.data(), mask.data(), ours.data(), rows, cols)),
        IsOk());
    const DiffStats d = Compare(ours, ref);
    EXPECT_LE(d.max_abs, 1e-6 * scale) << "max|diff| / max|W| = " << d.max_abs / scale;
    for (size_t i = 0; i < ours.size(); ++i) {
      if (!mask[i]) {
        ASSERT_EQ(ours[i], 0.0f) << "outside the mask at " << i;
      }
    }
    const std::string line = absl::StrCat(d.identical, "/", d.count,
                                          " bit-identical, max|diff|/max|W| = ", d.max_abs / scale);
    RecordProperty(tensor, line);
    std::cout << "[golden] " << GetParam().file << " " << tensor << ": " << line << "\n";
  }
}

INSTANTIATE_TEST_SUITE_P(
    Golden, KernelsBinarizeGoldenTest,
    ::testing::Values(
        GoldenCase{"binarizer_braq_columns_64x128_s3001.safetensors", BinarizeMethod::kBraq},
        GoldenCase{"binarizer_braq_elements_48x128_s3002.safetensors", BinarizeMethod::kBraq},
        GoldenCase{"binarizer_CRBOG_columns_64x128_s3011.safetensors", BinarizeMethod::kCrbog},
        GoldenCase{"binarizer_CRBOG_elements_48x128_s3012.safetensors", BinarizeMethod::kCrbog},
        GoldenCase{"binarizer_CRB_columns_64x128_s3021.safetensors", BinarizeMethod::kCrb},
        GoldenCase{"binarizer_CRB_elements_48x128_s3022.safetensors", BinarizeMethod::kCrb}),
    [](const ::testing::TestParamInfo<GoldenCase>& info) {
      std::string name = info.param.file;
      name = name.substr(0, name.find('.'));
      for (char& c : name) {
        if (!std::isalnum(static_cast<unsigned char>(c))) c = '_';
      }
      return name;
    });

}  // namespace
}  // namespace binq::kernels
