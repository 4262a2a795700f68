#include "server/jobs/progress.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

namespace binq::server {
namespace {

TEST(ProgressTest, EventsMoveTheJobForward) {
  JobRecord job;
  v1::JobEvent stage;
  stage.mutable_stage()->set_stage(v1::QUANTIZING);
  stage.mutable_stage()->set_detail("block loop");
  EXPECT_TRUE(ApplyEventToJob(stage, job));
  EXPECT_EQ(job.progress.stage, Stage::kQuantizing);
  EXPECT_EQ(job.progress.detail, "block loop");
  EXPECT_DOUBLE_EQ(job.progress.percent, 10);

  v1::JobEvent layer;
  layer.mutable_layer()->set_block(0);
  layer.mutable_layer()->set_num_blocks(4);
  layer.mutable_layer()->set_name("mlp.fc1");
  EXPECT_FALSE(ApplyEventToJob(layer, job)) << "layers are too fine for the queue feed";
  EXPECT_EQ(job.progress.detail, "block 1/4: mlp.fc1");
  EXPECT_EQ(job.progress.num_blocks, 4);

  v1::JobEvent block;
  block.mutable_block()->set_block(1);
  block.mutable_block()->set_num_blocks(4);
  block.mutable_block()->set_eta_seconds(30);
  block.mutable_block()->set_peak_memory_bytes(1000);
  EXPECT_TRUE(ApplyEventToJob(block, job));
  EXPECT_EQ(job.progress.block, 2);
  EXPECT_DOUBLE_EQ(job.progress.eta_seconds, 30);
  EXPECT_EQ(job.progress.peak_memory_bytes, 1000);
  EXPECT_DOUBLE_EQ(job.progress.percent, 50);  // 10 + 80 · 2/4

  v1::JobEvent eval;
  eval.mutable_eval_progress()->set_dataset("ptb");
  eval.mutable_eval_progress()->set_windows_done(1);
  eval.mutable_eval_progress()->set_windows_total(2);
  EXPECT_FALSE(ApplyEventToJob(eval, job));
  EXPECT_DOUBLE_EQ(job.progress.percent, 94);
  EXPECT_EQ(job.progress.detail, "ptb: 1/2 windows");

  v1::JobEvent ppl;
  ppl.mutable_perplexity()->set_dataset("ptb");
  ppl.mutable_perplexity()->set_perplexity(20.5);
  EXPECT_TRUE(ApplyEventToJob(ppl, job));
  v1::JobEvent summary;
  (*summary.mutable_summary()->mutable_perplexity())["c4"] = 15;
  EXPECT_TRUE(ApplyEventToJob(summary, job));
  EXPECT_EQ(job.perplexity, (std::map<std::string, double>{{"c4", 15}, {"ptb", 20.5}}));

  // Percent never goes back (a late, earlier-stage progress event).
  v1::JobEvent late;
  late.mutable_progress()->set_stage(v1::LOADING);
  late.mutable_progress()->set_done(1);
  late.mutable_progress()->set_total(1);
  ApplyEventToJob(late, job);
  EXPECT_DOUBLE_EQ(job.progress.percent, 94);
}

}  // namespace
}  // namespace binq::server
