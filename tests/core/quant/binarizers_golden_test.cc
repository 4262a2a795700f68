// The ATen binarizers against the references' outputs on the golden binarizer
// cases: required to be identical (value equality), as the golden README says
// a same-kind kernel gives.
#include "core/quant/binarizers.h"

#include <gtest/gtest.h>

#include "tests/core/quant/golden_case.h"

namespace binq::core {
namespace {

using testing::CountDifferent;
using testing::GoldenCase;

struct Case {
  const char* file;
  const char* family;
};

class BinarizerGoldenTest : public ::testing::TestWithParam<Case> {};

TEST_P(BinarizerGoldenTest, MatchesReferenceExactly) {
  const GoldenCase golden(GetParam().file);
  ASSERT_TRUE(golden.ok());
  const at::Tensor w = golden.Get("W");
  const at::Tensor mask = golden.Get("mask").to(at::kBool);
  const std::string family = GetParam().family;
  std::map<std::string, at::Tensor> ours;
  if (family == "braq") {
    ours["Wq"] = HighOrderResidual(w, mask, 2);
    ours["Wq_order1"] = HighOrderResidual(w, mask, 1);
  } else if (family == "CRBOG") {
    ours["Wq"] = CoupledResidual(w, mask, 2);
    ours["Wq_order1"] = CoupledResidual(w, mask, 1);
  } else {
    const CrbParams defaults;
    ours["Wq"] = CoupledResidualStable(w, mask, 2, defaults);
    ours["Wq_order1"] = CoupledResidualStable(w, mask, 1, defaults);
    CrbParams no_refine = defaults;
    no_refine.skip_refinement = true;
    ours["Wq_skip_refinement"] = CoupledResidualStable(w, mask, 2, no_refine);
    CrbParams symmetric = defaults;
    symmetric.symmetric_damp = true;
    ours["Wq_symmetric_damp"] = CoupledResidualStable(w, mask, 2, symmetric);
    ours["Wq_paper2025"] = CoupledResidualPaper2025(w, mask, 2, defaults);
  }
  for (const auto& [name, tensor] : ours) {
    const at::Tensor expected = golden.Get(name);
    EXPECT_EQ(CountDifferent(tensor, expected), 0)
        << name << ": max |diff| " << (tensor - expected).abs().max().item<float>();
    EXPECT_EQ(CountDifferent(tensor * ~mask, at::zeros_like(tensor)), 0)
        << name << " is not zero outside the mask";
  }
}

INSTANTIATE_TEST_SUITE_P(
    Golden, BinarizerGoldenTest,
    ::testing::Values(Case{"binarizer_braq_columns_64x128_s3001.safetensors", "braq"},
                      Case{"binarizer_braq_elements_48x128_s3002.safetensors", "braq"},
                      Case{"binarizer_CRBOG_columns_64x128_s3011.safetensors", "CRBOG"},
                      Case{"binarizer_CRBOG_elements_48x128_s3012.safetensors", "CRBOG"},
                      Case{"binarizer_CRB_columns_64x128_s3021.safetensors", "CRB"},
                      Case{"binarizer_CRB_elements_48x128_s3022.safetensors", "CRB"}));

// Hand-made rows of the elements cases, checked by value.
TEST(BinarizerEdgeCases, EmptyOneAndTiedRows) {
  at::Tensor x = at::tensor({0.5f, -1.0f, 2.0f, 0.0123f, 0.0123f, 0.0123f, -0.015f, 0.0f, 0.015f},
                            at::kFloat).view({3, 3});
  at::Tensor mask = at::ones({3, 3}, at::kBool);
  mask[0][0] = false;
  mask[0][1] = false;  // row 0: one entry → reproduced exactly
  for (const at::Tensor& q : {HighOrderResidual(x, mask, 2), CoupledResidual(x, mask, 2),
                              CoupledResidualStable(x, mask, 2, CrbParams{}),
                              CoupledResidualPaper2025(x, mask, 2, CrbParams{})}) {
    EXPECT_EQ(q[0][2].item<float>(), 2.0f);
    EXPECT_EQ(q[0][0].item<float>(), 0.0f);
    // Row 1: all equal → every entry is the mean (sgn = 0).
    EXPECT_NEAR(q[1][0].item<float>(), 0.0123f, 1e-9);
    // Row 2: the middle entry equals the mean 0 → gets the mean.
    EXPECT_NEAR(q[2][1].item<float>(), 0.0f, 1e-9);
  }
  const at::Tensor empty = at::zeros({2, 4}, at::kBool);
  EXPECT_EQ(HighOrderResidual(at::ones({2, 4}), empty, 2).abs().sum().item<float>(), 0.0f);
  EXPECT_EQ(CoupledResidualStable(at::ones({2, 4}), empty, 2, CrbParams{}).abs().sum().item<float>(), 0.0f);
  EXPECT_EQ(CoupledResidual(at::ones({2, 4}), empty, 2).abs().sum().item<float>(), 0.0f);
}

}  // namespace
}  // namespace binq::core
