// JobManager in-process, with a real store, hub and executor: submission,
// cancellation, recovery after a crash, starts that fail, and the worker
// API's authentication. The full worker protocol runs in the integration
// tests (tests/integration) with real worker processes.
#include "server/jobs/job_manager.h"

#include <filesystem>
#include <fstream>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "server/executor/local_executor.h"
#include "tests/server/jobs/job_inputs.h"
#include "tests/testing/status_matchers.h"
#include "tests/testing/subprocess.h"

namespace binq::server {
namespace {

using ::binq::testing::IsOk;
using ::binq::testing::StatusIs;
using ::testing::AllOf;
using ::testing::ElementsAre;
using ::testing::HasSubstr;

class QueueRecorder final : public EventHub::Subscriber {
 public:
  void OnQueueEvent(const v1::QueueEvent& e) override {
    absl::MutexLock lock(&mu);
    events.push_back(e);
  }
  absl::Mutex mu;
  std::vector<v1::QueueEvent> events;
};

class JobManagerTest : public ::testing::Test {
 protected:
  void SetUp() override {
    root_ = binq::testing::MakeTempDir();
    testing::WriteMinimalJobInputs(root_);
    std::filesystem::create_directories(root_ + "/state/jobs");
    JobStore::Options so;
    so.path = root_ + "/state/binq.db";
    BINQ_ASSERT_OK_AND_ASSIGN(store_, JobStore::Open(so));
    hub_ = std::make_unique<EventHub>(absl::Hours(1));
    executor_ = std::make_unique<LocalExecutor>([this](const WorkerExit& e) {
      manager_->OnWorkerExit(e);
    });
    options_.state_dir = root_ + "/state";
    options_.data_dir = root_ + "/data";
    options_.hub_cache_dir = root_ + "/hub";
    options_.worker_binary = "/bin/false";
    options_.slots = {Slot{SlotKind::kCpu, 0}};
    options_.cancel_grace = absl::Milliseconds(200);
    MakeManager();
  }
  void TearDown() override {
    executor_->Shutdown();
    manager_.reset();
  }
  void MakeManager() {
    manager_ = std::make_unique<JobManager>(options_, store_.get(), hub_.get(), executor_.get(), &clock_);
  }
  JobSpec Spec(const std::string& request_id = "") {
    JobSpec spec;
    spec.model = root_ + "/model";
    spec.technique = "braq";
    spec.user = "ada";
    spec.request_id = request_id;
    return spec;
  }
  absl::StatusOr<JobRecord> WaitForState(const std::string& id, JobState state) {
    const absl::Time deadline = absl::Now() + absl::Seconds(20);
    while (true) {
      absl::StatusOr<JobRecord> job = manager_->Get(id);
      if (!job.ok() || job->state == state || absl::Now() > deadline) return job;
      absl::SleepFor(absl::Milliseconds(5));
    }
  }

