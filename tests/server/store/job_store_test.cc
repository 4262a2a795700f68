#include "server/store/job_store.h"

#include <filesystem>
#include <fstream>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "proto/convert/event_convert.h"
#include "server/store/schema.h"
#include "tests/testing/status_matchers.h"
#include "tests/testing/subprocess.h"

namespace binq::server {
namespace {

using ::binq::testing::IsOk;
using ::binq::testing::StatusIs;
using ::testing::HasSubstr;

v1::JobEvent Warning(const std::string& text) {
  v1::JobEvent e;
  e.mutable_warning()->set_message(text);
  return e;
}

v1::JobEvent State(v1::JobState state) {
  v1::JobEvent e;
  e.mutable_state_changed()->set_state(state);
  return e;
}

class JobStoreTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = binq::testing::MakeTempDir();
    options_.path = dir_ + "/binq.db";
    auto store = JobStore::Open(options_);
    ASSERT_TRUE(store.ok()) << store.status();
    store_ = *std::move(store);
  }

  JobRecord NewJob(const std::string& id, const std::string& user = "ada",
                   const std::string& request_id = "") {
    JobRecord job;
    job.id = id;
    job.spec.model = "/models/m";
    job.spec.technique = "CRB";
    job.spec.user = user;
    job.spec.request_id = request_id;
    job.create_time = 1000;
    job.output_dir = dir_ + "/jobs/" + id;
    return job;
  }

  JobStore::InsertResult Insert(const JobRecord& job) {
    JobChange change;
    change.events.push_back(State(v1::QUEUED));
    change.queue_event.emplace().mutable_state_changed()->set_state(v1::QUEUED);
    auto r = store_->InsertJob(job, change);
    EXPECT_TRUE(r.ok()) << r.status();
    return r.ok() ? *r : JobStore::InsertResult{};
  }

  std::string dir_;
  JobStore::Options options_;
  std::unique_ptr<JobStore> store_;
};

TEST_F(JobStoreTest, InsertGetAndFirstEvent) {
  const auto r = Insert(NewJob("j-1"));
  EXPECT_TRUE(r.created);
  EXPECT_EQ(r.committed.job.submit_order, 1);
  EXPECT_EQ(r.committed.job.last_seq, 1);
  ASSERT_EQ(r.committed.events.size(), 1u);
  EXPECT_EQ(r.committed.events[0].seq(), 1);
  EXPECT_EQ(r.committed.events[0].job_id(), "j-1");
  EXPECT_TRUE(r.committed.events[0].has_time());
  ASSERT_EQ(r.committed.queue_events.size(), 1u);
  EXPECT_EQ(r.committed.queue_events[0].seq(), 1);
  EXPECT_EQ(r.committed.queue_events[0].job().id(), "j-1");

  BINQ_ASSERT_OK_AND_ASSIGN(JobRecord got, store_->GetJob("j-1"));
  EXPECT_EQ(got.spec.model, "/models/m");
  EXPECT_EQ(got.spec.user, "ada");
  EXPECT_EQ(got.state, JobState::kQueued);
  EXPECT_EQ(got.output_dir, dir_ + "/jobs/j-1");
  EXPECT_THAT(store_->GetJob("j-nope"), StatusIs(absl::StatusCode::kNotFound, HasSubstr("j-nope")));
}

TEST_F(JobStoreTest, SameRequestIdReturnsTheFirstJobAndWritesNothing) {
  Insert(NewJob("j-1", "ada", "req"));
  const auto again = Insert(NewJob("j-2", "ada", "req"));
  EXPECT_FALSE(again.created);
  EXPECT_EQ(again.committed.job.id, "j-1");
  EXPECT_TRUE(again.committed.events.empty());
  EXPECT_THAT(store_->GetJob("j-2"), StatusIs(absl::StatusCode::kNotFound, HasSubstr("j-2")));
  BINQ_ASSERT_OK_AND_ASSIGN(auto found, store_->FindByRequestId("req"));
  ASSERT_TRUE(found.has_value());
  EXPECT_EQ(found->id, "j-1");
  // Jobs without a request id never collide.
  EXPECT_TRUE(Insert(NewJob("j-3")).created);
  EXPECT_TRUE(Insert(NewJob("j-4")).created);
}

