// WatchPump without gRPC: a pump whose writes complete only when the test
// says so, like a watcher that reads slowly.
#include "server/events/watch_pump.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "tests/testing/status_matchers.h"

namespace binq::server {
namespace {

using ::binq::testing::IsOk;
using ::binq::testing::StatusIs;
using ::testing::ElementsAre;
using ::testing::HasSubstr;

template <typename Event>
class TestPump final : public WatchPump<Event> {
 public:
  using Base = WatchPump<Event>;
  explicit TestPump(typename Base::Options options) : Base(options, "j-1") {}
  using Base::Begin;
  using Base::Cancelled;
  using Base::End;

  // Completes the write in flight (as gRPC's OnWriteDone).
  void Complete(bool ok = true) {
    {
      absl::MutexLock lock(&mu_);
      ASSERT_TRUE(in_flight_);
      in_flight_ = false;
    }
    this->WriteDone(ok);
  }
  // Completes writes until none is in flight.
  void Drain() {
    while (true) {
      {
        absl::MutexLock lock(&mu_);
        if (!in_flight_) return;
      }
      Complete();
    }
  }
  std::vector<int64_t> seqs() {
    absl::MutexLock lock(&mu_);
    std::vector<int64_t> out;
    for (const Event& e : written_) out.push_back(e.seq());
    return out;
  }
  std::vector<Event> written() {
    absl::MutexLock lock(&mu_);
    return written_;
  }
  std::optional<absl::Status> finished() {
    absl::MutexLock lock(&mu_);
    return finished_;
  }
  bool in_flight() {
    absl::MutexLock lock(&mu_);
    return in_flight_;
  }

