// gptq, rtn and the pbllm-* techniques through the registry and the catalog,
// as the worker and binq-run call them: options resolved by MakeQuantOptions,
// aliases, ranges named, and a golden case reproduced from its flags.
#include <gtest/gtest.h>

#include "core/base/technique_catalog.h"
#include "core/quant/calibration.h"
#include "core/quant/options.h"
#include "core/quant/technique.h"
#include "tests/core/quant/golden_case.h"

namespace binq::core {
namespace {

using testing::GoldenCase;

void ExpectInvalid(const absl::Status& status, const std::string& text) {
  EXPECT_EQ(status.code(), absl::StatusCode::kInvalidArgument) << status;
  EXPECT_NE(status.message().find(text), std::string::npos) << status;
}

TEST(GptqPbllmCatalog, RangesAreNamedOnce) {
  ExpectInvalid(TechniqueOptions::Resolve("gptq", {{"wbits", int64_t{5}}}).status(),
                "wbits: must be one of 2, 3, 4 or 8, got 5");
  ExpectInvalid(TechniqueOptions::Resolve("gptq", {{"groupsize", int64_t{0}}}).status(),
                "groupsize: must be ≥ -1, not 0, got 0");
  ExpectInvalid(TechniqueOptions::Resolve("rtn", {{"groupsize", int64_t{-2}}}).status(),
                "groupsize: must be ≥ -1, not 0, got -2");
  ExpectInvalid(TechniqueOptions::Resolve("pbllm-xnor", {{"low_frac", 1.5}}).status(),
                "low_frac: must be in [0, 1], got 1.5");
  ExpectInvalid(TechniqueOptions::Resolve("2bit", {{"high_bit", int64_t{9}}}).status(),
                "high_bit: must be in [2, 8], got 9");
  ExpectInvalid(TechniqueOptions::Resolve("4bit", {{"salient_metric", std::string("l2")}}).status(),
                "salient_metric: must be hessian, magnitude or activation, got 'l2'");
  EXPECT_TRUE(TechniqueOptions::Resolve("gptq", {{"groupsize", int64_t{-1}}}).ok());
}

TEST(GptqPbllmCatalog, AliasesFindThePbllmTechniquesAndSignStaysTheBaseline) {
  auto& registry = TechniqueRegistry::Global();
  EXPECT_EQ((*registry.Find("xnor"))->name(), "pbllm-xnor");
  EXPECT_EQ((*registry.Find("2bit"))->name(), "pbllm-2bit");
  EXPECT_EQ((*registry.Find("4BIT"))->name(), "pbllm-4bit");
  EXPECT_EQ((*registry.Find("sign"))->name(), "sign");
  EXPECT_EQ((*registry.Find("pbllm-sign"))->name(), "pbllm-sign");
  EXPECT_TRUE((*registry.Find("gptq"))->needs_hessian());
  EXPECT_FALSE((*registry.Find("rtn"))->needs_hessian());
}

TEST(GptqPbllmTechnique, GptqReproducesTheGoldenCaseFromItsFlags) {
  const GoldenCase golden("gptq_w3g128_sym_act_64x256.safetensors");
  ASSERT_TRUE(golden.ok());
  auto options = MakeQuantOptions("gptq", {{"wbits", int64_t{3}},
                                           {"groupsize", int64_t{128}},
                                           {"sym", true},
                                           {"act-order", true}});
  ASSERT_TRUE(options.ok()) << options.status();
  const at::Tensor w = golden.Get("W");
  auto hessian = HessianFromInputs(golden.Get("X"), 32);
  ASSERT_TRUE(hessian.ok());
  auto r = (*TechniqueRegistry::Global().Find("gptq"))->Quantize({w, *hessian}, *options);
  ASSERT_TRUE(r.ok()) << r.status();
  EXPECT_LE((r->quantized - golden.Get("Wq")).abs().max().item<double>(),
            1e-5 * w.abs().max().item<double>());
  EXPECT_EQ(r->wbits_paper, 3);
  // act-order groups are not consecutive stored columns: no packed layout.
  EXPECT_EQ(r->packing.kind, PackingScheme::Kind::kNone);
}

TEST(GptqPbllmTechnique, PbllmBitsFollowThePaperAndRtnGroupsPack) {
  const GoldenCase golden("pbllm-xnor_hessian_lf0.9_64x256.safetensors");
  ASSERT_TRUE(golden.ok());
  auto options = MakeQuantOptions("xnor", {{"low_frac", 0.9}});
  ASSERT_TRUE(options.ok()) << options.status();
  auto r = (*TechniqueRegistry::Global().Find("xnor"))
               ->Quantize({golden.Get("W"), golden.Get("H")}, *options);
  ASSERT_TRUE(r.ok()) << r.status();
  const at::Tensor mask = golden.Get("mask");
  const double binarized = static_cast<double>(mask.sum().item<int64_t>());
  const double numel = static_cast<double>(mask.numel());
  EXPECT_DOUBLE_EQ(r->wbits_paper, (binarized + 8 * (numel - binarized)) / numel);

  auto rtn_options = MakeQuantOptions("rtn", {{"wbits", int64_t{3}}, {"groupsize", int64_t{64}}});
  ASSERT_TRUE(rtn_options.ok()) << rtn_options.status();
  auto rtn = (*TechniqueRegistry::Global().Find("rtn"))->Quantize({golden.Get("W")}, *rtn_options);
  ASSERT_TRUE(rtn.ok()) << rtn.status();
  EXPECT_EQ(rtn->packing.kind, PackingScheme::Kind::kCodebook);
  EXPECT_EQ(rtn->packing.group_columns, 64);
  EXPECT_EQ(rtn->packing.code_bits, 3);
  auto packed = PackLayer(rtn->quantized, at::Tensor(), rtn->packing, at::kFloat);
  ASSERT_TRUE(packed.ok()) << packed.status();
  auto unpacked = UnpackLayer(*packed);
  ASSERT_TRUE(unpacked.ok()) << unpacked.status();
  EXPECT_TRUE(unpacked->equal(rtn->quantized));
}

}  // namespace
}  // namespace binq::core