TEST_F(JobStoreTest, MutateAppendsGapFreeEventsAndAbortsCleanly) {
  Insert(NewJob("j-1"));
  BINQ_ASSERT_OK_AND_ASSIGN(
      Committed c, store_->MutateJob("j-1", [](JobRecord& job, JobChange& change) {
        job.state = JobState::kRunning;
        job.slot = "cpu:0";
        change.events.push_back(State(v1::RUNNING));
        change.events.push_back(Warning("a"));
        return absl::OkStatus();
      }));
  EXPECT_EQ(c.job.last_seq, 3);
  ASSERT_EQ(c.events.size(), 2u);
  EXPECT_EQ(c.events[0].seq(), 2);
  EXPECT_EQ(c.events[1].seq(), 3);
  EXPECT_TRUE(c.queue_events.empty());

  // An error from the mutator writes nothing, not even its column changes.
  EXPECT_THAT(store_->MutateJob("j-1",
                                [](JobRecord& job, JobChange& change) {
                                  job.state = JobState::kFailed;
                                  change.events.push_back(Warning("lost"));
                                  return absl::FailedPreconditionError("not now");
                                })
                  .status(),
              StatusIs(absl::StatusCode::kFailedPrecondition, HasSubstr("not now")));
  BINQ_ASSERT_OK_AND_ASSIGN(JobRecord job, store_->GetJob("j-1"));
  EXPECT_EQ(job.state, JobState::kRunning);
  EXPECT_EQ(job.last_seq, 3);

  BINQ_ASSERT_OK_AND_ASSIGN(auto events, store_->ReadEvents("j-1", 0, 100));
  ASSERT_EQ(events.size(), 3u);
  for (int i = 0; i < 3; ++i) EXPECT_EQ(events[i].seq(), i + 1);
  BINQ_ASSERT_OK_AND_ASSIGN(auto tail, store_->ReadEvents("j-1", 1, 1));
  ASSERT_EQ(tail.size(), 1u);
  EXPECT_EQ(tail[0].seq(), 2);
  EXPECT_THAT(store_->MutateJob("j-x", [](JobRecord&, JobChange&) { return absl::OkStatus(); }).status(),
              StatusIs(absl::StatusCode::kNotFound, HasSubstr("j-x")));
}

TEST_F(JobStoreTest, EveryColumnSurvivesAReopen) {
  Insert(NewJob("j-1"));
  ASSERT_THAT(store_->MutateJob("j-1",
                                [](JobRecord& job, JobChange&) {
                                  job.state = JobState::kFailed;
                                  job.failure_reason = FailureReason::kNumerical;
                                  job.failure_message = "Hessian not positive definite";
                                  job.attempt = 3;
                                  job.start_time = 1001.25;
                                  job.end_time = 1002.5;
                                  job.cancel_requested = true;
                                  job.slot = "gpu:1";
                                  job.progress.stage = Stage::kEvaluating;
                                  job.progress.block = 4;
                                  job.progress.num_blocks = 12;
                                  job.progress.percent = 93;
                                  job.progress.eta_seconds = 7;
                                  job.progress.peak_memory_bytes = 1 << 30;
                                  job.progress.detail = "ptb: 1/2 windows";
                                  job.perplexity = {{"ptb", 12.5}, {"c4", INFINITY}};
                                  job.worker_seq_through = 42;
                                  job.worker_pid = 4242;
                                  return absl::OkStatus();
                                })
                  .status(),
              IsOk());
  store_.reset();
  BINQ_ASSERT_OK_AND_ASSIGN(store_, JobStore::Open(options_));
  BINQ_ASSERT_OK_AND_ASSIGN(JobRecord job, store_->GetJob("j-1"));
  EXPECT_EQ(job.state, JobState::kFailed);
  EXPECT_EQ(job.failure_reason, FailureReason::kNumerical);
  EXPECT_EQ(job.failure_message, "Hessian not positive definite");
  EXPECT_EQ(job.attempt, 3);
  EXPECT_DOUBLE_EQ(job.start_time, 1001.25);
  EXPECT_DOUBLE_EQ(job.end_time, 1002.5);
  EXPECT_TRUE(job.cancel_requested);
  EXPECT_EQ(job.slot, "gpu:1");
  EXPECT_EQ(job.progress.stage, Stage::kEvaluating);
  EXPECT_EQ(job.progress.block, 4);
  EXPECT_EQ(job.progress.num_blocks, 12);
  EXPECT_DOUBLE_EQ(job.progress.percent, 93);
  EXPECT_DOUBLE_EQ(job.progress.eta_seconds, 7);
  EXPECT_EQ(job.progress.peak_memory_bytes, 1 << 30);
  EXPECT_EQ(job.progress.detail, "ptb: 1/2 windows");
  EXPECT_DOUBLE_EQ(job.perplexity.at("ptb"), 12.5);
  EXPECT_TRUE(std::isinf(job.perplexity.at("c4")));
  EXPECT_EQ(job.worker_seq_through, 42);
  EXPECT_EQ(job.worker_pid, 4242);
}

