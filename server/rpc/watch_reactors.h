// The streaming RPCs on gRPC's callback API: each watch is a
// ServerWriteReactor that never blocks a gRPC thread on a watcher; the
// ordering, replay, bounds and heartbeats are WatchPump's
// (events/watch_pump.h).
//
// WatchJob(job_id, after_seq): stored events with seq > after_seq, then live
// ones, heartbeats (a JobEvent with `heartbeat` set and seq = the newest seq)
// when idle; OK after the terminal StateChanged. NOT_FOUND for an unknown
// job, INVALID_ARGUMENT for a negative after_seq.
//
// WatchQueue(after_seq): after_seq = 0 starts with a snapshot — one
// QueueEvent per unfinished job, each with seq = the queue's current seq,
// `job` set and no kind — then follows live changes; after_seq > 0 replays
// stored queue events after it (OUT_OF_RANGE if they were pruned). Never
// ends on its own.
//
// Both end with UNAVAILABLE when the daemon shuts down and with
// RESOURCE_EXHAUSTED for a watcher that falls too far behind. Each reactor
// deletes itself in OnDone.
#ifndef BINQ_SERVER_RPC_WATCH_REACTORS_H_
#define BINQ_SERVER_RPC_WATCH_REACTORS_H_

#include <atomic>

#include "binq/v1/binq.pb.h"
#include "grpcpp/support/server_callback.h"
#include "server/events/event_hub.h"
#include "server/events/watch_pump.h"
#include "server/store/job_store.h"

namespace binq::server {

struct WatchOptions {
  size_t max_buffered = 4096;
  absl::Duration heartbeat_interval = absl::Seconds(5);
};

class WatchJobReactor final : public grpc::ServerWriteReactor<v1::JobEvent>,
                              public WatchPump<v1::JobEvent> {
 public:
  // Does not own store or hub; both outlive every watch (the server is shut
  // down first).
  WatchJobReactor(JobStore* store, EventHub* hub, const WatchOptions& options,
                  const v1::WatchJobRequest& request);

  void OnWriteDone(bool ok) override { WriteDone(ok); }
  void OnCancel() override { Cancelled(); }
  void OnDone() override;

 private:
  void DoWrite(const v1::JobEvent* event) override { StartWrite(event); }
  void DoFinish(const absl::Status& status) override;

  EventHub* const hub_;
  std::atomic<EventHub::SubscriptionId> subscription_{0};
};

class WatchQueueReactor final : public grpc::ServerWriteReactor<v1::QueueEvent>,
                                public WatchPump<v1::QueueEvent> {
 public:
  WatchQueueReactor(JobStore* store, EventHub* hub, const WatchOptions& options,
                    const v1::WatchQueueRequest& request);

  void OnWriteDone(bool ok) override { WriteDone(ok); }
  void OnCancel() override { Cancelled(); }
  void OnDone() override;

 private:
  void DoWrite(const v1::QueueEvent* event) override { StartWrite(event); }
  void DoFinish(const absl::Status& status) override;

  EventHub* const hub_;
  std::atomic<EventHub::SubscriptionId> subscription_{0};
};

}  // namespace binq::server

#endif  // BINQ_SERVER_RPC_WATCH_REACTORS_H_