 private:
  void DoWrite(const Event* e) override {
    absl::MutexLock lock(&mu_);
    EXPECT_FALSE(in_flight_) << "two writes in flight";
    EXPECT_FALSE(finished_.has_value()) << "write after finish";
    written_.push_back(*e);
    in_flight_ = true;
  }
  void DoFinish(const absl::Status& s) override {
    absl::MutexLock lock(&mu_);
    EXPECT_FALSE(in_flight_) << "finish while a write is in flight";
    EXPECT_FALSE(finished_.has_value()) << "finished twice";
    finished_ = s;
  }
  absl::Mutex mu_;
  std::vector<Event> written_ ABSL_GUARDED_BY(mu_);
  bool in_flight_ ABSL_GUARDED_BY(mu_) = false;
  std::optional<absl::Status> finished_ ABSL_GUARDED_BY(mu_);
};

using JobPump = TestPump<v1::JobEvent>;
using QueuePump = TestPump<v1::QueueEvent>;

v1::JobEvent Ev(int64_t seq) {
  v1::JobEvent e;
  e.set_job_id("j-1");
  e.set_seq(seq);
  e.mutable_warning()->set_message("x");
  return e;
}

v1::JobEvent Terminal(int64_t seq) {
  v1::JobEvent e = Ev(seq);
  e.mutable_state_changed()->set_state(v1::SUCCEEDED);
  return e;
}

// Stored events 1..n, served two per page.
JobPump::Base::Fetch Store(std::vector<v1::JobEvent>* stored) {
  return [stored](int64_t after) -> absl::StatusOr<std::vector<v1::JobEvent>> {
    std::vector<v1::JobEvent> page;
    for (const v1::JobEvent& e : *stored) {
      if (e.seq() > after && page.size() < 2) page.push_back(e);
    }
    return page;
  };
}

JobPump::Base::Options Opts(size_t max_buffered = 100, absl::Duration hb = absl::Seconds(1)) {
  JobPump::Base::Options o;
  o.max_buffered = max_buffered;
  o.heartbeat_interval = hb;
  return o;
}

TEST(WatchPumpTest, ReplayThenLiveWithoutGapsOrDuplicates) {
  std::vector<v1::JobEvent> stored = {Ev(1), Ev(2), Ev(3), Ev(4), Ev(5)};
  JobPump pump(Opts());
  // Live events that raced with the store read (4, 5) and one after it (6).
  pump.OnJobEvent(Ev(4));
  pump.OnJobEvent(Ev(5));
  pump.OnJobEvent(Ev(6));
  pump.Begin({}, 2, Store(&stored));
  pump.Drain();
  EXPECT_THAT(pump.seqs(), ElementsAre(3, 4, 5, 6));
  pump.OnJobEvent(Ev(6));  // a duplicate publication is dropped
  pump.OnJobEvent(Ev(7));
  pump.Drain();
  EXPECT_THAT(pump.seqs(), ElementsAre(3, 4, 5, 6, 7));
  EXPECT_FALSE(pump.finished().has_value());
  pump.OnJobEvent(Terminal(8));
  pump.Drain();
  EXPECT_THAT(pump.seqs(), ElementsAre(3, 4, 5, 6, 7, 8));
  ASSERT_TRUE(pump.finished().has_value());
  EXPECT_THAT(*pump.finished(), IsOk());
}

TEST(WatchPumpTest, TerminalEventInTheReplayEndsTheStream) {
  std::vector<v1::JobEvent> stored = {Ev(1), Ev(2), Terminal(3)};
  JobPump pump(Opts());
  pump.Begin({}, 0, Store(&stored));
  pump.Drain();
  EXPECT_THAT(pump.seqs(), ElementsAre(1, 2, 3));
  ASSERT_TRUE(pump.finished().has_value());
  EXPECT_TRUE(pump.finished()->ok());
}

TEST(WatchPumpTest, SlowWatcherIsCutOffAndThePublisherNeverWaits) {
  std::vector<v1::JobEvent> stored;
  JobPump pump(Opts(/*max_buffered=*/3));
  pump.Begin({}, 0, Store(&stored));
  pump.OnJobEvent(Ev(1));  // written; the watcher does not read it yet
  ASSERT_TRUE(pump.in_flight());
  for (int seq = 2; seq <= 5; ++seq) pump.OnJobEvent(Ev(seq));  // each returns at once
  EXPECT_FALSE(pump.finished().has_value()) << "no finish while the write is in flight";
  pump.Complete();
  ASSERT_TRUE(pump.finished().has_value());
  EXPECT_THAT(*pump.finished(), StatusIs(absl::StatusCode::kResourceExhausted,
                                         HasSubstr("reconnect with after_seq=1")));
  EXPECT_THAT(pump.seqs(), ElementsAre(1));
  pump.OnJobEvent(Ev(6));  // ignored after the end
  EXPECT_THAT(pump.seqs(), ElementsAre(1));
}

TEST(WatchPumpTest, HeartbeatOnlyWhenIdleForTheInterval) {
  std::vector<v1::JobEvent> stored = {Ev(1), Ev(2)};
  JobPump pump(Opts(100, absl::Seconds(1)));
  pump.Begin({}, 0, Store(&stored));
  pump.Drain();
  const absl::Time now = absl::Now();
  pump.OnTick(now + absl::Milliseconds(100));
  EXPECT_FALSE(pump.in_flight());
  pump.OnTick(now + absl::Seconds(2));
  ASSERT_TRUE(pump.in_flight());
  const v1::JobEvent hb = pump.written().back();
  EXPECT_TRUE(hb.has_heartbeat());
  EXPECT_EQ(hb.seq(), 2);  // the newest seq
  EXPECT_EQ(hb.job_id(), "j-1");
  pump.OnTick(now + absl::Seconds(10));  // never a second write in flight
  EXPECT_EQ(pump.written().size(), 3u);
  pump.Complete();
  pump.OnJobEvent(Ev(3));
  pump.Drain();
  EXPECT_THAT(pump.seqs(), ElementsAre(1, 2, 2, 3));
}

TEST(WatchPumpTest, EndingsCarryTheirReasons) {
  {
    JobPump pump(Opts());
    pump.End(absl::NotFoundError("job j-1: not found"));  // before Begin
    EXPECT_THAT(*pump.finished(), StatusIs(absl::StatusCode::kNotFound, HasSubstr("j-1")));
  }
  {
    std::vector<v1::JobEvent> stored = {Ev(1)};
    JobPump pump(Opts());
    pump.Begin({}, 0, Store(&stored));
    pump.Drain();
    pump.OnShutdown();
    EXPECT_THAT(*pump.finished(), StatusIs(absl::StatusCode::kUnavailable,
                                           HasSubstr("reconnect with after_seq=1")));
  }
  {
    std::vector<v1::JobEvent> stored = {Ev(1)};
    JobPump pump(Opts());
    pump.Begin({}, 0, Store(&stored));
    pump.Complete(/*ok=*/false);  // the watcher went away mid-write
    EXPECT_THAT(*pump.finished(), StatusIs(absl::StatusCode::kCancelled, HasSubstr("went away")));
  }
  {
    JobPump pump(Opts());
    pump.Begin({}, 0, [](int64_t) -> absl::StatusOr<std::vector<v1::JobEvent>> {
      return absl::DataLossError("event j-1#3 in the store does not parse");
    });
    EXPECT_THAT(*pump.finished(), StatusIs(absl::StatusCode::kDataLoss, HasSubstr("j-1#3")));
  }
  {
    std::vector<v1::JobEvent> stored;
    JobPump pump(Opts());
    pump.Begin({}, 0, Store(&stored));
    pump.Cancelled();
    EXPECT_THAT(*pump.finished(), StatusIs(absl::StatusCode::kCancelled, HasSubstr("cancelled")));
  }
}

TEST(WatchPumpTest, QueueSnapshotThenNewerLiveEvents) {
  QueuePump::Base::Options o;
  o.max_buffered = 100;
  QueuePump pump(o);
  auto queue_event = [](int64_t seq, const std::string& job) {
    v1::QueueEvent e;
    e.set_seq(seq);
    e.mutable_job()->set_id(job);
    return e;
  };
  pump.OnQueueEvent(queue_event(10, "late-but-old"));  // already in the snapshot
  pump.OnQueueEvent(queue_event(11, "new"));
  pump.Begin({queue_event(10, "a"), queue_event(10, "b")}, 10, {});
  pump.Drain();
  std::vector<std::string> jobs;
  for (const v1::QueueEvent& e : pump.written()) jobs.push_back(e.job().id());
  EXPECT_THAT(jobs, ElementsAre("a", "b", "new"));
  EXPECT_FALSE(pump.finished().has_value()) << "the queue stream never ends by itself";
  pump.OnJobEvent(Ev(12));  // job events are not for a queue watcher
  EXPECT_EQ(pump.written().size(), 3u);
  pump.End(absl::CancelledError("done"));
}

}  // namespace
}  // namespace binq::server
