#include "client/spec_builder.h"

#include <fstream>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "core/base/technique_catalog.h"
#include "tests/testing/status_matchers.h"
#include "tests/testing/subprocess.h"

namespace binq::client {
namespace {

using ::binq::testing::StatusIs;
using ::testing::HasSubstr;

std::string WriteFile(const std::string& name, const std::string& text) {
  const std::string path = ::binq::testing::MakeTempDir() + "/" + name;
  std::ofstream(path) << text;
  return path;
}

TEST(SpecBuilderTest, YamlFileFillsSpecAndRequest) {
  SpecBuilder b;
  ASSERT_TRUE(b.AddFile(WriteFile("job.yaml", R"(# a CRB run
model: facebook/opt-1.3b
technique: CRB
dataset: wikitext2
eval_datasets: [wikitext2, ptb]
blocksize: 128
lam: 2.0e-5
save_model: false
priority: 5
request_id: run-42
)")).ok());
  const auto& r = b.request();
  EXPECT_EQ(r.spec().model(), "facebook/opt-1.3b");
  EXPECT_EQ(r.spec().technique(), "CRB");
  EXPECT_THAT(r.spec().eval_datasets(), ::testing::ElementsAre("wikitext2", "ptb"));
  // Technique options at the top level travel in technique_options, typed by the catalog.
  const auto& options = r.spec().technique_options();
  EXPECT_EQ(options.at("blocksize").number_value(), 128);
  EXPECT_DOUBLE_EQ(options.at("lam").number_value(), 2e-5);
  EXPECT_TRUE(r.spec().has_save_model());
  EXPECT_FALSE(r.spec().save_model());
  EXPECT_EQ(options.count("corr_damp"), 0u);  // unset stays unset (the technique's default)
  EXPECT_EQ(r.priority(), 5);
  EXPECT_EQ(r.request_id(), "run-42");
}

TEST(SpecBuilderTest, JsonFileAndFlagOverride) {
  SpecBuilder b;
  ASSERT_TRUE(b.AddFile(WriteFile("job.json", R"({"model": "m", "technique": "braq", "nsamples": 64})")).ok());
  ASSERT_TRUE(b.Set("nsamples", "32").ok());
  ASSERT_TRUE(b.Set("eval_datasets", "ptb, c4").ok());
  EXPECT_EQ(b.request().spec().nsamples(), 32);
  EXPECT_THAT(b.request().spec().eval_datasets(), ::testing::ElementsAre("ptb", "c4"));
}

TEST(SpecBuilderTest, BadInputNamesFileAndKey) {
  SpecBuilder b;
  EXPECT_THAT(b.AddFile(WriteFile("bad.yaml", "model: m\nblocksize: big\n")),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       AllOf(HasSubstr("bad.yaml"), HasSubstr("blocksize: must be an integer, got 'big'"))));
  EXPECT_THAT(b.AddFile(WriteFile("opts.yaml", "technique_options: {lam: [1]}\n")),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("lam: must be a single value")));
  EXPECT_THAT(b.AddFile(WriteFile("opts2.yaml", "technique_options: {learning_rate: 3}\n")),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("unknown option 'learning_rate'")));
  EXPECT_THAT(b.AddFile(WriteFile("typo.yaml", "modle: m\n")),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("unknown key 'modle'")));
  EXPECT_THAT(b.AddFile(WriteFile("list.yaml", "- a\n- b\n")),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("must be a mapping")));
  EXPECT_THAT(b.AddFile(WriteFile("broken.yaml", "model: [unclosed\n")),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("not valid YAML")));
  EXPECT_THAT(b.AddFile("/nonexistent/job.yaml"),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("cannot read")));
  EXPECT_THAT(b.Set("seed", "-1"),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("non-negative")));
  EXPECT_THAT(b.Set("save_model", "maybe"),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("true or false")));
}

TEST(SpecBuilderTest, TechniqueOptionsNestedDashedOrAsFlags) {
  SpecBuilder b;
  ASSERT_TRUE(b.AddFile(WriteFile("job.yaml", R"(model: m
technique: CRB
technique_options:
  corr-damp: 0.2
  crb_variant: paper2025
)")).ok());
  ASSERT_TRUE(b.Set("blocksize", "64").ok());
  ASSERT_TRUE(b.SetOption("lam", OptionValue(1e-4)).ok());
  const auto& options = b.request().spec().technique_options();
  EXPECT_DOUBLE_EQ(options.at("corr_damp").number_value(), 0.2);  // canonical key
  EXPECT_EQ(options.at("crb_variant").string_value(), "paper2025");
  EXPECT_EQ(options.at("blocksize").number_value(), 64);
  EXPECT_DOUBLE_EQ(options.at("lam").number_value(), 1e-4);
  EXPECT_THAT(b.SetOption("learning_rate", OptionValue(1.0)),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("not a technique option")));
}

TEST(SpecBuilderTest, KeysCoverEveryProtoFieldAndCatalogOption) {
  const auto keys = SpecBuilder::Keys();
  const auto* spec = binq::v1::JobSpec::descriptor();
  for (int i = 0; i < spec->field_count(); ++i) {
    if (!spec->field(i)->options().deprecated()) {
      EXPECT_THAT(keys, ::testing::Contains(spec->field(i)->name()));
    }
  }
  for (const auto& [key, option] : AllCatalogOptions()) EXPECT_THAT(keys, ::testing::Contains(key));
  EXPECT_THAT(keys, ::testing::Contains("request_id"));
  EXPECT_THAT(keys, ::testing::Contains("technique_options"));
}

}  // namespace
}  // namespace binq::client
