#include "core/base/job_spec.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "tests/testing/status_matchers.h"

namespace binq {
namespace {

using ::binq::testing::StatusIs;
using ::testing::AllOf;
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
      {[](JobSpec& s) { s.technique_options["blocksize"] = int64_t{0}; }, "blocksize: must be ≥ 1, got 0"},
      {[](JobSpec& s) { s.nsamples = 0; }, "nsamples:"},
      {[](JobSpec& s) { s.seqlen = 1; }, "seqlen:"},
      {[](JobSpec& s) { s.dataset = "imagenet"; }, "dataset: unknown dataset 'imagenet'"},
      {[](JobSpec& s) { s.eval_datasets = {"wikitext2", "mnist"}; }, "eval_datasets: unknown dataset 'mnist'"},
      {[](JobSpec& s) { s.technique_options["salient_metric"] = "l2"; },
       "salient_metric: must be hessian or magnitude, got 'l2'"},
      {[](JobSpec& s) { s.technique_options["percdamp"] = -1.0; }, "percdamp: must be > 0, got -1"},
      {[](JobSpec& s) { s.technique_options["crb_variant"] = "v9"; }, "crb_variant:"},
      {[](JobSpec& s) { s.technique_options["corr_damp"] = 2.0; }, "corr_damp: must be in [0, 1), got 2"},
      {[](JobSpec& s) { s.technique_options["corr_damp"] = 1.0; }, "corr_damp: must be in [0, 1), got 1"},
      {[](JobSpec& s) { s.technique_options["lam"] = "big"; }, "lam: must be a number, got 'big'"},
      {[](JobSpec& s) { s.technique_options["wbits"] = int64_t{2}; }, "wbits: not an option of CRB"},
      {[](JobSpec& s) {
         s.technique = "rtn";
         s.technique_options["wbits"] = int64_t{0};
       },
       "wbits: must be in [1, 8], got 0"},
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
  EXPECT_EQ(*CanonicalTechnique("FP16"), "none");  // the old name, an alias now
  EXPECT_EQ(*CanonicalTechnique("none"), "none");
  // The list is the whole catalog, in its order.
  EXPECT_THAT(CanonicalTechnique("billm2").status(),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       AllOf(HasSubstr("technique: unknown 'billm2' (known: "), HasSubstr("braq, "),
                             HasSubstr("CRB, CRBOG, gptq"), HasSubstr("arb-x"), HasSubstr("row-hbraq"))));
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
  spec.technique_options = {{"blocksize", int64_t{64}},
                            {"lam", 2e-5},
                            {"corr_damp", 0.1},
                            {"salient_metric", "magnitude"}};
  spec.seed = 7;
  spec.save_model = false;
  spec.priority = 3;
  spec.user = "ada";
  const auto back = JobSpecFromJson(JobSpecToJson(spec));
  ASSERT_TRUE(back.ok()) << back.status();
  EXPECT_EQ(JobSpecToJson(*back), JobSpecToJson(spec));
  EXPECT_EQ(back->technique_options, spec.technique_options);  // types kept: 64 int, 2e-5 double
  EXPECT_EQ(JobSpecToJson(spec)["technique_options"]["blocksize"], 64);
}

TEST(JobSpecTest, JsonRejectsUnknownKeysAndWrongTypes) {
  EXPECT_THAT(JobSpecFromJson({{"model", "m"}, {"blocksize", "big"}}).status(),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("blocksize: must be an integer")));
  EXPECT_THAT(JobSpecFromJson({{"model", "m"}, {"technique_options", {{"sym", 1}, {"lam", "x"}}}}).status(),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("lam: must be a number")));
  EXPECT_THAT(JobSpecFromJson({{"technique_options", {{"lam", {1, 2}}}}}).status(),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("lam:")));
  EXPECT_THAT(JobSpecFromJson({{"technique_options", 3}}).status(),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("technique_options: must be an object")));
  EXPECT_THAT(JobSpecFromJson({{"modle", "m"}}).status(),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("modle: unknown spec field")));
  EXPECT_THAT(JobSpecFromJson({{"seed", -1}}).status(),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("seed: must be ≥ 0")));
  EXPECT_THAT(JobSpecFromJson(nlohmann::json::array()).status(),
              StatusIs(absl::StatusCode::kInvalidArgument, ::testing::_));
  const auto partial = JobSpecFromJson({{"model", "m"}, {"technique", "CRB"}});
  ASSERT_TRUE(partial.ok());
  EXPECT_TRUE(partial->technique_options.empty());
  EXPECT_EQ(partial->nsamples, 128);
}

// metrics.json and stored jobs from before technique_options carry every old
// option field at the top level, whatever the technique.
TEST(JobSpecTest, OldSpecsWithTopLevelOptionsStillRead) {
  const nlohmann::json old_crb = {{"model", "m"}, {"technique", "CRB"}, {"blocksize", 64},
                                  {"salient_metric", "hessian"}, {"percdamp", 0.01},
                                  {"crb_variant", "current"}, {"lam", 1e-5}, {"corr_damp", 0.2},
                                  {"wbits", 2}};
  const auto crb = JobSpecFromJson(old_crb);
  ASSERT_TRUE(crb.ok()) << crb.status();
  EXPECT_EQ(crb->technique_options.at("blocksize"), OptionValue(int64_t{64}));
  EXPECT_EQ(crb->technique_options.at("corr_damp"), OptionValue(0.2));
  EXPECT_EQ(crb->technique_options.count("wbits"), 0u);  // CRB has none; it was ignored
  EXPECT_TRUE(ValidateJobSpec(*crb).ok());

  const auto fp16 = JobSpecFromJson({{"model", "m"}, {"technique", "fp16"}, {"blocksize", 128}, {"lam", 1e-5}});
  ASSERT_TRUE(fp16.ok()) << fp16.status();
  EXPECT_TRUE(fp16->technique_options.empty());
  EXPECT_TRUE(ValidateJobSpec(*fp16).ok());
  EXPECT_EQ(*CanonicalTechnique(fp16->technique), "none");

  // An explicit technique_options entry wins over the old field.
  const auto both = JobSpecFromJson({{"model", "m"}, {"technique", "rtn"}, {"wbits", 3},
                                     {"technique_options", {{"wbits", 4}}}});
  ASSERT_TRUE(both.ok());
  EXPECT_EQ(both->technique_options.at("wbits"), OptionValue(int64_t{4}));
}

TEST(JobSpecTest, ResolveTechniqueFillsEveryOptionOnce) {
  JobSpec spec = Valid();
  spec.technique_options = {{"corr-damp", 0.3}};  // dashes as on a command line
  const auto resolved = ResolveTechnique(spec);
  ASSERT_TRUE(resolved.ok()) << resolved.status();
  EXPECT_EQ(resolved->technique, "CRB");
  EXPECT_EQ(resolved->technique_options.at("corr_damp"), OptionValue(0.3));
  EXPECT_EQ(resolved->technique_options.at("lam"), OptionValue(1e-5));
  EXPECT_EQ(resolved->technique_options.at("blocksize"), OptionValue(int64_t{128}));
  EXPECT_EQ(resolved->technique_options.size(), 6u);
  // Resolving again changes nothing.
  EXPECT_EQ(ResolveTechnique(*resolved)->technique_options, resolved->technique_options);
}

}  // namespace
}  // namespace binq
