// The scheduling policy as a pure function of (queued jobs, free slots,
// per-user usage, running jobs, clock): which queued job goes to which free
// slot now. Order: higher priority first; then fair share — the user with
// the least decayed slot-seconds (stored usage decayed to now plus the time
// their running jobs have run so far), then the one with fewer jobs running
// (so two users new to the daemon alternate); then submission order. The
// policy is tested with a fake clock (tests/server/scheduler/policy_test.cc).
#ifndef BINQ_SERVER_SCHEDULER_POLICY_H_
#define BINQ_SERVER_SCHEDULER_POLICY_H_

#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "server/scheduler/fair_share.h"
#include "server/scheduler/slots.h"

namespace binq::server {

struct QueuedJob {
  std::string id;
  std::string user;
  int priority = 0;
  int64_t submit_order = 0;
  SlotKind needs = SlotKind::kCpu;
};

struct RunningJob {
  std::string user;
  double start_time = 0;  // Unix seconds
};

struct SchedulingInput {
  std::vector<QueuedJob> queued;
  std::vector<Slot> free_slots;
  std::map<std::string, UsageRecord> usage;  // as stored; decayed here
  std::vector<RunningJob> running;
  double now = 0;  // Unix seconds, from the clock
  double half_life_seconds = 7 * 24 * 3600.0;
};

struct Assignment {
  std::string job_id;
  Slot slot;
};

// At most one assignment per free slot, in the order they should start.
std::vector<Assignment> ScheduleJobs(const SchedulingInput& input);

// The fair-share usage of every user the input mentions, at input.now.
std::map<std::string, double> EffectiveUsage(const SchedulingInput& input);

}  // namespace binq::server

#endif  // BINQ_SERVER_SCHEDULER_POLICY_H_
