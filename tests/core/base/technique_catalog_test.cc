#include "core/base/technique_catalog.h"

#include <set>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "absl/strings/ascii.h"
#include "tests/testing/status_matchers.h"

namespace binq {
namespace {

using ::binq::testing::IsOkAndHolds;
using ::binq::testing::StatusIs;
using ::testing::HasSubstr;

// ---- the catalog's own consistency

TEST(TechniqueCatalogTest, NamesAndAliasesAreUniqueInAnyCase) {
  std::set<std::string> seen;
  for (const TechniqueEntry& e : TechniqueCatalog()) {
    EXPECT_TRUE(seen.insert(absl::AsciiStrToLower(e.name)).second) << e.name;
    for (const std::string& a : e.aliases) EXPECT_TRUE(seen.insert(absl::AsciiStrToLower(a)).second) << a;
    EXPECT_FALSE(e.help.empty()) << e.name;
  }
}

TEST(TechniqueCatalogTest, EveryDefaultIsInItsOwnRangeAndKeysAreSnakeCase) {
  for (const TechniqueEntry& e : TechniqueCatalog()) {
    std::set<std::string> keys;
    for (const OptionSchema& o : e.options) {
      EXPECT_EQ(NormalizeOptionKey(o.key), o.key) << e.name << " " << o.key;
      EXPECT_TRUE(keys.insert(o.key).second) << e.name << " repeats " << o.key;
      for (const std::string& a : o.aliases) EXPECT_TRUE(keys.insert(a).second) << e.name << " " << a;
      EXPECT_FALSE(o.help.empty()) << o.key;
      auto checked = CheckValue(o, o.default_value);
      ASSERT_TRUE(checked.ok()) << e.name << " " << o.key << ": " << checked.status();
      EXPECT_EQ(*checked, o.default_value) << e.name << " " << o.key << " default has the wrong type";
    }
  }
}

TEST(TechniqueCatalogTest, AKeyHasOneTypeAcrossTechniques) {
  for (const auto& [key, option] : AllCatalogOptions()) {
    for (const std::string& name : option.techniques) {
      const TechniqueEntry* e = *FindTechniqueEntry(name);
      EXPECT_EQ(e->FindOption(key)->type, option.schema->type) << key << " in " << name;
    }
  }
}

TEST(TechniqueCatalogTest, LegacyKeysAreCatalogOptions) {
  for (const std::string& key : LegacyOptionKeys()) {
    bool found = false;
    for (const auto& [k, option] : AllCatalogOptions()) found |= k == key;
    EXPECT_TRUE(found) << key;
  }
}

TEST(TechniqueCatalogTest, SortedByLowerCaseName) {
  const auto& catalog = TechniqueCatalog();
  for (size_t i = 1; i < catalog.size(); ++i) {
    EXPECT_LT(absl::AsciiStrToLower(catalog[i - 1].name), absl::AsciiStrToLower(catalog[i].name));
  }
  EXPECT_THAT(TechniqueNamesForHelp(), HasSubstr("braq, CRB, CRBOG"));
}

// ---- lookup and aliases

TEST(TechniqueCatalogTest, FindsByNameOrAliasInAnyCase) {
  EXPECT_EQ((*FindTechniqueEntry("crb"))->name, "CRB");
  EXPECT_EQ((*FindTechniqueEntry("FP16"))->name, kNoQuantization);
  EXPECT_FALSE((*FindTechniqueEntry("none"))->needs_calibration);
  EXPECT_TRUE((*FindTechniqueEntry("braq"))->needs_calibration);
  EXPECT_THAT(FindTechniqueEntry("billm2").status(),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("technique: unknown 'billm2' (known: ")));
}

TEST(TechniqueCatalogTest, OptionKeysMatchWithDashesOrUnderscores) {
  const TechniqueEntry& crb = **FindTechniqueEntry("CRB");
  ASSERT_NE(crb.FindOption("corr-damp"), nullptr);
  EXPECT_EQ(crb.FindOption("corr-damp")->key, "corr_damp");
  EXPECT_EQ(crb.FindOption("Corr_Damp")->key, "corr_damp");
  EXPECT_EQ(crb.FindOption("wbits"), nullptr);
  OptionSchema cgb = WithAliases(BoolOption("order2_group", false, "CGB"), {"cgb"});
  TechniqueEntry e{"t", {}, "help", true, {cgb}};
  ASSERT_NE(e.FindOption("cgb"), nullptr);
  EXPECT_EQ(e.FindOption("cgb")->key, "order2_group");
  EXPECT_EQ(e.FindOption("order2-group")->key, "order2_group");
}

// ---- schema checks: types, ranges, messages

TEST(OptionSchemaTest, RangesAndTheirMessages) {
  const OptionSchema corr = InRange(DoubleOption("corr_damp", 0.1, "γ"), 0, 1, /*max_open=*/true);
  EXPECT_EQ(corr.RangeText(), "[0, 1)");
  EXPECT_THAT(CheckValue(corr, OptionValue(0.0)), IsOkAndHolds(OptionValue(0.0)));
  EXPECT_THAT(CheckValue(corr, OptionValue(0.999)), IsOkAndHolds(OptionValue(0.999)));
  EXPECT_THAT(CheckValue(corr, OptionValue(int64_t{2})),
              StatusIs(absl::StatusCode::kInvalidArgument, "corr_damp: must be in [0, 1), got 2"));
  EXPECT_THAT(CheckValue(corr, OptionValue(1.0)), StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("got 1")));
  EXPECT_THAT(CheckValue(corr, OptionValue(-0.5)), StatusIs(absl::StatusCode::kInvalidArgument, ::testing::_));
  EXPECT_THAT(CheckValue(corr, OptionValue(std::nan(""))), StatusIs(absl::StatusCode::kInvalidArgument, ::testing::_));
  EXPECT_THAT(CheckValue(corr, OptionValue(true)),
              StatusIs(absl::StatusCode::kInvalidArgument, "corr_damp: must be a number, got true"));
  EXPECT_THAT(CheckValue(corr, OptionValue(int64_t{0})), IsOkAndHolds(OptionValue(0.0)));  // int → double

