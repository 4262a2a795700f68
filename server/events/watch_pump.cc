#include "server/events/watch_pump.h"

#include <type_traits>

#include "absl/strings/str_cat.h"
#include "proto/convert/event_convert.h"

namespace binq::server {
namespace {

// What differs between a job stream and the queue stream.
bool EndsStream(const v1::JobEvent& event) { return api::IsTerminalEvent(event); }
bool EndsStream(const v1::QueueEvent&) { return false; }  // the queue never ends

template <typename Event>
Event Heartbeat(const std::string& job_id, int64_t seq, absl::Time now);
template <>
v1::JobEvent Heartbeat<v1::JobEvent>(const std::string& job_id, int64_t seq, absl::Time now) {
  v1::JobEvent e;
  e.set_job_id(job_id);
  e.set_seq(seq);
  *e.mutable_time() = api::TimeToProto(absl::ToDoubleSeconds(now - absl::UnixEpoch()));
  e.mutable_heartbeat();
  return e;
}
template <>
v1::QueueEvent Heartbeat<v1::QueueEvent>(const std::string&, int64_t seq, absl::Time now) {
  v1::QueueEvent e;
  e.set_seq(seq);
  *e.mutable_time() = api::TimeToProto(absl::ToDoubleSeconds(now - absl::UnixEpoch()));
  e.mutable_heartbeat();
  return e;
}

}  // namespace

template <typename Event>
WatchPump<Event>::WatchPump(Options options, std::string job_id)
    : options_(options), job_id_(std::move(job_id)), last_write_(absl::Now()) {}

template <typename Event>
void WatchPump<Event>::OnJobEvent(const v1::JobEvent& event) {
  if constexpr (std::is_same_v<Event, v1::JobEvent>) Offer(event);
}

template <typename Event>
void WatchPump<Event>::OnQueueEvent(const v1::QueueEvent& event) {
  if constexpr (std::is_same_v<Event, v1::QueueEvent>) Offer(event);
}

template <typename Event>
void WatchPump<Event>::OnTick(absl::Time now) {
  {
    absl::MutexLock lock(&mu_);
    if (phase_ != Phase::kLive || writing_ || !pending_.empty() || end_.has_value()) return;
    if (now - last_write_ < options_.heartbeat_interval) return;
    heartbeat_due_ = true;
  }
  Pump(/*may_fetch=*/false);
}

template <typename Event>
void WatchPump<Event>::OnShutdown() {
  {
    absl::MutexLock lock(&mu_);
    EndLocked(absl::UnavailableError(absl::StrCat(
        "binqd is shutting down; reconnect with after_seq=", written_seq_)));
  }
  Pump(/*may_fetch=*/false);
}

template <typename Event>
void WatchPump<Event>::Begin(std::vector<Event> initial, int64_t after_seq, Fetch fetch) {
  {
    absl::MutexLock lock(&mu_);
    for (Event& e : initial) pending_.push_back(std::move(e));
    last_seq_ = after_seq;
    written_seq_ = after_seq;
    fetch_ = std::move(fetch);
    if (fetch_) {
      phase_ = Phase::kReplaying;
    } else {
      GoLiveLocked();
    }
  }
  Pump(/*may_fetch=*/true);
}

// Live events that arrived while the stream replayed (or before it began)
// follow the replay, minus those the replay already delivered.
template <typename Event>
void WatchPump<Event>::GoLiveLocked() {
  phase_ = Phase::kLive;
  for (Event& e : early_) {
    if (e.seq() > last_seq_) {
      last_seq_ = e.seq();
      pending_.push_back(std::move(e));
    }
  }
  early_.clear();
}

template <typename Event>
void WatchPump<Event>::End(absl::Status status) {
  {
    absl::MutexLock lock(&mu_);
    EndLocked(std::move(status));
  }
  Pump(/*may_fetch=*/false);
}

template <typename Event>
void WatchPump<Event>::WriteDone(bool ok) {
  {
    absl::MutexLock lock(&mu_);
    writing_ = false;
    if (!ok) EndLocked(absl::CancelledError("the watcher went away"));
  }
  Pump(/*may_fetch=*/true);
}

template <typename Event>
void WatchPump<Event>::Cancelled() { End(absl::CancelledError("the watcher cancelled the call")); }

template <typename Event>
void WatchPump<Event>::EndLocked(absl::Status status) {
  if (end_.has_value()) return;  // the first reason wins
  end_ = std::move(status);
  pending_.clear();
  early_.clear();
}

template <typename Event>
void WatchPump<Event>::CheckBound(size_t buffered) {
  if (buffered <= options_.max_buffered) return;
  EndLocked(absl::ResourceExhaustedError(absl::StrCat(
      "watcher fell behind: more than ", options_.max_buffered,
      " events waiting to be sent; reconnect with after_seq=", written_seq_)));
}

template <typename Event>
void WatchPump<Event>::Offer(const Event& event) {
  {
    absl::MutexLock lock(&mu_);
    if (end_.has_value()) return;
    if (phase_ != Phase::kLive) {
      early_.push_back(event);
      CheckBound(early_.size());
    } else if (event.seq() > last_seq_) {
      last_seq_ = event.seq();
      pending_.push_back(event);
      CheckBound(pending_.size());
    }
  }
  Pump(/*may_fetch=*/false);
}

template <typename Event>
void WatchPump<Event>::Pump(bool may_fetch) {
  while (true) {
    enum { kWrite, kFinish, kFetch } action;
    absl::Status finish_status;
    Fetch fetch;
    int64_t fetch_after = 0;
    {
      absl::MutexLock lock(&mu_);
      if (finish_called_ || writing_ || fetching_) return;
      if (end_.has_value()) {
        finish_called_ = true;
        finish_status = *end_;
        action = kFinish;
      } else if (!pending_.empty()) {
        current_ = std::move(pending_.front());
        pending_.pop_front();
        written_seq_ = std::max(written_seq_, current_.seq());
        if (EndsStream(current_)) end_ = absl::OkStatus();  // after this write
        writing_ = true;
        last_write_ = absl::Now();
        action = kWrite;
      } else if (phase_ == Phase::kReplaying) {
        if (!may_fetch) return;  // the next WriteDone or Begin fetches
        fetching_ = true;
        fetch = fetch_;
        fetch_after = last_seq_;
        action = kFetch;
      } else if (heartbeat_due_ && phase_ == Phase::kLive) {
        heartbeat_due_ = false;
        current_ = Heartbeat<Event>(job_id_, last_seq_, absl::Now());
        writing_ = true;
        last_write_ = absl::Now();
        action = kWrite;
      } else {
        return;
      }
    }
    switch (action) {
      case kWrite:
        DoWrite(&current_);
        return;
      case kFinish:
        DoFinish(finish_status);
        return;  // `this` may be gone
      case kFetch: {
        absl::StatusOr<std::vector<Event>> page = fetch(fetch_after);
        absl::MutexLock lock(&mu_);
        fetching_ = false;
        if (!page.ok()) {
          EndLocked(page.status());
        } else if (page->empty() && options_.stop_after_replay) {
          EndLocked(absl::OkStatus());
        } else if (page->empty()) {  // caught up: follow live events from here
          GoLiveLocked();
          CheckBound(pending_.size());
        } else {
          for (Event& e : *page) {
            if (e.seq() > last_seq_) {
              last_seq_ = e.seq();
              pending_.push_back(std::move(e));
            }
          }
        }
        break;  // and pump again
      }
    }
  }
}

template class WatchPump<v1::JobEvent>;
template class WatchPump<v1::QueueEvent>;

}  // namespace binq::server
