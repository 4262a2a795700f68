#include "server/rpc/watch_reactors.h"

#include "absl/strings/str_cat.h"
#include "proto/convert/event_convert.h"
#include "proto/convert/grpc_status.h"
#include "server/api/job_convert.h"

namespace binq::server {
namespace {

constexpr int kReplayPage = 256;

template <typename Pump>
typename Pump::Options PumpOptions(const WatchOptions& o) {
  typename Pump::Options p;
  p.max_buffered = o.max_buffered;
  p.heartbeat_interval = o.heartbeat_interval;
  return p;
}

// no_follow: the stored events only, then OK.
WatchPump<v1::JobEvent>::Options ReplayOptions(const WatchOptions& o, bool no_follow) {
  auto p = PumpOptions<WatchPump<v1::JobEvent>>(o);
  p.stop_after_replay = no_follow;
  return p;
}

}  // namespace

WatchJobReactor::WatchJobReactor(JobStore* store, EventHub* hub, const WatchOptions& options,
                                 const v1::WatchJobRequest& request)
    : WatchPump<v1::JobEvent>(ReplayOptions(options, request.no_follow()), request.job_id()),
      hub_(hub) {
  const std::string job_id = request.job_id();
  const int64_t after_seq = request.after_seq();
  if (job_id.empty()) {
    End(absl::InvalidArgumentError("job_id: must name a job"));
    return;
  }
  if (after_seq < 0) {
    End(absl::InvalidArgumentError(absl::StrCat("after_seq: must be ≥ 0, got ", after_seq)));
    return;
  }
  absl::StatusOr<JobRecord> job = store->GetJob(job_id);
  if (!job.ok()) {
    End(job.status());
    return;
  }
  if (IsTerminal(job->state) && after_seq >= job->last_seq) {
    End(absl::OkStatus());  // the watcher has seen the end already
    return;
  }
  const auto fetch = [store, job_id](int64_t after) {
    return store->ReadEvents(job_id, after, kReplayPage);
  };
  if (request.no_follow()) {
    Begin({}, after_seq, fetch);
    return;
  }
  // Subscribe before reading the store: an event is then in what we read,
  // delivered live, or both (the pump drops duplicates by seq).
  absl::StatusOr<EventHub::SubscriptionId> id = hub_->SubscribeJob(job_id, this);
  if (!id.ok()) {
    End(id.status());
    return;
  }
  subscription_ = *id;
  Begin({}, after_seq, fetch);
}

void WatchJobReactor::DoFinish(const absl::Status& status) { Finish(api::ToGrpcStatus(status)); }

void WatchJobReactor::OnDone() {
  // After Unsubscribe returns the hub calls this reactor no more.
  if (const EventHub::SubscriptionId id = subscription_.load(); id != 0) hub_->Unsubscribe(id);
  delete this;
}

WatchQueueReactor::WatchQueueReactor(JobStore* store, EventHub* hub, const WatchOptions& options,
                                     const v1::WatchQueueRequest& request)
    : WatchPump<v1::QueueEvent>(PumpOptions<WatchPump<v1::QueueEvent>>(options), ""), hub_(hub) {
  const int64_t after_seq = request.after_seq();
  if (after_seq < 0) {
    End(absl::InvalidArgumentError(absl::StrCat("after_seq: must be ≥ 0, got ", after_seq)));
    return;
  }
  absl::StatusOr<EventHub::SubscriptionId> id = hub_->SubscribeQueue(this);
  if (!id.ok()) {
    End(id.status());
    return;
  }
  subscription_ = *id;
  if (after_seq == 0) {
    absl::StatusOr<JobStore::QueueSnapshot> snapshot = store->SnapshotQueue();
    if (!snapshot.ok()) {
      End(snapshot.status());
      return;
    }
    const auto now = api::TimeToProto(absl::ToDoubleSeconds(absl::Now() - absl::UnixEpoch()));
    std::vector<v1::QueueEvent> initial;
    for (const JobRecord& job : snapshot->unfinished) {
      v1::QueueEvent e;
      e.set_seq(snapshot->seq);
      *e.mutable_time() = now;
      *e.mutable_job() = JobToProto(job);
      initial.push_back(std::move(e));
    }
    Begin(std::move(initial), snapshot->seq, {});
    return;
  }
  absl::StatusOr<JobStore::QueueRead> bounds = store->ReadQueueEvents(after_seq, 0);
  if (!bounds.ok()) {
    End(bounds.status());
    return;
  }
  const bool pruned = bounds->current_seq > after_seq &&
                      (bounds->oldest_kept_seq == 0 || bounds->oldest_kept_seq > after_seq + 1);
  if (pruned) {
    End(absl::OutOfRangeError(absl::StrCat(
        "after_seq ", after_seq, ": queue events up to ",
        bounds->oldest_kept_seq == 0 ? bounds->current_seq : bounds->oldest_kept_seq - 1,
        " were pruned (the oldest kept is ", bounds->oldest_kept_seq,
        "); watch with after_seq=0 for a fresh snapshot")));
    return;
  }
  Begin({}, after_seq, [store](int64_t after) -> absl::StatusOr<std::vector<v1::QueueEvent>> {
    absl::StatusOr<JobStore::QueueRead> read = store->ReadQueueEvents(after, kReplayPage);
    if (!read.ok()) return read.status();
    return std::move(read->events);
  });
}

void WatchQueueReactor::DoFinish(const absl::Status& status) { Finish(api::ToGrpcStatus(status)); }

void WatchQueueReactor::OnDone() {
  if (const EventHub::SubscriptionId id = subscription_.load(); id != 0) hub_->Unsubscribe(id);
  delete this;
}

}  // namespace binq::server