TEST_F(JobStoreTest, ListNewestFirstWithFiltersAndPages) {
  for (int i = 1; i <= 5; ++i) Insert(NewJob("j-" + std::to_string(i), i % 2 ? "ada" : "bob"));
  ASSERT_THAT(store_->MutateJob("j-2",
                                [](JobRecord& job, JobChange&) {
                                  job.state = JobState::kRunning;
                                  return absl::OkStatus();
                                })
                  .status(),
              IsOk());
  JobFilter filter;
  filter.page_size = 2;
  BINQ_ASSERT_OK_AND_ASSIGN(JobPage p1, store_->ListJobs(filter));
  ASSERT_EQ(p1.jobs.size(), 2u);
  EXPECT_EQ(p1.jobs[0].id, "j-5");
  EXPECT_EQ(p1.jobs[1].id, "j-4");
  filter.before_order = p1.next_before_order;
  BINQ_ASSERT_OK_AND_ASSIGN(JobPage p2, store_->ListJobs(filter));
  filter.before_order = p2.next_before_order;
  BINQ_ASSERT_OK_AND_ASSIGN(JobPage p3, store_->ListJobs(filter));
  ASSERT_EQ(p3.jobs.size(), 1u);
  EXPECT_EQ(p3.jobs[0].id, "j-1");
  EXPECT_EQ(p3.next_before_order, 0);

  JobFilter bob;
  bob.user = "bob";
  BINQ_ASSERT_OK_AND_ASSIGN(JobPage bobs, store_->ListJobs(bob));
  ASSERT_EQ(bobs.jobs.size(), 2u);
  JobFilter running;
  running.state = JobState::kRunning;
  BINQ_ASSERT_OK_AND_ASSIGN(JobPage r, store_->ListJobs(running));
  ASSERT_EQ(r.jobs.size(), 1u);
  EXPECT_EQ(r.jobs[0].id, "j-2");
  BINQ_ASSERT_OK_AND_ASSIGN(auto queued, store_->JobsInState(JobState::kQueued));
  ASSERT_EQ(queued.size(), 4u);
  EXPECT_EQ(queued[0].id, "j-1");  // oldest first
}

TEST_F(JobStoreTest, UsageChargesDecayWithTheHalfLife) {
  options_.usage_half_life_seconds = 100;
  store_.reset();
  BINQ_ASSERT_OK_AND_ASSIGN(store_, JobStore::Open(options_));
  Insert(NewJob("j-1"));
  auto charge = [&](double seconds, double now) {
    return store_
        ->MutateJob("j-1",
                    [&](JobRecord&, JobChange& change) {
                      change.usage = UsageCharge{"ada", seconds, now};
                      return absl::OkStatus();
                    })
        .status();
  };
  ASSERT_THAT(charge(80, 1000), IsOk());
  ASSERT_THAT(charge(10, 1100), IsOk());  // 80 halves to 40, plus 10
  BINQ_ASSERT_OK_AND_ASSIGN(auto usage, store_->LoadUsage());
  ASSERT_EQ(usage.count("ada"), 1u);
  EXPECT_DOUBLE_EQ(usage["ada"].slot_seconds, 50);
  EXPECT_DOUBLE_EQ(usage["ada"].as_of, 1100);
}

