#include "server/scheduler/scheduler.h"

#include "spdlog/spdlog.h"

namespace binq::server {

Scheduler::Scheduler(Backend* backend, absl::Duration idle_period)
    : backend_(backend), idle_period_(idle_period) {}

Scheduler::~Scheduler() { Stop(); }

void Scheduler::Start() { thread_ = std::thread([this] { Loop(); }); }

void Scheduler::Kick() {
  absl::MutexLock lock(&mu_);
  kicked_ = true;
}

void Scheduler::Stop() {
  {
    absl::MutexLock lock(&mu_);
    stopping_ = true;
  }
  if (thread_.joinable()) thread_.join();
}

void Scheduler::Loop() {
  while (true) {
    {
      absl::MutexLock lock(&mu_);
      auto wake = [this]() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) { return kicked_ || stopping_; };
      mu_.AwaitWithTimeout(absl::Condition(&wake), idle_period_);
      if (stopping_) return;
      kicked_ = false;
    }
    absl::StatusOr<SchedulingInput> state = backend_->SchedulingState();
    if (!state.ok()) {
      spdlog::warn("scheduler: skipping a round: {}", state.status().ToString());
      continue;
    }
    for (const Assignment& a : ScheduleJobs(*state)) {
      {
        absl::MutexLock lock(&mu_);
        if (stopping_) return;
      }
      backend_->StartJob(a);
    }
  }
}

}  // namespace binq::server
