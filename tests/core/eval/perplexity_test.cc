// Perplexity against the reference protocol (BiLLM eval_ppl_utils.opt_eval,
// ALGORITHMS.md §8.5) run with transformers on the generated OPT fixtures.
#include "core/eval/perplexity.h"

#include <cmath>
#include <string>
#include <vector>

#include <ATen/ATen.h>
#include <ATen/Parallel.h>
#include <c10/core/InferenceMode.h>

#include "absl/strings/str_cat.h"
#include "core/base/cancel_token.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/core/model/opt_fixtures.h"
#include "tests/core/model/parity_util.h"
#include "tests/testing/status_matchers.h"

namespace binq::core {
namespace {

using ::binq::testing::LoadFixtureModel;
using ::binq::testing::OptFixturesDir;
using ::binq::testing::ReadFixtureTensor;
using ::binq::testing::StatusIs;
using ::testing::AllOf;
using ::testing::HasSubstr;

std::vector<std::vector<int32_t>> Windows(const at::Tensor& ids) {
  std::vector<std::vector<int32_t>> out;
  const at::Tensor i32 = ids.to(at::kInt).contiguous();
  for (int64_t k = 0; k < i32.size(0); ++k) {
    const int32_t* row = i32[k].data_ptr<int32_t>();
    out.emplace_back(row, row + i32.size(1));
  }
  return out;
}

class PerplexityTest : public ::testing::Test {
 protected:
  void SetUp() override {
    at::set_num_threads(1);  // as the generator
    absl::StatusOr<std::string> dir = OptFixturesDir();
    ASSERT_TRUE(dir.ok()) << dir.status();
    root_ = *dir;
  }
  std::string root_;
};

class PerplexityParityTest : public PerplexityTest, public ::testing::WithParamInterface<std::string> {};

TEST_P(PerplexityParityTest, MatchesReferenceProtocol) {
  const std::string dir = root_ + "/" + GetParam();
  BINQ_ASSERT_OK_AND_ASSIGN(auto model, LoadFixtureModel(dir));
  const std::string ppl_file = dir + "/ppl.safetensors";
  BINQ_ASSERT_OK_AND_ASSIGN(const at::Tensor windows, ReadFixtureTensor(ppl_file, "windows"));
  BINQ_ASSERT_OK_AND_ASSIGN(const at::Tensor want_losses, ReadFixtureTensor(ppl_file, "window_losses"));
  BINQ_ASSERT_OK_AND_ASSIGN(const at::Tensor want_ppl, ReadFixtureTensor(ppl_file, "ppl"));

  for (const bool on_host : {false, true}) {
    PerplexityOptions options;
    options.hidden_on_host = on_host;
    BINQ_ASSERT_OK_AND_ASSIGN(const PerplexityResult r, EvaluatePerplexity(*model, Windows(windows), options));
    EXPECT_EQ(r.windows, windows.size(0));
    EXPECT_EQ(r.seqlen, windows.size(1));
    EXPECT_EQ(r.tokens, windows.numel());
    ASSERT_EQ(static_cast<int64_t>(r.window_losses.size()), windows.size(0));
    // ℓ_k is the model-dtype loss widened to fp32 on both sides: the
    // tolerance is that of the model dtype at the loss (parity_util.h).
    const double loss_tol = ::binq::testing::ParityTolerance(model->dtype(), want_losses.max().item<double>());
    for (int64_t k = 0; k < windows.size(0); ++k) {
      EXPECT_NEAR(r.window_losses[k], want_losses[k].item<float>(), loss_tol) << "window " << k;
    }
    // PPL = exp(mean ℓ): a loss error δ gives a relative PPL error of δ.
    const double want = want_ppl.item<float>();
    EXPECT_NEAR(r.perplexity, want, want * (loss_tol + 1e-6)) << GetParam();
    std::cout << GetParam() << (on_host ? " (hidden on host)" : "") << ": ppl binq " << r.perplexity << ", HF "
              << want << ", |Δ| " << std::abs(r.perplexity - want) << "\n";
  }
}

INSTANTIATE_TEST_SUITE_P(Cases, PerplexityParityTest, ::testing::Values("pre_f32", "pre_f16", "post_proj_f16"));

TEST_F(PerplexityTest, ReportsProgressAndRestoresDevices) {
  BINQ_ASSERT_OK_AND_ASSIGN(auto model, LoadFixtureModel(root_ + "/post_proj_f16"));
  const std::vector<std::vector<int32_t>> windows(4, std::vector<int32_t>(9, 5));
  std::vector<PerplexityProgress> seen;
  BINQ_ASSERT_OK_AND_ASSIGN(
      const PerplexityResult r,
      EvaluatePerplexity(*model, windows, {}, [&](const PerplexityProgress& p) { seen.push_back(p); }));
  const int64_t total = 4 * (model->num_blocks() + 2);  // 3 blocks
  ASSERT_EQ(static_cast<int64_t>(seen.size()), total);
  for (size_t i = 0; i < seen.size(); ++i) {
    EXPECT_EQ(seen[i].passes_done, static_cast<int64_t>(i) + 1);
    EXPECT_EQ(seen[i].passes_total, total);
    EXPECT_EQ(seen[i].windows_total, 4);
  }
  EXPECT_EQ(seen[total - 5].windows_done, 0);
  EXPECT_EQ(seen[total - 4].windows_done, 1);
  EXPECT_EQ(seen.back().windows_done, 4);
  EXPECT_GT(r.perplexity, 1.0);
  EXPECT_TRUE(model->embeddings_device().is_cpu());
  EXPECT_TRUE(model->head_device().is_cpu());
}

TEST_F(PerplexityTest, CancelStopsBetweenWindows) {
  BINQ_ASSERT_OK_AND_ASSIGN(auto model, LoadFixtureModel(root_ + "/pre_f32"));
  const std::vector<std::vector<int32_t>> windows(3, std::vector<int32_t>(6, 7));
  CancelToken cancel;
  int64_t passes = 0;
  const auto result = EvaluatePerplexity(
      *model, windows, {},
      [&](const PerplexityProgress& p) {
        passes = p.passes_done;
        if (p.passes_done == 4) cancel.Cancel();  // during block 0
      },
      &cancel);
  EXPECT_THAT(result, StatusIs(absl::StatusCode::kCancelled, HasSubstr("perplexity")));
  EXPECT_EQ(passes, 4);
  for (int i = 0; i < model->num_blocks(); ++i) EXPECT_TRUE(model->block(i).device().is_cpu());
}

TEST_F(PerplexityTest, RejectsBadWindows) {
  BINQ_ASSERT_OK_AND_ASSIGN(auto model, LoadFixtureModel(root_ + "/pre_f32"));
  EXPECT_THAT(EvaluatePerplexity(*model, {}, {}), StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("no")));
  EXPECT_THAT(EvaluatePerplexity(*model, {{1, 2, 3}, {1, 2}}, {}),
              StatusIs(absl::StatusCode::kInvalidArgument, AllOf(HasSubstr("window 1"), HasSubstr("2 tokens"))));
  EXPECT_THAT(EvaluatePerplexity(*model, {{1}}, {}),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("1 tokens")));
  EXPECT_THAT(EvaluatePerplexity(*model, {{1, 2, 500}}, {}),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("500")));
  EXPECT_THAT(EvaluatePerplexity(*model, {std::vector<int32_t>(41, 1)}, {}),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("positions")));
}

}  // namespace
}  // namespace binq::core
