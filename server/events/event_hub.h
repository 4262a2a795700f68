// EventHub: fans out committed events to the watchers of a job and of the
// whole queue, and ticks idle watchers so they can send heartbeats.
//
// The hub never stores anything: callers persist first (JobStore), then
// publish what the store returned, in seq order (JobManager serializes its
// commits and publishes). A watcher subscribes before it reads the store,
// so every event is either in what it read or delivered to it live (or
// both: watchers drop what they already have by seq).
//
// Thread-safe. Subscriber callbacks run with the hub's lock held, on the
// publishing thread (or the tick thread): they must not block and must not
// call back into the hub. After Unsubscribe() returns, the subscriber gets
// no more callbacks, so it may be destroyed.
#ifndef BINQ_SERVER_EVENTS_EVENT_HUB_H_
#define BINQ_SERVER_EVENTS_EVENT_HUB_H_

#include <cstdint>
#include <map>
#include <string>
#include <thread>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/status/statusor.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "binq/v1/binq.pb.h"

namespace binq::server {

class EventHub {
 public:
  class Subscriber {
   public:
    virtual ~Subscriber() = default;
    virtual void OnJobEvent(const v1::JobEvent& event) {}
    virtual void OnQueueEvent(const v1::QueueEvent& event) {}
    // Called every tick period; the subscriber decides whether it is idle
    // long enough for a heartbeat.
    virtual void OnTick(absl::Time now) {}
    // The hub is shutting down: end the watch (with UNAVAILABLE).
    virtual void OnShutdown() {}
  };
  using SubscriptionId = uint64_t;

  // Starts the tick thread, which calls OnTick every `tick_period`.
  explicit EventHub(absl::Duration tick_period);
  ~EventHub();  // calls Shutdown()
  EventHub(const EventHub&) = delete;
  EventHub& operator=(const EventHub&) = delete;

  // UNAVAILABLE after Shutdown(). The hub does not own the subscriber.
  [[nodiscard]] absl::StatusOr<SubscriptionId> SubscribeJob(const std::string& job_id,
                                                            Subscriber* subscriber);
  [[nodiscard]] absl::StatusOr<SubscriptionId> SubscribeQueue(Subscriber* subscriber);
  // Idempotent; unknown ids are ignored.
  void Unsubscribe(SubscriptionId id);

  // Delivers to the watchers of each event's job (in order). Never blocks on
  // a watcher.
  void PublishJobEvents(const std::vector<v1::JobEvent>& events);
  void PublishQueueEvents(const std::vector<v1::QueueEvent>& events);

  // Tells every subscriber OnShutdown, refuses new subscriptions and stops
  // the tick thread. Idempotent.
  void Shutdown();

  int watchers() const;

 private:
  struct Entry {
    std::string job_id;  // empty: a queue watcher
    Subscriber* subscriber;
  };
  void TickLoop();

  const absl::Duration tick_period_;
  mutable absl::Mutex mu_;
  bool shut_down_ ABSL_GUARDED_BY(mu_) = false;
  SubscriptionId next_id_ ABSL_GUARDED_BY(mu_) = 1;
  std::map<SubscriptionId, Entry> entries_ ABSL_GUARDED_BY(mu_);
  std::multimap<std::string, SubscriptionId> by_job_ ABSL_GUARDED_BY(mu_);
  std::thread tick_thread_;
};

}  // namespace binq::server

#endif  // BINQ_SERVER_EVENTS_EVENT_HUB_H_
