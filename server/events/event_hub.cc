#include "server/events/event_hub.h"

namespace binq::server {

EventHub::EventHub(absl::Duration tick_period)
    : tick_period_(tick_period), tick_thread_([this] { TickLoop(); }) {}

EventHub::~EventHub() { Shutdown(); }

absl::StatusOr<EventHub::SubscriptionId> EventHub::SubscribeJob(const std::string& job_id,
                                                               Subscriber* subscriber) {
  absl::MutexLock lock(&mu_);
  if (shut_down_) return absl::UnavailableError("binqd is shutting down");
  const SubscriptionId id = next_id_++;
  entries_[id] = Entry{job_id, subscriber};
  by_job_.emplace(job_id, id);
  return id;
}

absl::StatusOr<EventHub::SubscriptionId> EventHub::SubscribeQueue(Subscriber* subscriber) {
  absl::MutexLock lock(&mu_);
  if (shut_down_) return absl::UnavailableError("binqd is shutting down");
  const SubscriptionId id = next_id_++;
  entries_[id] = Entry{"", subscriber};
  return id;
}

void EventHub::Unsubscribe(SubscriptionId id) {
  absl::MutexLock lock(&mu_);
  const auto it = entries_.find(id);
  if (it == entries_.end()) return;
  if (!it->second.job_id.empty()) {
    auto [begin, end] = by_job_.equal_range(it->second.job_id);
    for (auto j = begin; j != end; ++j) {
      if (j->second == id) {
        by_job_.erase(j);
        break;
      }
    }
  }
  entries_.erase(it);
}

void EventHub::PublishJobEvents(const std::vector<v1::JobEvent>& events) {
  absl::MutexLock lock(&mu_);
  for (const v1::JobEvent& event : events) {
    auto [begin, end] = by_job_.equal_range(event.job_id());
    for (auto it = begin; it != end; ++it) entries_.at(it->second).subscriber->OnJobEvent(event);
  }
}

void EventHub::PublishQueueEvents(const std::vector<v1::QueueEvent>& events) {
  absl::MutexLock lock(&mu_);
  for (const v1::QueueEvent& event : events) {
    for (const auto& [id, entry] : entries_) {
      if (entry.job_id.empty()) entry.subscriber->OnQueueEvent(event);
    }
  }
}

void EventHub::Shutdown() {
  {
    absl::MutexLock lock(&mu_);
    if (!shut_down_) {
      shut_down_ = true;
      for (const auto& [id, entry] : entries_) entry.subscriber->OnShutdown();
    }
  }
  if (tick_thread_.joinable()) tick_thread_.join();
}

int EventHub::watchers() const {
  absl::MutexLock lock(&mu_);
  return static_cast<int>(entries_.size());
}

void EventHub::TickLoop() {
  absl::MutexLock lock(&mu_);
  while (!shut_down_) {
    // Sleeps on the lock's condition so Shutdown() wakes it at once.
    mu_.AwaitWithTimeout(absl::Condition(&shut_down_), tick_period_);
    if (shut_down_) break;
    const absl::Time now = absl::Now();
    for (const auto& [id, entry] : entries_) entry.subscriber->OnTick(now);
  }
}

}  // namespace binq::server