  std::string root_;
  SystemClock clock_;
  JobManager::Options options_;
  std::unique_ptr<JobStore> store_;
  std::unique_ptr<EventHub> hub_;
  std::unique_ptr<LocalExecutor> executor_;
  std::unique_ptr<JobManager> manager_;
};

TEST_F(JobManagerTest, SubmitStoresPublishesAndKicksTheScheduler) {
  int kicks = 0;
  manager_->SetQueueChangedCallback([&kicks] { ++kicks; });
  QueueRecorder recorder;
  BINQ_ASSERT_OK_AND_ASSIGN(auto sub, hub_->SubscribeQueue(&recorder));
  BINQ_ASSERT_OK_AND_ASSIGN(JobRecord job, manager_->Submit(Spec()));
  hub_->Unsubscribe(sub);
  ASSERT_EQ(recorder.events.size(), 1u);  // published after the commit
  EXPECT_EQ(recorder.events[0].seq(), 1);
  EXPECT_EQ(recorder.events[0].job().id(), job.id);
  EXPECT_EQ(recorder.events[0].state_changed().state(), v1::QUEUED);
  EXPECT_EQ(job.state, JobState::kQueued);
  EXPECT_EQ(job.attempt, 1);
  EXPECT_EQ(job.last_seq, 1);
  EXPECT_EQ(job.output_dir, root_ + "/state/jobs/" + job.id + "/output");
  EXPECT_EQ(kicks, 1);
  BINQ_ASSERT_OK_AND_ASSIGN(auto events, store_->ReadEvents(job.id, 0, 10));
  ASSERT_EQ(events.size(), 1u);
  EXPECT_EQ(events[0].state_changed().state(), v1::QUEUED);
  EXPECT_EQ(events[0].state_changed().message(), "submitted by ada");
}

TEST_F(JobManagerTest, BadTechniqueOptionsAreRefusedAndNothingIsStored) {
  int kicks = 0;
  manager_->SetQueueChangedCallback([&kicks] { ++kicks; });
  JobSpec spec = Spec();
  spec.technique = "CRB";
  spec.technique_options = {{"corr_damp", 2.0}};
  EXPECT_THAT(manager_->Submit(spec).status(),
              StatusIs(absl::StatusCode::kInvalidArgument, "corr_damp: must be in [0, 1), got 2"));
  spec.technique_options = {{"groupsize_typo", int64_t{128}}};
  EXPECT_THAT(manager_->Submit(spec).status(),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("groupsize_typo: not an option of CRB")));
  BINQ_ASSERT_OK_AND_ASSIGN(JobPage page, manager_->List(JobFilter{}));
  EXPECT_TRUE(page.jobs.empty());
  EXPECT_EQ(kicks, 0);
  // A good one is stored with its options resolved.
  spec.technique_options = {{"corr_damp", 0.5}};
  BINQ_ASSERT_OK_AND_ASSIGN(JobRecord job, manager_->Submit(spec));
  BINQ_ASSERT_OK_AND_ASSIGN(JobRecord stored, store_->GetJob(job.id));
  EXPECT_EQ(stored.spec.technique_options.at("corr_damp"), OptionValue(0.5));
  EXPECT_EQ(stored.spec.technique_options.at("lam"), OptionValue(1e-5));
}

TEST_F(JobManagerTest, RequestIdMakesSubmitIdempotentEvenIfTheModelIsGone) {
  BINQ_ASSERT_OK_AND_ASSIGN(JobRecord first, manager_->Submit(Spec("r-1")));
  std::filesystem::remove_all(root_ + "/model");
  BINQ_ASSERT_OK_AND_ASSIGN(JobRecord again, manager_->Submit(Spec("r-1")));
  EXPECT_EQ(again.id, first.id);
  EXPECT_THAT(manager_->Submit(Spec("r-2")).status(),
              StatusIs(absl::StatusCode::kNotFound, HasSubstr(root_ + "/model")));
}

TEST_F(JobManagerTest, CancelQueuedThenFinishedIsFailedPrecondition) {
  BINQ_ASSERT_OK_AND_ASSIGN(JobRecord job, manager_->Submit(Spec()));
  BINQ_ASSERT_OK_AND_ASSIGN(JobRecord cancelled, manager_->Cancel(job.id));
  EXPECT_EQ(cancelled.state, JobState::kCancelled);
  EXPECT_GT(cancelled.end_time, 0);
  EXPECT_THAT(manager_->Cancel(job.id).status(),
              StatusIs(absl::StatusCode::kFailedPrecondition, HasSubstr("already CANCELLED")));
  EXPECT_THAT(manager_->Cancel("j-nope").status(), StatusIs(absl::StatusCode::kNotFound, HasSubstr("j-nope")));
}

TEST_F(JobManagerTest, RecoverRequeuesRunningJobsAndFinishesCancels) {
  BINQ_ASSERT_OK_AND_ASSIGN(JobRecord a, manager_->Submit(Spec()));
  BINQ_ASSERT_OK_AND_ASSIGN(JobRecord b, manager_->Submit(Spec()));
  BINQ_ASSERT_OK_AND_ASSIGN(JobRecord c, manager_->Submit(Spec()));
  // As a crashed daemon left them: a and b RUNNING (b with a cancel under
  // way, and a pid that is not a worker), c QUEUED.
  for (const auto& [id, cancel] : {std::pair{a.id, false}, std::pair{b.id, true}}) {
    ASSERT_THAT(store_
                    ->MutateJob(id,
                                [cancel = cancel](JobRecord& j, JobChange&) {
                                  j.state = JobState::kRunning;
                                  j.slot = "cpu:0";
                                  j.cancel_requested = cancel;
                                  j.worker_pid = getpid();  // not a worker: left alone
                                  return absl::OkStatus();
                                })
                    .status(),
                IsOk());
  }
  MakeManager();
  ASSERT_THAT(manager_->Recover(), IsOk());
  BINQ_ASSERT_OK_AND_ASSIGN(JobRecord ra, manager_->Get(a.id));
  EXPECT_EQ(ra.state, JobState::kQueued);
  EXPECT_EQ(ra.attempt, 2);
  EXPECT_TRUE(ra.slot.empty());
  EXPECT_EQ(ra.worker_pid, 0);
  BINQ_ASSERT_OK_AND_ASSIGN(auto events, store_->ReadEvents(a.id, 0, 10));
  ASSERT_EQ(events.size(), 2u);
  EXPECT_EQ(events[1].state_changed().state(), v1::QUEUED);
  EXPECT_EQ(events[1].state_changed().attempt(), 2);
  EXPECT_THAT(events[1].state_changed().message(),
              AllOf(HasSubstr("binqd restarted"), HasSubstr("attempt 1"), HasSubstr("cpu:0")));
  BINQ_ASSERT_OK_AND_ASSIGN(JobRecord rb, manager_->Get(b.id));
  EXPECT_EQ(rb.state, JobState::kCancelled);
  EXPECT_THAT(rb.failure_message, HasSubstr("restarted while the cancel was under way"));
  BINQ_ASSERT_OK_AND_ASSIGN(JobRecord rc, manager_->Get(c.id));
  EXPECT_EQ(rc.state, JobState::kQueued);
  EXPECT_EQ(rc.attempt, 1);
}

TEST_F(JobManagerTest, WorkerThatExitsAtOnceFailsWithItsExitCode) {
  BINQ_ASSERT_OK_AND_ASSIGN(JobRecord job, manager_->Submit(Spec()));
  manager_->StartJob({job.id, Slot{SlotKind::kCpu, 0}});
  BINQ_ASSERT_OK_AND_ASSIGN(JobRecord failed, WaitForState(job.id, JobState::kFailed));
  EXPECT_EQ(failed.failure_reason, FailureReason::kInternal);  // exit code 1
  EXPECT_THAT(failed.failure_message, HasSubstr("worker exited with code 1 without reporting"));
  EXPECT_EQ(failed.attempt, 1);
  EXPECT_TRUE(failed.slot.empty());
  // The slot is free again and usage was charged.
  BINQ_ASSERT_OK_AND_ASSIGN(SchedulingInput input, manager_->SchedulingState());
  EXPECT_EQ(input.free_slots.size(), 1u);
  BINQ_ASSERT_OK_AND_ASSIGN(auto usage, store_->LoadUsage());
  EXPECT_EQ(usage.count("ada"), 1u);
}

TEST_F(JobManagerTest, WorkerThatCannotStartFailsTheJobNotTheDaemon) {
  options_.worker_binary = root_ + "/no-such-worker";
  MakeManager();
  BINQ_ASSERT_OK_AND_ASSIGN(JobRecord job, manager_->Submit(Spec()));
  manager_->StartJob({job.id, Slot{SlotKind::kCpu, 0}});
  BINQ_ASSERT_OK_AND_ASSIGN(JobRecord failed, manager_->Get(job.id));
  EXPECT_EQ(failed.state, JobState::kFailed);
  EXPECT_EQ(failed.failure_reason, FailureReason::kInternal);
  EXPECT_THAT(failed.failure_message, HasSubstr(root_ + "/no-such-worker"));
}

TEST_F(JobManagerTest, WorkerApiAuthenticatesEveryCall) {
  EXPECT_THAT(manager_->StartWork("j-nope", "t", 1).status(),
              StatusIs(absl::StatusCode::kNotFound, HasSubstr("j-nope")));
  BINQ_ASSERT_OK_AND_ASSIGN(JobRecord job, manager_->Submit(Spec()));
  EXPECT_THAT(manager_->StartWork(job.id, "t", 1).status(),
              StatusIs(absl::StatusCode::kFailedPrecondition,
                       HasSubstr("attempt 1 is not running (the job is QUEUED")));
  EXPECT_THAT(manager_->ReportEvents(job.id, "t", 1, {}).status(),
              StatusIs(absl::StatusCode::kFailedPrecondition, HasSubstr("not running")));
  EXPECT_THAT(manager_->FinishWork(job.id, "t", 1, absl::OkStatus()),
              StatusIs(absl::StatusCode::kFailedPrecondition, HasSubstr("not running")));
}

TEST_F(JobManagerTest, StopWorkersDrainsAndRefusesNewWork) {
  EXPECT_EQ(manager_->StopWorkers(absl::Seconds(1)), 0);
  EXPECT_THAT(manager_->Submit(Spec()).status(),
              StatusIs(absl::StatusCode::kUnavailable, HasSubstr("shutting down")));
  BINQ_ASSERT_OK_AND_ASSIGN(SchedulingInput input, manager_->SchedulingState());
  EXPECT_TRUE(input.free_slots.empty());
}

}  // namespace
}  // namespace binq::server
