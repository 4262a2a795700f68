#include "core/base/job_spec.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "tests/testing/status_matchers.h"

namespace binq {
namespace {

using ::binq::testing::StatusIs;
using ::testing::HasSubstr;

JobSpec Valid() {
  JobSpec spec;
  spec.model = "facebook/opt-125m";
  spec.technique = "crb";
  return spec;
}

TEST(JobSpecTest, DefaultsWithModelAndTechniqueAreValid) {
  EXPECT_TRUE(ValidateJobSpec(Valid()).ok());
}

TEST(JobSpecTest, EachBadFieldIsNamed) {
  struct Case {
    std::function<void(JobSpec&)> mutate;
    const char* field;
  };
  const std::vector<Case> cases = {
      {[](JobSpec& s) { s.model.clear(); }, "model:"},
      {[](JobSpec& s) { s.technique = "billm2"; }, "technique: unknown 'billm2'"},
      {[](JobSpec& s) { s.blocksize = 0; }, "blocksize: must be ≥ 1, got 0"},
      {[](JobSpec& s) { s.nsamples = 0; }, "nsamples:"},
      {[](JobSpec& s) { s.seqlen = 1; }, "seqlen:"},
      {[](JobSpec& s) { s.dataset = "imagenet"; }, "dataset: unknown dataset 'imagenet'"},
      {[](JobSpec& s) { s.eval_datasets = {"wikitext2", "mnist"}; }, "eval_datasets: unknown dataset 'mnist'"},
      {[](JobSpec& s) { s.salient_metric = "l2"; }, "salient_metric:"},
      {[](JobSpec& s) { s.percdamp = -1; }, "percdamp:"},
      {[](JobSpec& s) { s.crb_variant = "v9"; }, "crb_variant:"},
      {[](JobSpec& s) { s.corr_damp = 1.5; }, "corr_damp:"},
      {[](JobSpec& s) { s.wbits = 0; }, "wbits:"},
      {[](JobSpec& s) { s.device = "tpu"; }, "device:"},
      {[](JobSpec& s) { s.dtype = "int8"; }, "dtype:"},
  };
  for (const Case& c : cases) {
    JobSpec spec = Valid();
    c.mutate(spec);
    EXPECT_THAT(ValidateJobSpec(spec),
                StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr(c.field)))
        << c.field;
  }
}

TEST(JobSpecTest, TechniquesAreCaseInsensitive) {
  EXPECT_EQ(*CanonicalTechnique("crbog"), "CRBOG");
  EXPECT_EQ(*CanonicalTechnique("BRAQ"), "braq");
  EXPECT_EQ(*CanonicalTechnique("FP16"), "fp16");
  EXPECT_THAT(CanonicalTechnique("gptq").status(),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("known: braq, CRB")));
}

TEST(JobSpecTest, CustomDatasetIsAPath) {
  JobSpec spec = Valid();
  spec.dataset = "/data/my_corpus.txt";
  EXPECT_TRUE(ValidateJobSpec(spec).ok());
  EXPECT_EQ(EffectiveEvalDatasets(spec), std::vector<std::string>{"/data/my_corpus.txt"});
  spec.eval_datasets = {"ptb", "c4"};
  EXPECT_EQ(EffectiveEvalDatasets(spec), (std::vector<std::string>{"ptb", "c4"}));
}

TEST(JobSpecTest, JsonRoundTripKeepsEveryField) {
  JobSpec spec = Valid();
  spec.eval_datasets = {"wikitext2", "ptb"};
  spec.blocksize = 64;
  spec.seed = 7;
  spec.lam = 2e-5;
  spec.save_model = false;
  spec.priority = 3;
  spec.user = "ada";
  const auto back = JobSpecFromJson(JobSpecToJson(spec));
  ASSERT_TRUE(back.ok()) << back.status();
  EXPECT_EQ(JobSpecToJson(*back), JobSpecToJson(spec));
}

TEST(JobSpecTest, JsonRejectsUnknownKeysAndWrongTypes) {
  EXPECT_THAT(JobSpecFromJson({{"model", "m"}, {"blocksize", "big"}}).status(),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("blocksize: must be an integer")));
  EXPECT_THAT(JobSpecFromJson({{"modle", "m"}}).status(),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("modle: unknown spec field")));
  EXPECT_THAT(JobSpecFromJson({{"seed", -1}}).status(),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("seed: must be ≥ 0")));
  EXPECT_THAT(JobSpecFromJson(nlohmann::json::array()).status(),
              StatusIs(absl::StatusCode::kInvalidArgument, ::testing::_));
  const auto partial = JobSpecFromJson({{"model", "m"}, {"technique", "CRB"}});
  ASSERT_TRUE(partial.ok());
  EXPECT_EQ(partial->blocksize, 128);
  EXPECT_EQ(partial->nsamples, 128);
}

}  // namespace
}  // namespace binq
