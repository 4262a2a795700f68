// The scheduling policy with a fake clock: priority, then fair share (decayed
// usage, running time, jobs running), then submission order; slot kinds.
#include "server/scheduler/policy.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "server/scheduler/clock.h"
#include "server/scheduler/scheduler.h"
#include "tests/testing/status_matchers.h"

namespace binq::server {
namespace {

using ::binq::testing::StatusIs;
using ::testing::ElementsAre;
using ::testing::HasSubstr;

constexpr double kHour = 3600;

class PolicyTest : public ::testing::Test {
 protected:
  PolicyTest() : clock_(absl::FromUnixSeconds(1'700'000'000)) {}

  SchedulingInput Input(std::vector<QueuedJob> queued, std::vector<Slot> free) {
    SchedulingInput in;
    in.queued = std::move(queued);
    in.free_slots = std::move(free);
    in.now = clock_.NowSeconds();
    in.half_life_seconds = 24 * kHour;
    return in;
  }

  static std::vector<std::string> Order(const std::vector<Assignment>& a) {
    std::vector<std::string> ids;
    for (const Assignment& x : a) ids.push_back(x.job_id);
    return ids;
  }

  static QueuedJob Job(std::string id, std::string user, int64_t order, int priority = 0,
                       SlotKind needs = SlotKind::kCpu) {
    return QueuedJob{std::move(id), std::move(user), priority, order, needs};
  }

  FakeClock clock_;
  const Slot cpu0_{SlotKind::kCpu, 0}, cpu1_{SlotKind::kCpu, 1}, cpu2_{SlotKind::kCpu, 2};
  const Slot gpu0_{SlotKind::kGpu, 0}, gpu1_{SlotKind::kGpu, 1};
};

TEST_F(PolicyTest, NothingFreeOrNothingQueued) {
  EXPECT_TRUE(ScheduleJobs(Input({Job("a", "ada", 1)}, {})).empty());
  EXPECT_TRUE(ScheduleJobs(Input({}, {cpu0_})).empty());
}

TEST_F(PolicyTest, SubmissionOrderBreaksTies) {
  const auto a = ScheduleJobs(Input({Job("late", "ada", 9), Job("early", "ada", 2)}, {cpu0_}));
  EXPECT_THAT(Order(a), ElementsAre("early"));
  EXPECT_EQ(a[0].slot, cpu0_);
}

TEST_F(PolicyTest, PriorityComesBeforeFairShare) {
  SchedulingInput in = Input({Job("heavy-urgent", "ada", 2, 5), Job("light", "bob", 1)}, {cpu0_});
  in.usage["ada"] = UsageRecord{1000 * kHour, in.now};
  EXPECT_THAT(Order(ScheduleJobs(in)), ElementsAre("heavy-urgent"));
}

TEST_F(PolicyTest, LeastDecayedUsageGoesFirst) {
  SchedulingInput in = Input({Job("ada1", "ada", 1), Job("bob1", "bob", 2)}, {cpu0_});
  in.usage["ada"] = UsageRecord{10 * kHour, in.now};
  in.usage["bob"] = UsageRecord{2 * kHour, in.now};
  EXPECT_THAT(Order(ScheduleJobs(in)), ElementsAre("bob1"));
}

TEST_F(PolicyTest, OldUsageDecaysWithTheFakeClock) {
  // ada used 8 h three days ago (3 half-lives → 1 h); bob used 2 h just now.
  const double then = clock_.NowSeconds();
  clock_.Advance(absl::Hours(72));
  SchedulingInput in = Input({Job("bob1", "bob", 1), Job("ada1", "ada", 2)}, {cpu0_});
  in.usage["ada"] = UsageRecord{8 * kHour, then};
  in.usage["bob"] = UsageRecord{2 * kHour, in.now};
  EXPECT_NEAR(EffectiveUsage(in).at("ada"), 1 * kHour, 1e-6);
  EXPECT_THAT(Order(ScheduleJobs(in)), ElementsAre("ada1"));
  // A day earlier ada's share was still 2 h, tied with bob: order decides.
  in.now -= 24 * kHour;
  in.usage["bob"].as_of = in.now;
  EXPECT_NEAR(EffectiveUsage(in).at("ada"), 2 * kHour, 1e-6);
  EXPECT_THAT(Order(ScheduleJobs(in)), ElementsAre("bob1"));
}

TEST_F(PolicyTest, RunningJobsCountTowardUsage) {
  SchedulingInput in = Input({Job("ada1", "ada", 1), Job("bob1", "bob", 2)}, {cpu1_});
  in.running.push_back({"ada", in.now - 600});  // ada has run 10 min so far
  in.usage["bob"] = UsageRecord{300, in.now};
  EXPECT_DOUBLE_EQ(EffectiveUsage(in).at("ada"), 600);
  EXPECT_THAT(Order(ScheduleJobs(in)), ElementsAre("bob1"));
}

TEST_F(PolicyTest, NewUsersAlternateAcrossFreeSlots) {
  const auto a = ScheduleJobs(Input({Job("ada1", "ada", 1), Job("ada2", "ada", 2),
                                     Job("ada3", "ada", 3), Job("bob1", "bob", 4)},
                                    {cpu0_, cpu1_, cpu2_}));
  EXPECT_THAT(Order(a), ElementsAre("ada1", "bob1", "ada2"));
  EXPECT_EQ(a[0].slot, cpu0_);
  EXPECT_EQ(a[1].slot, cpu1_);
  EXPECT_EQ(a[2].slot, cpu2_);
}

TEST_F(PolicyTest, JobsWaitForTheirSlotKind) {
  const auto a = ScheduleJobs(Input({Job("gpu-job", "ada", 1, 9, SlotKind::kGpu),
                                     Job("cpu-job", "bob", 2, 0, SlotKind::kCpu)},
                                    {cpu0_}));
  EXPECT_THAT(Order(a), ElementsAre("cpu-job"));
  const auto b = ScheduleJobs(Input({Job("g1", "ada", 1, 0, SlotKind::kGpu),
                                     Job("g2", "ada", 2, 0, SlotKind::kGpu),
                                     Job("g3", "ada", 3, 0, SlotKind::kGpu)},
                                    {gpu1_, cpu0_, gpu0_}));
  ASSERT_THAT(Order(b), ElementsAre("g1", "g2"));
  EXPECT_EQ(b[0].slot, gpu0_);  // lowest index first
  EXPECT_EQ(b[1].slot, gpu1_);
}

TEST(FairShareTest, DecayHalvesPerHalfLife) {
  EXPECT_DOUBLE_EQ(DecayUsage(100, 0, 10, 10), 50);
  EXPECT_DOUBLE_EQ(DecayUsage(100, 0, 30, 10), 12.5);
  EXPECT_DOUBLE_EQ(DecayUsage(100, 5, 5, 10), 100);
  EXPECT_DOUBLE_EQ(DecayUsage(100, 10, 5, 10), 100);  // clock stepped back
  EXPECT_DOUBLE_EQ(DecayUsage(100, 0, 1e9, 0), 100);  // no half-life: no decay
}

TEST(SlotsTest, GpuListsCpuSlotsAndErrors) {
  BINQ_ASSERT_OK_AND_ASSIGN(auto slots, MakeSlots("0,2", 1));
  ASSERT_EQ(slots.size(), 3u);
  EXPECT_EQ(slots[0].Name(), "gpu:0");
  EXPECT_EQ(slots[1].Name(), "gpu:2");
  EXPECT_EQ(slots[1].CudaVisibleDevices(), "2");
  EXPECT_EQ(slots[2].Name(), "cpu:0");
  EXPECT_EQ(slots[2].CudaVisibleDevices(), "");
  BINQ_ASSERT_OK_AND_ASSIGN(auto cpu_only, MakeSlots("none", 3));
  EXPECT_EQ(cpu_only.size(), 3u);
  EXPECT_THAT(MakeSlots("0,x", 1), StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("--gpus")));
  EXPECT_THAT(MakeSlots("1,1", 1), StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("GPU 1 listed twice")));
  EXPECT_THAT(MakeSlots("none", 0), StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("no slot")));
  EXPECT_THAT(MakeSlots("none", -1), StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("--cpu-slots")));
  BINQ_ASSERT_OK_AND_ASSIGN(auto detected, MakeSlots("auto", 1));
  EXPECT_EQ(static_cast<int>(detected.size()), CountNvidiaGpus() + 1);
}