  const OptionSchema block = AtLeast(IntOption("blocksize", 128, "β"), 1);
  EXPECT_EQ(block.RangeText(), "≥ 1");
  EXPECT_THAT(CheckValue(block, OptionValue(int64_t{0})),
              StatusIs(absl::StatusCode::kInvalidArgument, "blocksize: must be ≥ 1, got 0"));
  EXPECT_THAT(CheckValue(block, OptionValue(64.0)), IsOkAndHolds(OptionValue(int64_t{64})));  // integral
  EXPECT_THAT(CheckValue(block, OptionValue(1.5)),
              StatusIs(absl::StatusCode::kInvalidArgument, "blocksize: must be an integer, got 1.5"));
  EXPECT_THAT(CheckValue(block, OptionValue(std::string("big"))),
              StatusIs(absl::StatusCode::kInvalidArgument, "blocksize: must be an integer, got 'big'"));

  const OptionSchema damp = Above(DoubleOption("percdamp", 0.01, "δ"), 0);
  EXPECT_EQ(damp.RangeText(), "> 0");
  EXPECT_THAT(CheckValue(damp, OptionValue(0.0)),
              StatusIs(absl::StatusCode::kInvalidArgument, "percdamp: must be > 0, got 0"));
  EXPECT_THAT(CheckValue(damp, OptionValue(std::numeric_limits<double>::infinity())),
              StatusIs(absl::StatusCode::kInvalidArgument, ::testing::_));
}

TEST(OptionSchemaTest, EnumsBoolsAndIntChoices) {
  const OptionSchema metric = EnumOption("salient_metric", {"hessian", "magnitude"}, "hessian", "T");
  EXPECT_EQ(metric.RangeText(), "hessian | magnitude");
  EXPECT_THAT(CheckValue(metric, OptionValue(std::string("Magnitude"))),
              IsOkAndHolds(OptionValue(std::string("magnitude"))));
  EXPECT_THAT(CheckValue(metric, OptionValue(std::string("l2"))),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       "salient_metric: must be hessian or magnitude, got 'l2'"));
  EXPECT_THAT(CheckValue(metric, OptionValue(int64_t{1})), StatusIs(absl::StatusCode::kInvalidArgument, ::testing::_));

  const OptionSchema sym = BoolOption("sym", false, "symmetric");
  EXPECT_THAT(CheckValue(sym, OptionValue(true)), IsOkAndHolds(OptionValue(true)));
  EXPECT_THAT(CheckValue(sym, OptionValue(int64_t{1})),
              StatusIs(absl::StatusCode::kInvalidArgument, "sym: must be true or false, got 1"));

  const OptionSchema wbits = OneOf(InRange(IntOption("wbits", 4, "bits"), 2, 8), {"2", "3", "4", "8"});
  EXPECT_EQ(wbits.RangeText(), "2 | 3 | 4 | 8");
  EXPECT_THAT(CheckValue(wbits, OptionValue(int64_t{8})), IsOkAndHolds(OptionValue(int64_t{8})));
  EXPECT_THAT(CheckValue(wbits, OptionValue(int64_t{5})),
              StatusIs(absl::StatusCode::kInvalidArgument, "wbits: must be one of 2, 3, 4 or 8, got 5"));
  EXPECT_THAT(CheckValue(wbits, OptionValue(int64_t{16})),
              StatusIs(absl::StatusCode::kInvalidArgument, "wbits: must be in [2, 8], got 16"));
}

