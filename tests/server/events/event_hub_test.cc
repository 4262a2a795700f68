#include "server/events/event_hub.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "tests/testing/status_matchers.h"

namespace binq::server {
namespace {

using ::binq::testing::StatusIs;
using ::testing::ElementsAre;
using ::testing::HasSubstr;

class Recorder final : public EventHub::Subscriber {
 public:
  void OnJobEvent(const v1::JobEvent& e) override {
    absl::MutexLock lock(&mu);
    job_seqs.push_back(e.seq());
  }
  void OnQueueEvent(const v1::QueueEvent& e) override {
    absl::MutexLock lock(&mu);
    queue_seqs.push_back(e.seq());
  }
  void OnTick(absl::Time) override {
    absl::MutexLock lock(&mu);
    ++ticks;
  }
  void OnShutdown() override {
    absl::MutexLock lock(&mu);
    shut_down = true;
  }
  absl::Mutex mu;
  std::vector<int64_t> job_seqs, queue_seqs;
  int ticks = 0;
  bool shut_down = false;
};

v1::JobEvent Event(const std::string& job, int64_t seq) {
  v1::JobEvent e;
  e.set_job_id(job);
  e.set_seq(seq);
  return e;
}

TEST(EventHubTest, DeliversToTheRightWatchersInOrder) {
  EventHub hub(absl::Hours(1));
  Recorder a, a2, b, queue;
  BINQ_ASSERT_OK_AND_ASSIGN(auto id_a, hub.SubscribeJob("j-a", &a));
  BINQ_ASSERT_OK_AND_ASSIGN(auto id_a2, hub.SubscribeJob("j-a", &a2));
  BINQ_ASSERT_OK_AND_ASSIGN(auto id_b, hub.SubscribeJob("j-b", &b));
  BINQ_ASSERT_OK_AND_ASSIGN(auto id_q, hub.SubscribeQueue(&queue));
  EXPECT_EQ(hub.watchers(), 4);
  hub.PublishJobEvents({Event("j-a", 1), Event("j-b", 1), Event("j-a", 2)});
  v1::QueueEvent q;
  q.set_seq(7);
  hub.PublishQueueEvents({q});
  EXPECT_THAT(a.job_seqs, ElementsAre(1, 2));
  EXPECT_THAT(a2.job_seqs, ElementsAre(1, 2));
  EXPECT_THAT(b.job_seqs, ElementsAre(1));
  EXPECT_TRUE(queue.job_seqs.empty());
  EXPECT_THAT(queue.queue_seqs, ElementsAre(7));
  EXPECT_TRUE(a.queue_seqs.empty());

  hub.Unsubscribe(id_a);
  hub.Unsubscribe(id_a);  // idempotent
  hub.PublishJobEvents({Event("j-a", 3)});
  EXPECT_THAT(a.job_seqs, ElementsAre(1, 2));
  EXPECT_THAT(a2.job_seqs, ElementsAre(1, 2, 3));
  hub.Unsubscribe(id_a2);
  hub.Unsubscribe(id_b);
  hub.Unsubscribe(id_q);
  EXPECT_EQ(hub.watchers(), 0);
}

TEST(EventHubTest, TicksIdleWatchers) {
  EventHub hub(absl::Milliseconds(5));
  Recorder r;
  BINQ_ASSERT_OK_AND_ASSIGN(auto id, hub.SubscribeQueue(&r));
  const absl::Time deadline = absl::Now() + absl::Seconds(10);
  while (absl::Now() < deadline) {
    {
      absl::MutexLock lock(&r.mu);
      if (r.ticks >= 3) break;
    }
    absl::SleepFor(absl::Milliseconds(5));
  }
  hub.Unsubscribe(id);
  absl::MutexLock lock(&r.mu);
  EXPECT_GE(r.ticks, 3);
}

TEST(EventHubTest, ShutdownTellsEveryoneAndRefusesNewWatchers) {
  EventHub hub(absl::Hours(1));
  Recorder r;
  BINQ_ASSERT_OK_AND_ASSIGN(auto id, hub.SubscribeJob("j", &r));
  hub.Shutdown();
  EXPECT_TRUE(r.shut_down);
  Recorder late;
  EXPECT_THAT(hub.SubscribeJob("j", &late).status(),
              StatusIs(absl::StatusCode::kUnavailable, HasSubstr("shutting down")));
  EXPECT_THAT(hub.SubscribeQueue(&late).status(),
              StatusIs(absl::StatusCode::kUnavailable, HasSubstr("shutting down")));
  hub.Unsubscribe(id);
  hub.Shutdown();  // idempotent
}

}  // namespace
}  // namespace binq::server
