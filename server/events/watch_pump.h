// WatchPump: the logic of one watch stream (WatchJob or WatchQueue) without
// gRPC, so it is unit-tested on its own. It sends, in order and each once:
// an initial snapshot, the stored events after the watcher's after_seq
// (fetched page by page), then live events from the EventHub, with a
// heartbeat when idle. A job stream ends with OK after the terminal
// StateChanged event. A watcher that falls more than `max_buffered` events
// behind is ended with RESOURCE_EXHAUSTED (it reconnects with after_seq); the
// publisher never waits for it.
//
// The gRPC reactors (rpc/watch_reactors.h) derive from it and implement
// DoWrite/DoFinish. Thread-safety: every public method may be called from any
// thread; DoWrite/DoFinish are called without the pump's lock, with at most
// one write in flight, and DoFinish exactly once, never while a write is in
// flight. After calling DoFinish the pump touches none of its members (the
// reactor may be deleted as soon as gRPC calls OnDone).
#ifndef BINQ_SERVER_EVENTS_WATCH_PUMP_H_
#define BINQ_SERVER_EVENTS_WATCH_PUMP_H_

#include <cstdint>
#include <deque>
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "binq/v1/binq.pb.h"
#include "server/events/event_hub.h"

namespace binq::server {

template <typename Event>
class WatchPump : public EventHub::Subscriber {
 public:
  struct Options {
    size_t max_buffered = 4096;  // live events waiting to be written
    absl::Duration heartbeat_interval = absl::Seconds(5);
    bool stop_after_replay = false;  // end with OK once the stored events are sent
  };
  // The next page of stored events with seq > after_seq; empty when caught up.
  using Fetch = std::function<absl::StatusOr<std::vector<Event>>(int64_t after_seq)>;

  // EventHub::Subscriber; called by the hub under its lock.
  void OnJobEvent(const v1::JobEvent& event) override;
  void OnQueueEvent(const v1::QueueEvent& event) override;
  void OnTick(absl::Time now) override;
  void OnShutdown() override;

 protected:
  // `job_id` goes into job heartbeats (empty for the queue).
  WatchPump(Options options, std::string job_id);

  // Starts sending: `initial` (already ordered, all with seq ≤ after_seq or
  // a snapshot at after_seq), then stored events after `after_seq` from
  // `fetch` (none when fetch is empty), then live ones.
  void Begin(std::vector<Event> initial, int64_t after_seq, Fetch fetch);
  // Ends the stream with `status` (as soon as no write is in flight).
  void End(absl::Status status);
  // The reactor's OnWriteDone and OnCancel.
  void WriteDone(bool ok);
  void Cancelled();

  virtual void DoWrite(const Event* event) = 0;
  virtual void DoFinish(const absl::Status& status) = 0;

 private:
  enum class Phase { kStarting, kReplaying, kLive };
  void Offer(const Event& event);
  // Starts the next write, fetch or finish if nothing is in flight.
  // `may_fetch`: this thread may read the store (not the hub's threads).
  void Pump(bool may_fetch);
  void EndLocked(absl::Status status) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  void GoLiveLocked() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  void CheckBound(size_t buffered) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);

  const Options options_;
  const std::string job_id_;
  absl::Mutex mu_;
  Phase phase_ ABSL_GUARDED_BY(mu_) = Phase::kStarting;
  std::deque<Event> pending_ ABSL_GUARDED_BY(mu_);  // to write, in order
  std::deque<Event> early_ ABSL_GUARDED_BY(mu_);    // live events before the replay caught up
  int64_t last_seq_ ABSL_GUARDED_BY(mu_) = 0;       // highest seq put into pending_
  int64_t written_seq_ ABSL_GUARDED_BY(mu_) = 0;    // highest seq written
  Fetch fetch_ ABSL_GUARDED_BY(mu_);
  bool fetching_ ABSL_GUARDED_BY(mu_) = false;
  bool writing_ ABSL_GUARDED_BY(mu_) = false;
  bool heartbeat_due_ ABSL_GUARDED_BY(mu_) = false;
  std::optional<absl::Status> end_ ABSL_GUARDED_BY(mu_);
  bool finish_called_ ABSL_GUARDED_BY(mu_) = false;
  absl::Time last_write_ ABSL_GUARDED_BY(mu_);
  Event current_;  // owned by the write in flight (writing_)
};

}  // namespace binq::server

#endif  // BINQ_SERVER_EVENTS_WATCH_PUMP_H_