TEST_F(JobStoreTest, QueueFeedSnapshotReadAndPrune) {
  options_.keep_queue_events = 4;
  store_.reset();
  BINQ_ASSERT_OK_AND_ASSIGN(store_, JobStore::Open(options_));
  Insert(NewJob("j-1"));
  Insert(NewJob("j-2"));
  BINQ_ASSERT_OK_AND_ASSIGN(auto snapshot, store_->SnapshotQueue());
  EXPECT_EQ(snapshot.seq, 2);
  ASSERT_EQ(snapshot.unfinished.size(), 2u);
  for (int i = 0; i < 8; ++i) {
    ASSERT_THAT(store_->MutateJob("j-1",
                                  [](JobRecord& job, JobChange& change) {
                                    change.queue_event.emplace().mutable_progress();
                                    return absl::OkStatus();
                                  })
                    .status(),
                IsOk());
  }
  BINQ_ASSERT_OK_AND_ASSIGN(auto read, store_->ReadQueueEvents(0, 100));
  EXPECT_EQ(read.current_seq, 10);
  // Pruned down to the newest few; what is kept is gap-free.
  EXPECT_GT(read.oldest_kept_seq, 1);
  ASSERT_FALSE(read.events.empty());
  EXPECT_EQ(read.events.front().seq(), read.oldest_kept_seq);
  EXPECT_EQ(read.events.back().seq(), 10);
  for (size_t i = 1; i < read.events.size(); ++i) {
    EXPECT_EQ(read.events[i].seq(), read.events[i - 1].seq() + 1);
  }
  EXPECT_TRUE(read.events.back().has_progress());
  EXPECT_EQ(read.events.back().job().id(), "j-1");
}

TEST_F(JobStoreTest, CorruptRowIsDataLossNamingTheJob) {
  Insert(NewJob("j-bad"));
  sqlite3* raw = nullptr;
  ASSERT_EQ(sqlite3_open(options_.path.c_str(), &raw), SQLITE_OK);
  ASSERT_EQ(sqlite3_exec(raw, "UPDATE jobs SET spec = '{not json' WHERE id = 'j-bad'", nullptr,
                         nullptr, nullptr),
            SQLITE_OK);
  sqlite3_close(raw);
  EXPECT_THAT(store_->GetJob("j-bad"),
              StatusIs(absl::StatusCode::kDataLoss, HasSubstr("job j-bad")));
}

TEST_F(JobStoreTest, BusyDatabaseIsUnavailable) {
  options_.busy_timeout = absl::Milliseconds(50);
  store_.reset();
  BINQ_ASSERT_OK_AND_ASSIGN(store_, JobStore::Open(options_));
  Insert(NewJob("j-1"));
  // Another process's writer holds the database.
  sqlite3* other = nullptr;
  ASSERT_EQ(sqlite3_open(options_.path.c_str(), &other), SQLITE_OK);
  ASSERT_EQ(sqlite3_exec(other, "BEGIN IMMEDIATE", nullptr, nullptr, nullptr), SQLITE_OK);
  EXPECT_THAT(store_->MutateJob("j-1", [](JobRecord&, JobChange&) { return absl::OkStatus(); }).status(),
              StatusIs(absl::StatusCode::kUnavailable, HasSubstr("locked")));
  sqlite3_exec(other, "ROLLBACK", nullptr, nullptr, nullptr);
  sqlite3_close(other);
  EXPECT_THAT(store_->MutateJob("j-1", [](JobRecord&, JobChange&) { return absl::OkStatus(); }).status(),
              IsOk());
}

TEST(JobStoreOpenTest, NotADatabaseIsDataLoss) {
  const std::string path = binq::testing::MakeTempDir() + "/binq.db";
  std::ofstream(path) << std::string(4096, 'x');
  JobStore::Options options;
  options.path = path;
  EXPECT_THAT(JobStore::Open(options).status(),
              StatusIs(absl::StatusCode::kDataLoss, HasSubstr(path)));
}

TEST(JobStoreOpenTest, MissingDirectoryIsFailedPrecondition) {
  JobStore::Options options;
  options.path = binq::testing::MakeTempDir() + "/no/such/dir/binq.db";
  EXPECT_THAT(JobStore::Open(options).status(),
              StatusIs(absl::StatusCode::kFailedPrecondition, HasSubstr("no/such/dir")));
}

}  // namespace
}  // namespace binq::server
