#include "server/jobs/submit_validation.h"

#include <filesystem>
#include <fstream>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "tests/server/jobs/job_inputs.h"
#include "tests/testing/status_matchers.h"
#include "tests/testing/subprocess.h"

namespace binq::server {
namespace {

using ::binq::testing::StatusIs;
using ::testing::AllOf;
using ::testing::HasSubstr;

class SubmitValidationTest : public ::testing::Test {
 protected:
  void SetUp() override {
    root_ = binq::testing::MakeTempDir();
    testing::WriteMinimalJobInputs(root_);
    context_.data_dir = root_ + "/data";
    context_.hub_cache_dir = root_ + "/hub";
    context_.have_cpu_slots = true;
    spec_.model = root_ + "/model";
    spec_.technique = "crbog";
  }
  static void Touch(const std::string& path) { testing::TouchFile(path); }
  std::string root_;
  SubmitContext context_;
  JobSpec spec_;
};

TEST_F(SubmitValidationTest, GoodSpecIsCanonicalised) {
  BINQ_ASSERT_OK_AND_ASSIGN(JobSpec spec, ValidateSubmission(spec_, context_));
  EXPECT_EQ(spec.technique, "CRBOG");
  EXPECT_EQ(spec.user, "anonymous");
  // Stored with every option of the technique, defaults filled in.
  EXPECT_EQ(spec.technique_options,
            (OptionValues{{"blocksize", int64_t{128}}, {"percdamp", 0.01},
                          {"salient_metric", std::string("hessian")}}));
}

TEST_F(SubmitValidationTest, BadTechniqueOptionsNameTheOptionAndItsRange) {
  JobSpec s = spec_;
  s.technique = "CRB";
  s.technique_options = {{"corr_damp", 2.0}};
  EXPECT_THAT(ValidateSubmission(s, context_),
              StatusIs(absl::StatusCode::kInvalidArgument, "corr_damp: must be in [0, 1), got 2"));
  s.technique_options = {{"wbits", int64_t{3}}};
  EXPECT_THAT(ValidateSubmission(s, context_),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("wbits: not an option of CRB")));
  s.technique = "fp16";  // the old name of none
  s.technique_options.clear();
  BINQ_ASSERT_OK_AND_ASSIGN(JobSpec none, ValidateSubmission(s, context_));
  EXPECT_EQ(none.technique, "none");
}

TEST_F(SubmitValidationTest, EachProblemNamesItsField) {
  JobSpec s = spec_;
  s.technique = "awq";
  EXPECT_THAT(ValidateSubmission(s, context_),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("technique: unknown 'awq'")));
  s = spec_;
  s.model = root_ + "/missing";
  EXPECT_THAT(ValidateSubmission(s, context_),
              StatusIs(absl::StatusCode::kNotFound, HasSubstr(root_ + "/missing")));
  s = spec_;
  s.model = "org/model";
  EXPECT_THAT(ValidateSubmission(s, context_),
              StatusIs(absl::StatusCode::kNotFound,
                       AllOf(HasSubstr("model 'org/model'"), HasSubstr(root_ + "/hub/models--org--model"))));
  s = spec_;
  std::filesystem::remove(root_ + "/model/merges.txt");  // a folder the worker could not run
  EXPECT_THAT(ValidateSubmission(s, context_),
              StatusIs(absl::StatusCode::kNotFound, AllOf(HasSubstr("model: " + root_ + "/model"),
                                                          HasSubstr("has no merges.txt"))));
  Touch(root_ + "/model/merges.txt");
  s.dataset = "c4";
  EXPECT_THAT(ValidateSubmission(s, context_),
              StatusIs(absl::StatusCode::kNotFound,
                       HasSubstr(root_ + "/data/c4/c4-train.00000-of-01024.json.gz")));
  s = spec_;
  s.eval_datasets = {"wikitext2", "ptb"};
  EXPECT_THAT(ValidateSubmission(s, context_),
              StatusIs(absl::StatusCode::kNotFound,
                       AllOf(HasSubstr("eval_datasets: dataset ptb"), HasSubstr("ptb.train.txt"))));
  s = spec_;
  s.dataset = root_ + "/custom.txt";
  EXPECT_THAT(ValidateSubmission(s, context_),
              StatusIs(absl::StatusCode::kNotFound, HasSubstr(root_ + "/custom.txt")));
  Touch(root_ + "/custom.txt");
  EXPECT_TRUE(ValidateSubmission(s, context_).ok());
  s = spec_;
  s.seqlen = 1;
  EXPECT_THAT(ValidateSubmission(s, context_),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("seqlen")));
  s = spec_;
  s.device = "cuda";
  EXPECT_THAT(ValidateSubmission(s, context_),
              StatusIs(absl::StatusCode::kFailedPrecondition, HasSubstr("no GPU slots")));
  context_.have_gpu_slots = true;
  EXPECT_TRUE(ValidateSubmission(s, context_).ok());
  context_.have_cpu_slots = false;
  s.device = "cpu";
  EXPECT_THAT(ValidateSubmission(s, context_),
              StatusIs(absl::StatusCode::kFailedPrecondition, HasSubstr("no CPU slots")));
}

}  // namespace
}  // namespace binq::server
