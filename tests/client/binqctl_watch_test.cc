// `binqctl watch` across a daemon crash: binqd is killed with SIGKILL while
// a job runs and a watch follows it, then restarted on the same state dir
// and port; the watch reconnects by itself and delivers every event exactly
// once (seqs 1..N), through the requeue to the end of attempt 2.
#include "tests/client/binqctl_fixture.h"

namespace binq::testing {
namespace {

using ::testing::HasSubstr;

TEST_F(BinqctlTest, WatchReconnectsTransparentlyAcrossADaemonRestart) {
  StartDaemon();
  const std::string address = daemon_->address();
  const std::string id = CtlSubmit("slow:150");
  auto watch = StartCtl({"--output", "json", "watch", id});
  // Wait until the watch has shown a few events of attempt 1.
  ASSERT_TRUE(watch->WaitForStdout([](const std::string& out) {
    return std::count(out.begin(), out.end(), '\n') >= 5;
  })) << watch->Stderr();

  ASSERT_EQ(daemon_->Stop(SIGKILL), 128 + SIGKILL);
  absl::SleepFor(absl::Milliseconds(500));  // the watch sees the connection go
  StartDaemon({"--listen", address});       // same state dir, same port
  ASSERT_EQ(daemon_->address(), address);

  const ProcessResult watched = watch->Wait(90);
  EXPECT_EQ(watched.exit_code, 0) << watched.err;
  // One note when the stream broke and one when it resumed, however many
  // connection attempts failed in between.
  EXPECT_EQ(Occurrences(watched.err, "reconnecting after seq"), 1) << watched.err;
  EXPECT_EQ(Occurrences(watched.err, "reconnected; resuming after seq"), 1) << watched.err;
  const auto events = JsonLines(watched.out);
  BINQ_ASSERT_OK_AND_ASSIGN(const v1::Job job, WaitForState(*stub_, id, v1::SUCCEEDED));
  EXPECT_EQ(job.attempt(), 2);
  // Every stored event exactly once, in order.
  EXPECT_EQ(Seqs(events), OneTo(job.last_seq()));
  ASSERT_FALSE(events.empty());
  EXPECT_EQ(events.back()["state_changed"]["state"], "SUCCEEDED");
  // The requeue is among them, and attempt 2 ran to the perplexity.
  int requeues = 0, perplexities = 0;
  for (const auto& e : events) {
    if (e.contains("state_changed") && e["state_changed"]["state"] == "QUEUED" &&
        e["state_changed"].value("attempt", 0) == 2) {
      ++requeues;
      EXPECT_THAT(e["state_changed"].value("message", ""), HasSubstr("binqd restarted"));
    }
    if (e.contains("perplexity")) ++perplexities;
  }
  EXPECT_EQ(requeues, 1) << watched.out;
  EXPECT_EQ(perplexities, 1) << watched.out;
}

// The table view of the same: the reconnect note goes to stderr, the view
// continues where it stopped.
TEST_F(BinqctlTest, WatchTableSurvivesADaemonRestart) {
  StartDaemon();
  const std::string address = daemon_->address();
  const std::string id = CtlSubmit("slow:150");
  auto watch = StartCtl({"watch", id});
  ASSERT_TRUE(watch->WaitForStdout([](const std::string& out) {
    return out.find("[loading]") != std::string::npos;
  })) << watch->Stderr();
  ASSERT_EQ(daemon_->Stop(SIGKILL), 128 + SIGKILL);
  StartDaemon({"--listen", address});
  const ProcessResult watched = watch->Wait(90);
  EXPECT_EQ(watched.exit_code, 0) << watched.err;
  EXPECT_THAT(watched.out, HasSubstr("state QUEUED (attempt 2)"));
  EXPECT_THAT(watched.out, HasSubstr("perplexity wikitext2 = 12.500"));
  EXPECT_THAT(watched.out, HasSubstr("SUCCEEDED · output"));
  // One view, continued: the layer table's header once, the end once.
  EXPECT_EQ(Occurrences(watched.out, "block  layer"), 1) << watched.out;
  EXPECT_EQ(Occurrences(watched.out, "state SUCCEEDED"), 1) << watched.out;
}

}  // namespace
}  // namespace binq::testing
