// Fair-share usage: slot-seconds a user consumed, decaying with a half-life
// (Slurm's multifactor fair share in miniature, SERVICE.md "Queue policy").
// Pure functions; thread-safe.
#ifndef BINQ_SERVER_SCHEDULER_FAIR_SHARE_H_
#define BINQ_SERVER_SCHEDULER_FAIR_SHARE_H_

namespace binq::server {

// A user's stored usage: `slot_seconds` as of time `as_of` (Unix seconds).
struct UsageRecord {
  double slot_seconds = 0;
  double as_of = 0;
};

// `value` measured at `as_of`, decayed to `now`: value · 2^(−(now − as_of) / half_life).
// A non-positive half-life means no decay; a `now` before `as_of` (clock
// stepped back) returns `value` unchanged.
double DecayUsage(double value, double as_of, double now, double half_life_seconds);

}  // namespace binq::server

#endif  // BINQ_SERVER_SCHEDULER_FAIR_SHARE_H_