TEST(SlotsTest, DeviceDecidesTheSlotKind) {
  JobSpec spec;
  spec.device = "auto";
  EXPECT_EQ(SlotKindFor(spec, true), SlotKind::kGpu);
  EXPECT_EQ(SlotKindFor(spec, false), SlotKind::kCpu);
  spec.device = "cpu";
  EXPECT_EQ(SlotKindFor(spec, true), SlotKind::kCpu);
  spec.device = "cuda";
  EXPECT_EQ(SlotKindFor(spec, false), SlotKind::kGpu);
}

// The scheduler thread runs the policy on its backend's snapshot when kicked.
class RecordingBackend final : public Scheduler::Backend {
 public:
  absl::StatusOr<SchedulingInput> SchedulingState() override {
    absl::MutexLock lock(&mu_);
    ++rounds_;
    if (fail_) return absl::UnavailableError("store busy");
    SchedulingInput in;
    in.queued = queued_;
    queued_.clear();
    in.free_slots = {{SlotKind::kCpu, 0}};
    return in;
  }
  void StartJob(const Assignment& a) override {
    absl::MutexLock lock(&mu_);
    started_.push_back(a.job_id);
  }
  absl::Mutex mu_;
  int rounds_ ABSL_GUARDED_BY(mu_) = 0;
  bool fail_ ABSL_GUARDED_BY(mu_) = false;
  std::vector<QueuedJob> queued_ ABSL_GUARDED_BY(mu_);
  std::vector<std::string> started_ ABSL_GUARDED_BY(mu_);
};