TEST(OptionSchemaTest, ParsesCommandLineTextByType) {
  EXPECT_THAT(ParseOptionAs(OptionType::kInt, "blocksize", "64"), IsOkAndHolds(OptionValue(int64_t{64})));
  EXPECT_THAT(ParseOptionAs(OptionType::kDouble, "lam", "1e-5"), IsOkAndHolds(OptionValue(1e-5)));
  EXPECT_THAT(ParseOptionAs(OptionType::kBool, "sym", "true"), IsOkAndHolds(OptionValue(true)));
  EXPECT_THAT(ParseOptionAs(OptionType::kEnum, "salient_metric", "Hessian"),
              IsOkAndHolds(OptionValue(std::string("hessian"))));
  EXPECT_THAT(ParseOptionAs(OptionType::kInt, "blocksize", "1.5"),
              StatusIs(absl::StatusCode::kInvalidArgument, "blocksize: must be an integer, got '1.5'"));
  EXPECT_THAT(ParseOptionAs(OptionType::kDouble, "lam", "tiny"),
              StatusIs(absl::StatusCode::kInvalidArgument, "lam: must be a number, got 'tiny'"));
  EXPECT_EQ(OptionValueText(OptionValue(1e-5)), "1e-05");
  EXPECT_EQ(OptionValueText(OptionValue(0.1)), "0.1");
  EXPECT_EQ(OptionValueText(OptionValue(int64_t{128})), "128");
}

// ---- resolving one technique's options

TEST(TechniqueOptionsTest, ResolveFillsDefaultsAndChecksOnce) {
  const auto crb = TechniqueOptions::Resolve("crb", {{"corr_damp", 0.25}, {"blocksize", int64_t{64}}});
  ASSERT_TRUE(crb.ok()) << crb.status();
  EXPECT_EQ(crb->technique(), "CRB");
  EXPECT_THAT(crb->Double("corr_damp"), IsOkAndHolds(0.25));
  EXPECT_THAT(crb->Double("lam"), IsOkAndHolds(1e-5));
  EXPECT_THAT(crb->Int("blocksize"), IsOkAndHolds(64));
  EXPECT_THAT(crb->Enum("crb_variant"), IsOkAndHolds("current"));
  EXPECT_TRUE(crb->Has("corr-damp"));
  EXPECT_FALSE(crb->Has("wbits"));
  // The technique's code asking for a key its row lacks, or with another type, is a broken invariant.
  EXPECT_THAT(crb->Int("wbits"), StatusIs(absl::StatusCode::kInternal, HasSubstr("catalog row")));
  EXPECT_THAT(crb->Int("lam"), StatusIs(absl::StatusCode::kInternal, ::testing::_));

  EXPECT_THAT(TechniqueOptions::Resolve("CRB", {{"corr_damp", 2.0}}).status(),
              StatusIs(absl::StatusCode::kInvalidArgument, "corr_damp: must be in [0, 1), got 2"));
  EXPECT_THAT(TechniqueOptions::Resolve("sign", {{"blocksize", int64_t{64}}}).status(),
              StatusIs(absl::StatusCode::kInvalidArgument, "blocksize: not an option of sign (its options: none)"));
  EXPECT_THAT(TechniqueOptions::Resolve("braq", {{"lam", 1e-5}}).status(),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       HasSubstr("lam: not an option of braq (its options: blocksize, percdamp, salient_metric)")));
  EXPECT_THAT(TechniqueOptions::Resolve("CRB", {{"corr_damp", 0.1}, {"corr-damp", 0.2}}).status(),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("given twice")));
  EXPECT_THAT(TechniqueOptions::Resolve("x", {}).status(), StatusIs(absl::StatusCode::kInvalidArgument, ::testing::_));
  EXPECT_THAT(TechniqueOptions().Int("blocksize"), StatusIs(absl::StatusCode::kInternal, ::testing::_));
}

TEST(TechniqueOptionsTest, EveryTechniqueResolvesWithNoOptionsToItsDefaults) {
  for (const TechniqueEntry& e : TechniqueCatalog()) {
    const auto resolved = TechniqueOptions::Resolve(e.name, {});
    ASSERT_TRUE(resolved.ok()) << e.name << ": " << resolved.status();
    EXPECT_EQ(resolved->values().size(), e.options.size()) << e.name;
    for (const OptionSchema& o : e.options) EXPECT_EQ(resolved->values().at(o.key), o.default_value);
  }
}

TEST(TechniqueOptionsTest, LegacyFieldsMergeOnlyWhereTheTechniqueHasThem) {
  const OptionValues legacy = {{"blocksize", int64_t{64}}, {"wbits", int64_t{3}}, {"lam", 1e-4}};
  OptionValues rtn;
  MergeLegacyOptions("rtn", legacy, rtn);
  EXPECT_EQ(rtn, (OptionValues{{"wbits", int64_t{3}}}));
  OptionValues crb = {{"lam", 1e-3}};
  MergeLegacyOptions("CRB", legacy, crb);
  EXPECT_EQ(crb, (OptionValues{{"blocksize", int64_t{64}}, {"lam", 1e-3}}));  // explicit lam wins
  OptionValues unknown;
  MergeLegacyOptions("nope", legacy, unknown);
  EXPECT_EQ(unknown, legacy);
}

}  // namespace
}  // namespace binq
