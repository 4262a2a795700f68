#include "client/render.h"

#include <sstream>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

namespace binq::client {
namespace {

using ::testing::HasSubstr;
using ::testing::Not;

binq::v1::JobEvent Layer(int block, const char* name, double err) {
  binq::v1::JobEvent e;
  auto* l = e.mutable_layer();
  l->set_block(block);
  l->set_num_blocks(2);
  l->set_name(name);
  l->set_rows(768);
  l->set_cols(768);
  l->set_relative_error(err);
  return e;
}

TEST(RenderTest, DurationsAndBytes) {
  EXPECT_EQ(FormatDuration(12.34), "12.3s");
  EXPECT_EQ(FormatDuration(185), "3m05s");
  EXPECT_EQ(FormatDuration(3720), "1h02m");
  EXPECT_EQ(FormatBytes(3 * (int64_t{1} << 30) / 2), "1.5 GiB");
  EXPECT_EQ(FormatBytes(512), "512 B");
}

TEST(RenderTest, PlainWatchViewWritesWholeLinesOnly) {
  std::ostringstream out;
  WatchView view(out, /*terminal=*/false);
  view.Show(Layer(0, "self_attn.q_proj", 0.0123));
  view.Show(Layer(0, "fc1", 0.0456));
  binq::v1::JobEvent eval;
  eval.mutable_eval_progress()->set_dataset("wikitext2");
  eval.mutable_eval_progress()->set_windows_total(100);
  for (int i = 1; i <= 100; ++i) {
    eval.mutable_eval_progress()->set_windows_done(i);
    view.Show(eval);
  }
  binq::v1::JobEvent ppl;
  ppl.mutable_perplexity()->set_dataset("wikitext2");
  ppl.mutable_perplexity()->set_perplexity(35.125);
  view.Show(ppl);
  const std::string text = out.str();
  EXPECT_THAT(text, HasSubstr("self_attn.q_proj"));
  EXPECT_THAT(text, HasSubstr("0.01230"));
  EXPECT_THAT(text, HasSubstr("perplexity wikitext2 = 35.125"));
  EXPECT_THAT(text, Not(HasSubstr("\r")));  // no redraws in logs
  // Evaluation progress only at coarse steps, not 100 lines.
  EXPECT_LT(std::count(text.begin(), text.end(), '\n'), 12);
}

TEST(RenderTest, TerminalViewRedrawsTheStatusLine) {
  std::ostringstream out;
  WatchView view(out, /*terminal=*/true);
  binq::v1::JobEvent eval;
  eval.mutable_eval_progress()->set_dataset("ptb");
  eval.mutable_eval_progress()->set_windows_done(3);
  eval.mutable_eval_progress()->set_windows_total(10);
  view.Show(eval);
  view.Show(Layer(1, "fc2", 0.5));
  EXPECT_THAT(out.str(), HasSubstr("\r\033[K[evaluating] ptb 3/10 windows"));
  EXPECT_THAT(out.str(), HasSubstr("fc2"));
}

TEST(RenderTest, JobTableShowsFailureReasonAndProgress) {
  binq::v1::Job failed;
  failed.set_id("j-1");
  failed.set_state(binq::v1::FAILED);
  failed.set_failure_reason(binq::v1::WORKER_CRASH);
  binq::v1::Job running;
  running.set_id("j-2");
  running.set_state(binq::v1::RUNNING);
  running.mutable_progress()->set_stage(binq::v1::QUANTIZING);
  running.mutable_progress()->set_block(3);
  running.mutable_progress()->set_num_blocks(24);
  const std::string table = FormatJobTable({failed, running});
  EXPECT_THAT(table, HasSubstr("WORKER_CRASH"));
  EXPECT_THAT(table, HasSubstr("quantizing 3/24"));
  EXPECT_THAT(ToJsonLine(failed), HasSubstr("\"failure_reason\":\"WORKER_CRASH\""));
}

TEST(RenderTest, JobDetailsShowAnOutputFolderOnlyWhenItExists) {
  binq::v1::Job job;
  job.set_id("j-0123456789ab");
  job.set_output_dir("/state/jobs/j-0123456789ab/output");
  job.set_state(binq::v1::SUCCEEDED);
  EXPECT_THAT(FormatJobDetails(job), HasSubstr("output         /state/jobs/j-0123456789ab/output\n"));
  job.set_state(binq::v1::RUNNING);
  EXPECT_THAT(FormatJobDetails(job),
              HasSubstr("output         /state/jobs/j-0123456789ab/output (once it succeeds)\n"));
  for (binq::v1::JobState state : {binq::v1::FAILED, binq::v1::CANCELLED}) {
    job.set_state(state);
    EXPECT_THAT(FormatJobDetails(job), HasSubstr("output         - (none written)\n"));
  }
}

}  // namespace
}  // namespace binq::client