// Polls `done` (under the backend's lock) until it holds or 10 s pass.
bool Eventually(RecordingBackend& backend, const std::function<bool()>& done) {
  const absl::Time deadline = absl::Now() + absl::Seconds(10);
  while (absl::Now() < deadline) {
    {
      absl::MutexLock lock(&backend.mu_);
      if (done()) return true;
    }
    absl::SleepFor(absl::Milliseconds(5));
  }
  return false;
}

TEST(SchedulerTest, KickRunsARoundAndStartsTheChosenJob) {
  RecordingBackend backend;
  {
    absl::MutexLock lock(&backend.mu_);
    backend.fail_ = true;  // an error skips a round; the thread goes on
  }
  Scheduler scheduler(&backend, absl::Hours(1));
  scheduler.Start();  // the first round runs at once
  ASSERT_TRUE(Eventually(backend, [&]() ABSL_NO_THREAD_SAFETY_ANALYSIS { return backend.rounds_ >= 1; }));
  {
    absl::MutexLock lock(&backend.mu_);
    backend.fail_ = false;
    backend.queued_ = {QueuedJob{"j-1", "ada", 0, 1, SlotKind::kCpu}};
  }
  scheduler.Kick();
  ASSERT_TRUE(Eventually(backend, [&]() ABSL_NO_THREAD_SAFETY_ANALYSIS { return !backend.started_.empty(); }));
  scheduler.Stop();
  absl::MutexLock lock(&backend.mu_);
  EXPECT_THAT(backend.started_, ElementsAre("j-1"));
}

}  // namespace
}  // namespace binq::server
