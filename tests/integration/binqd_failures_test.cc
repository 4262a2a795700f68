// How binqd handles workers that fail, hang, crash or misbehave, and
// cancellation: each failure becomes a typed state on the job with the
// worker's last words, the daemon stays up, and the next job runs.
#include <unistd.h>

#include <filesystem>

#include "tests/integration/binqd_fixture.h"

namespace binq::testing {
namespace {

using ::testing::AllOf;
using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::Not;

class BinqdFailureTest : public BinqdTest {
 protected:
  // The daemon is fine: a well-behaved job submitted now succeeds.
  void ExpectNextJobRuns() {
    const v1::Job next = Submit("ok", "someone-else");
    const auto done = WaitForState(*stub_, next.id(), v1::SUCCEEDED);
    EXPECT_TRUE(done.ok()) << done.status();
  }

  v1::Job RunToEnd(const std::string& mode) {
    const v1::Job job = Submit(mode);
    auto done = WaitForJob(*stub_, job.id(), [](const v1::Job& j) {
      return j.state() == v1::SUCCEEDED || j.state() == v1::FAILED || j.state() == v1::CANCELLED;
    });
    EXPECT_TRUE(done.ok()) << done.status();
    return done.ok() ? *done : job;
  }
};

TEST_F(BinqdFailureTest, CancelQueuedJobAtOnce) {
  StartDaemon();
  const v1::Job blocker = Submit("hang");
  const v1::Job queued = Submit("ok");
  ASSERT_TRUE(WaitForState(*stub_, blocker.id(), v1::RUNNING).ok());
  v1::Job cancelled;
  ASSERT_TRUE(Cancel(queued.id(), &cancelled).ok());
  EXPECT_EQ(cancelled.state(), v1::CANCELLED);  // in the reply itself
  EXPECT_THAT(cancelled.failure_message(), HasSubstr("while queued"));
  const WatchResult w = WatchJob(*stub_, queued.id(), 0);
  EXPECT_TRUE(w.status.ok());
  EXPECT_THAT(States(WithoutHeartbeats(w.events)), ElementsAre(v1::QUEUED, v1::CANCELLED));
  // A finished job cannot be cancelled.
  v1::Job again;
  const grpc::Status s = Cancel(queued.id(), &again);
  EXPECT_EQ(s.error_code(), grpc::StatusCode::FAILED_PRECONDITION);
  EXPECT_THAT(s.error_message(), HasSubstr("already CANCELLED"));
  ASSERT_TRUE(Cancel(blocker.id(), &again).ok());
}

TEST_F(BinqdFailureTest, CancelRunningWorkerThatHonoursSigterm) {
  StartDaemon({"--cancel-grace", "10s"});
  const v1::Job job = Submit("hang");
  const pid_t pid = WorkerPid(job);
  ASSERT_TRUE(WaitForWorkerLog(job, "hanging in LOADING"));
  v1::Job reply;
  ASSERT_TRUE(Cancel(job.id(), &reply).ok());
  EXPECT_EQ(reply.state(), v1::RUNNING);
  EXPECT_TRUE(reply.cancel_requested());
  const WatchResult w = WatchJob(*stub_, job.id(), 0);
  ASSERT_TRUE(w.status.ok()) << w.status.error_message();
  const auto events = WithoutHeartbeats(w.events);
  EXPECT_THAT(States(events), ElementsAre(v1::QUEUED, v1::RUNNING, v1::CANCELLED));
  // Every event the worker reported is kept, including its goodbye.
  bool saw_stage = false, saw_goodbye = false;
  for (const v1::JobEvent& e : events) {
    saw_stage |= e.has_stage();
    saw_goodbye |= e.has_warning() && e.warning().message() == "interrupted by SIGTERM while loading";
  }
  EXPECT_TRUE(saw_stage);
  EXPECT_TRUE(saw_goodbye);
  EXPECT_THAT(events.back().state_changed().message(),
              AllOf(HasSubstr("cancelled by request"), HasSubstr("exited with code 8")));
  EXPECT_TRUE(ProcessGone(pid));
  ExpectNextJobRuns();
}

TEST_F(BinqdFailureTest, CancelRunningWorkerThatIgnoresSigtermNeedsSigkill) {
  StartDaemon({"--cancel-grace", "500ms"});
  const v1::Job job = Submit("stubborn");
  const pid_t pid = WorkerPid(job);
  ASSERT_TRUE(WaitForWorkerLog(job, "hanging in LOADING"));
  v1::Job reply;
  ASSERT_TRUE(Cancel(job.id(), &reply).ok());
  BINQ_ASSERT_OK_AND_ASSIGN(v1::Job done, WaitForState(*stub_, job.id(), v1::CANCELLED));
  EXPECT_THAT(done.failure_message(),
              AllOf(HasSubstr("did not stop within 500ms of SIGTERM"), HasSubstr("killed")));
  EXPECT_TRUE(ProcessGone(pid));
  const auto events = WithoutHeartbeats(WatchJob(*stub_, job.id(), 0).events);
  EXPECT_TRUE(events[2].has_stage()) << "the worker's events are kept";
  ExpectNextJobRuns();
}

TEST_F(BinqdFailureTest, WorkerKilledWithSigkillFailsAsWorkerCrash) {
  StartDaemon();
  const v1::Job job = Submit("hang");
  const pid_t pid = WorkerPid(job);
  ASSERT_TRUE(WaitForWorkerLog(job, "hanging in LOADING"));
  ASSERT_EQ(::kill(pid, SIGKILL), 0);
  BINQ_ASSERT_OK_AND_ASSIGN(v1::Job failed, WaitForState(*stub_, job.id(), v1::FAILED));
  EXPECT_EQ(failed.failure_reason(), v1::WORKER_CRASH);
  EXPECT_THAT(failed.failure_message(),
              AllOf(HasSubstr("killed by signal 9 (SIGKILL)"),
                    HasSubstr("hanging in LOADING until SIGTERM")));  // its last words
  ExpectNextJobRuns();
}

TEST_F(BinqdFailureTest, CrashingWorkerFailsAsWorkerCrash) {
  StartDaemon();
  const v1::Job job = RunToEnd("crash");
  EXPECT_EQ(job.state(), v1::FAILED);
  EXPECT_EQ(job.failure_reason(), v1::WORKER_CRASH);
  EXPECT_THAT(job.failure_message(), AllOf(HasSubstr("killed by signal 11 (SIGSEGV)"),
                                           HasSubstr("crashing on purpose in block 1")));
  ExpectNextJobRuns();
}

TEST_F(BinqdFailureTest, OutOfMemoryExitFailsAsOutOfMemory) {
  StartDaemon();
  const v1::Job job = RunToEnd("oom");
  EXPECT_EQ(job.state(), v1::FAILED);
  EXPECT_EQ(job.failure_reason(), v1::OUT_OF_MEMORY);
  EXPECT_THAT(job.failure_message(),
              AllOf(HasSubstr("exited with code 5"), HasSubstr("CUDA out of memory")));
  ExpectNextJobRuns();
}

TEST_F(BinqdFailureTest, WorkerReportedFailureKeepsItsMessage) {
  StartDaemon();
  const v1::Job job = RunToEnd("fail");
  EXPECT_EQ(job.state(), v1::FAILED);
  EXPECT_EQ(job.failure_reason(), v1::INVALID_INPUT);
  EXPECT_THAT(job.failure_message(), HasSubstr("dataset: fake failure for tests"));
}

TEST_F(BinqdFailureTest, SilentExitZeroIsACrash) {
  StartDaemon();
  const v1::Job job = RunToEnd("exit0");
  EXPECT_EQ(job.state(), v1::FAILED);
  EXPECT_EQ(job.failure_reason(), v1::WORKER_CRASH);
  EXPECT_THAT(job.failure_message(),
              AllOf(HasSubstr("exited with code 0 without reporting how the run ended"),
                    HasSubstr("exiting without FinishWork")));
}

TEST_F(BinqdFailureTest, GarbageReportsAreRefusedAndNothingOfThemIsStored) {
  StartDaemon();
  const v1::Job job = RunToEnd("garbage");
  EXPECT_EQ(job.state(), v1::FAILED);
  EXPECT_EQ(job.failure_reason(), v1::INTERNAL);  // exit code 1
  const std::string log = ReadFileOrEmpty(WorkerLog(job));
  // What the daemon answered to each malformed report.
  EXPECT_THAT(log, HasSubstr("garbage no-kind -> code 3: events[0] (worker_seq 1): event: no kind set"));
  EXPECT_THAT(log, HasSubstr("garbage state-changed -> code 3: events[0] (worker_seq 1): event: "
                             "state_changed is written by the daemon"));
  EXPECT_THAT(log, HasSubstr("garbage seq-gap -> code 3: worker_seq: expected 1, got 5"));
  EXPECT_THAT(log, HasSubstr("garbage wrong-token -> code 7: "));
  EXPECT_THAT(log, HasSubstr("garbage wrong-attempt -> code 9: "));
  // Only the daemon's own events are in the log.
  const auto events = WithoutHeartbeats(WatchJob(*stub_, job.id(), 0).events);
  for (const v1::JobEvent& e : events) EXPECT_TRUE(e.has_state_changed()) << e.ShortDebugString();
  EXPECT_THAT(States(events), ElementsAre(v1::QUEUED, v1::RUNNING, v1::FAILED));
  ExpectNextJobRuns();
}

TEST_F(BinqdFailureTest, MissingWorkerBinaryIsRefusedAtStart) {
  auto d = DaemonProcess::Start(BINQD_PATH, DaemonArgs({"--worker-binary", root_ + "/no-such-worker"}));
  ASSERT_FALSE(d.ok());
  EXPECT_THAT(std::string(d.status().message()),
              AllOf(HasSubstr("--worker-binary"), HasSubstr(root_ + "/no-such-worker")));
}

// Without --worker-binary, binqd finds binq-run beside itself (an installed
// prefix) or, as here, in the build tree's tools/ folder.
TEST_F(BinqdFailureTest, FindsTheWorkerInTheBuildTreeWithoutWorkerBinary) {
  const std::filesystem::path build_worker =
      std::filesystem::path(BINQD_PATH).parent_path().parent_path() / "tools" / "binq-run";
  if (::access(build_worker.c_str(), X_OK) != 0) GTEST_SKIP() << "no binq-run built (BINQ_BUILD_WORKER=OFF)";
  std::vector<std::string> args = DaemonArgs({});
  for (size_t i = 0; i + 1 < args.size(); i += 2) {
    if (args[i] == "--worker-binary") args.erase(args.begin() + i, args.begin() + i + 2);
  }
  auto d = DaemonProcess::Start(BINQD_PATH, args);
  ASSERT_TRUE(d.ok()) << d.status();
  const std::string log = ReadFileOrEmpty(state_dir_ + "/binqd.log");
  EXPECT_THAT(log, HasSubstr("worker " + std::filesystem::weakly_canonical(build_worker).string()));
}

TEST_F(BinqdFailureTest, SlowWatcherIsCutOffWithoutSlowingTheJob) {
  StartDaemon({"--watch-buffer", "16"});
  const v1::Job job = Submit("flood:4000");
  ASSERT_TRUE(WaitForState(*stub_, job.id(), v1::RUNNING).ok());
  // A watcher that opens the stream and then does not read.
  grpc::ClientContext ctx;
  v1::WatchJobRequest req;
  req.set_job_id(job.id());
  auto reader = stub_->WatchJob(&ctx, req);
  v1::JobEvent first;
  ASSERT_TRUE(reader->Read(&first));
  // The job finishes while this watcher sleeps: the publisher never waited.
  BINQ_ASSERT_OK_AND_ASSIGN(v1::Job done, WaitForState(*stub_, job.id(), v1::SUCCEEDED));
  EXPECT_GT(done.last_seq(), 4000);
  v1::JobEvent e;
  int64_t last = first.seq();
  while (reader->Read(&e)) last = e.seq();
  const grpc::Status s = reader->Finish();
  EXPECT_EQ(s.error_code(), grpc::StatusCode::RESOURCE_EXHAUSTED) << s.error_message();
  EXPECT_THAT(s.error_message(), HasSubstr("reconnect with after_seq="));
  // Reconnecting where it stopped gets the rest.
  const WatchResult rest = WatchJob(*stub_, job.id(), last);
  EXPECT_TRUE(rest.status.ok()) << rest.status.error_message();
  const auto events = WithoutHeartbeats(rest.events);
  ASSERT_FALSE(events.empty());
  EXPECT_EQ(events.front().seq(), last + 1);
  EXPECT_EQ(events.back().seq(), done.last_seq());
}

}  // namespace
}  // namespace binq::testing
