// Clock: where the daemon's "now" comes from, so the scheduling policy and
// fair-share decay are tested with a fake clock.
#ifndef BINQ_SERVER_SCHEDULER_CLOCK_H_
#define BINQ_SERVER_SCHEDULER_CLOCK_H_

#include "absl/synchronization/mutex.h"
#include "absl/time/clock.h"
#include "absl/time/time.h"

namespace binq::server {

// Thread-safe implementations only.
class Clock {
 public:
  virtual ~Clock() = default;
  virtual absl::Time Now() const = 0;
  double NowSeconds() const { return absl::ToDoubleSeconds(Now() - absl::UnixEpoch()); }
};

class SystemClock final : public Clock {
 public:
  absl::Time Now() const override { return absl::Now(); }
};

// A clock that moves only when told to. Thread-safe.
class FakeClock final : public Clock {
 public:
  explicit FakeClock(absl::Time start) : now_(start) {}
  absl::Time Now() const override {
    absl::MutexLock lock(&mu_);
    return now_;
  }
  void Advance(absl::Duration d) {
    absl::MutexLock lock(&mu_);
    now_ += d;
  }

 private:
  mutable absl::Mutex mu_;
  absl::Time now_ ABSL_GUARDED_BY(mu_);
};

}  // namespace binq::server

#endif  // BINQ_SERVER_SCHEDULER_CLOCK_H_
