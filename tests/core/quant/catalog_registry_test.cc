// The technique catalog (core/base/technique_catalog.h, what binqd validates
// with, without LibTorch) against the worker's TechniqueRegistry: the same
// techniques under the same names, and every technique runs with the options
// its catalog row resolves to.
#include <set>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "core/base/job_spec.h"
#include "core/base/technique_catalog.h"
#include "core/quant/calibration.h"
#include "core/quant/technique.h"
#include "tests/testing/status_matchers.h"

namespace binq::core {
namespace {

using ::binq::testing::StatusIs;
using ::testing::HasSubstr;

TEST(CatalogRegistryTest, EveryRegisteredTechniqueHasARowAndViceVersa) {
  std::set<std::string> registered, catalog;
  for (const Technique* t : TechniqueRegistry::Global().All()) {
    registered.insert(t->name());
    const auto entry = FindTechniqueEntry(t->name());
    ASSERT_TRUE(entry.ok()) << t->name() << " is registered but has no catalog row";
    EXPECT_EQ((*entry)->name, t->name()) << "the row must spell the name exactly as the technique";
    EXPECT_EQ(t->description(), (*entry)->help);
    EXPECT_EQ(t->needs_hessian(), (*entry)->needs_calibration) << t->name();
  }
  for (const TechniqueEntry& e : TechniqueCatalog()) catalog.insert(e.name);
  EXPECT_EQ(registered, catalog);
  const std::vector<std::string> known = KnownTechniques();  // what binqd accepts
  EXPECT_EQ(std::set<std::string>(known.begin(), known.end()), registered);
  EXPECT_EQ(TechniqueRegistry::Global().NamesForHelp(), TechniqueNamesForHelp());
}

TEST(CatalogRegistryTest, AliasesFindTheirTechnique) {
  for (const TechniqueEntry& e : TechniqueCatalog()) {
    for (const std::string& alias : e.aliases) {
      auto t = TechniqueRegistry::Global().Find(alias);
      ASSERT_TRUE(t.ok()) << alias << ": " << t.status();
      EXPECT_EQ((*t)->name(), e.name);
    }
  }
  EXPECT_EQ((*TechniqueRegistry::Global().Find("FP16"))->name(), "none");
}

// Each technique quantizes a small layer with the options its row resolves to
// (every default): a technique that reads an option its row lacks fails here.
TEST(CatalogRegistryTest, EveryTechniqueRunsWithItsResolvedDefaults) {
  at::manual_seed(3);
  const at::Tensor w = at::randn({16, 256}) * 0.02;
  const at::Tensor h = *HessianFromInputs(at::randn({1024, 256}), 32);
  for (const TechniqueEntry& e : TechniqueCatalog()) {
    auto options = MakeQuantOptions(e.name, {});
    ASSERT_TRUE(options.ok()) << e.name << ": " << options.status();
    const Technique& t = **TechniqueRegistry::Global().Find(e.name);
    const LayerProblem problem{w, h};
    auto r = t.Quantize(problem, *options);
    ASSERT_TRUE(r.ok()) << e.name << ": " << r.status();
    EXPECT_EQ(r->quantized.sizes(), w.sizes()) << e.name;
    EXPECT_TRUE(r->quantized.isfinite().all().item<bool>()) << e.name;
  }
}

TEST(CatalogRegistryTest, NoneIsTheIdentity) {
  at::manual_seed(4);
  const at::Tensor w = at::randn({8, 64}).to(at::kHalf);
  auto r = (*TechniqueRegistry::Global().Find("none"))->Quantize(LayerProblem{w, at::Tensor()},
                                                                  *MakeQuantOptions("none", {}));
  ASSERT_TRUE(r.ok()) << r.status();
  EXPECT_TRUE(at::equal(r->quantized, w.to(at::kFloat)));
  EXPECT_EQ(r->wbits_paper, 16);
  EXPECT_EQ(r->packing.kind, PackingScheme::Kind::kNone);
}

TEST(MakeQuantOptionsTest, FillsTheDirectFieldsFromTheRow) {
  auto crb = MakeQuantOptions("crb", {{"corr_damp", 0.3}, {"crb_variant", std::string("paper2025")},
                                      {"blocksize", int64_t{64}}, {"salient_metric", std::string("magnitude")},
                                      {"lam", 1e-4}, {"percdamp", 0.05}});
  ASSERT_TRUE(crb.ok()) << crb.status();
  EXPECT_EQ(crb->corr_damp, 0.3);
  EXPECT_EQ(crb->crb_variant, CrbVariant::kPaper2025);
  EXPECT_EQ(crb->blocksize, 64);
  EXPECT_EQ(crb->salient_metric, SalientMetric::kMagnitude);
  EXPECT_EQ(crb->lam, 1e-4);
  EXPECT_EQ(crb->percdamp, 0.05);
  EXPECT_EQ(crb->technique_options.technique(), "CRB");
  EXPECT_EQ(*crb->technique_options.Double("corr_damp"), 0.3);

  auto rtn = MakeQuantOptions("rtn", {{"wbits", int64_t{4}}});
  ASSERT_TRUE(rtn.ok());
  EXPECT_EQ(rtn->wbits, 4);
  EXPECT_THAT(MakeQuantOptions("rtn", {{"wbits", int64_t{9}}}),
              StatusIs(absl::StatusCode::kInvalidArgument, "wbits: must be in [1, 8], got 9"));
  EXPECT_THAT(MakeQuantOptions("sign", {{"lam", 1e-5}}),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("lam: not an option of sign")));
}

// The catalog path gives the braq family exactly the options the hand-built
// defaults do: same numbers, bit for bit.
TEST(MakeQuantOptionsTest, DefaultsAreBitIdenticalToQuantOptionsDefaults) {
  at::manual_seed(5);
  const at::Tensor w = at::randn({32, 256}) * 0.02;
  const at::Tensor h = *HessianFromInputs(at::randn({1024, 256}), 32);
  for (const char* name : {"braq", "CRBOG", "CRB", "sign", "rtn"}) {
    const Technique& t = **TechniqueRegistry::Global().Find(name);
    auto by_hand = t.Quantize(LayerProblem{w, h}, QuantOptions{});
    auto by_row = t.Quantize(LayerProblem{w, h}, *MakeQuantOptions(name, {}));
    ASSERT_TRUE(by_hand.ok() && by_row.ok()) << name;
    EXPECT_TRUE(at::equal(by_hand->quantized, by_row->quantized)) << name;
  }
}

TEST(ValidateOptionsTest, UsesTheRowsRanges) {
  QuantOptions o;
  o.corr_damp = 1.0;  // [0, 1) in CRB's row
  EXPECT_THAT(ValidateOptions(o, "CRB"),
              StatusIs(absl::StatusCode::kInvalidArgument, "corr_damp: must be in [0, 1), got 1"));
  EXPECT_TRUE(ValidateOptions(o, "braq").ok());  // braq has no corr_damp
  o = QuantOptions{};
  o.blocksize = 0;
  EXPECT_THAT(ValidateOptions(o, "braq"), StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("blocksize")));
  o = QuantOptions{};
  o.up_lim = 1;
  EXPECT_THAT(ValidateOptions(o, "braq"), StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("up_lim")));
}

}  // namespace
}  // namespace binq::core
