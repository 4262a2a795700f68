#include "server/scheduler/policy.h"

#include <algorithm>
#include <tuple>

namespace binq::server {

std::map<std::string, double> EffectiveUsage(const SchedulingInput& input) {
  std::map<std::string, double> usage;
  for (const auto& [user, record] : input.usage) {
    usage[user] = DecayUsage(record.slot_seconds, record.as_of, input.now, input.half_life_seconds);
  }
  for (const RunningJob& job : input.running) {
    usage[job.user] += std::max(0.0, input.now - job.start_time);
  }
  for (const QueuedJob& job : input.queued) usage.emplace(job.user, 0.0);
  return usage;
}

std::vector<Assignment> ScheduleJobs(const SchedulingInput& input) {
  const std::map<std::string, double> usage = EffectiveUsage(input);
  std::map<std::string, int> running;
  for (const RunningJob& job : input.running) ++running[job.user];

  std::vector<Slot> free = input.free_slots;
  std::sort(free.begin(), free.end(), [](const Slot& a, const Slot& b) {
    return std::tie(a.kind, a.index) < std::tie(b.kind, b.index);
  });
  std::vector<bool> taken(input.queued.size(), false);
  std::vector<Assignment> out;
  while (true) {
    // The best queued job that has a free slot of its kind.
    int best = -1;
    auto key = [&](const QueuedJob& j) {
      return std::make_tuple(-j.priority, usage.at(j.user), running[j.user], j.submit_order);
    };
    for (size_t i = 0; i < input.queued.size(); ++i) {
      if (taken[i]) continue;
      const QueuedJob& job = input.queued[i];
      const bool has_slot = std::any_of(free.begin(), free.end(),
                                        [&](const Slot& s) { return s.kind == job.needs; });
      if (!has_slot) continue;
      if (best < 0 || key(job) < key(input.queued[best])) best = static_cast<int>(i);
    }
    if (best < 0) break;
    const QueuedJob& job = input.queued[best];
    const auto slot = std::find_if(free.begin(), free.end(),
                                   [&](const Slot& s) { return s.kind == job.needs; });
    out.push_back({job.id, *slot});
    free.erase(slot);
    taken[best] = true;
    ++running[job.user];
  }
  return out;
}

}  // namespace binq::server
