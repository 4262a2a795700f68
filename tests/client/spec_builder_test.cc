#include "client/spec_builder.h"

#include <fstream>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

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
  EXPECT_EQ(r.spec().blocksize(), 128);
  EXPECT_TRUE(r.spec().has_lam());
  EXPECT_DOUBLE_EQ(r.spec().lam(), 2e-5);
  EXPECT_TRUE(r.spec().has_save_model());
  EXPECT_FALSE(r.spec().save_model());
  EXPECT_FALSE(r.spec().has_corr_damp());  // unset optional stays unset (daemon default)
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
                       AllOf(HasSubstr("bad.yaml"), HasSubstr("blocksize: 'big' is not an integer"))));
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

TEST(SpecBuilderTest, KeysCoverEveryProtoField) {
  const auto keys = SpecBuilder::Keys();
  EXPECT_EQ(keys.size(), static_cast<size_t>(binq::v1::JobSpec::descriptor()->field_count() + 3));
  EXPECT_THAT(keys, ::testing::Contains("request_id"));
}

}  // namespace
}  // namespace binq::client
