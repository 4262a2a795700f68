#include "core/base/technique_flags.h"

#include <vector>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "core/base/technique_catalog.h"
#include "tests/testing/status_matchers.h"

namespace binq {
namespace {

using ::binq::testing::IsOkAndHolds;
using ::binq::testing::StatusIs;
using ::testing::HasSubstr;

// Parses `args` with an app holding only the catalog flags.
absl::StatusOr<OptionValues> Parse(std::vector<std::string> args) {
  CLI::App app;
  TechniqueFlags flags;
  flags.AddTo(&app);
  std::vector<const char*> argv = {"prog"};
  for (const std::string& a : args) argv.push_back(a.c_str());
  try {
    app.parse(static_cast<int>(argv.size()), argv.data());
  } catch (const CLI::ParseError& e) {
    return absl::InvalidArgumentError(e.what());
  }
  return flags.Given();
}

TEST(TechniqueFlagsTest, ReferenceSpellingsAndDashedOnesAreTyped) {
  EXPECT_THAT(Parse({"--blocksize", "64", "--corr_damp", "0.2", "--salient_metric", "magnitude"}),
              IsOkAndHolds(OptionValues{{"blocksize", int64_t{64}},
                                        {"corr_damp", 0.2},
                                        {"salient_metric", std::string("magnitude")}}));
  EXPECT_THAT(Parse({"--corr-damp", "0.3", "--crb-variant", "paper2025", "--salient-metric", "hessian"}),
              IsOkAndHolds(OptionValues{{"corr_damp", 0.3},
                                        {"crb_variant", std::string("paper2025")},
                                        {"salient_metric", std::string("hessian")}}));
  EXPECT_THAT(Parse({"--lam=1e-4", "--wbits", "3"}),
              IsOkAndHolds(OptionValues{{"lam", 1e-4}, {"wbits", int64_t{3}}}));
  EXPECT_THAT(Parse({}), IsOkAndHolds(OptionValues{}));  // nothing given: the technique's defaults
}

TEST(TechniqueFlagsTest, TextOfTheWrongTypeNamesTheOption) {
  EXPECT_THAT(Parse({"--blocksize", "big"}),
              StatusIs(absl::StatusCode::kInvalidArgument, "blocksize: must be an integer, got 'big'"));
  EXPECT_THAT(Parse({"--lam", "tiny"}),
              StatusIs(absl::StatusCode::kInvalidArgument, "lam: must be a number, got 'tiny'"));
}

TEST(TechniqueFlagsTest, EveryCatalogOptionHasAFlagWithItsRangeInTheHelp) {
  CLI::App app;
  TechniqueFlags flags;
  flags.AddTo(&app);
  const std::string help = app.help();
  for (const auto& [key, option] : AllCatalogOptions()) {
    EXPECT_THAT(help, HasSubstr("--" + key)) << key;
    EXPECT_THAT(help, HasSubstr(option.schema->RangeText())) << key;
  }
  EXPECT_THAT(CatalogOptionSummary("corr_damp"), "(CRB: default 0.1, [0, 1))");
  EXPECT_THAT(CatalogOptionSummary("salient_metric"),
              HasSubstr("braq, CRB, CRBOG: default hessian, hessian | magnitude"));
}

// Bool options are presence flags (the references' store_true), with an
// explicit =false accepted. The catalog has none yet, so a local schema shows it.
TEST(TechniqueFlagsTest, BoolOptionsArePresenceFlags) {
  CLI::App app;
  bool on = false;
  app.add_flag("--sym", on, "symmetric");
  const char* set[] = {"prog", "--sym"};
  app.parse(2, set);
  EXPECT_TRUE(on);
  CLI::App app2;
  bool off = true;
  app2.add_flag("--sym", off, "symmetric");
  const char* unset[] = {"prog", "--sym=false"};
  app2.parse(2, unset);
  EXPECT_FALSE(off);
}

}  // namespace
}  // namespace binq
