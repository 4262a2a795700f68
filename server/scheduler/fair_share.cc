#include "server/scheduler/fair_share.h"

#include <cmath>

namespace binq::server {

double DecayUsage(double value, double as_of, double now, double half_life_seconds) {
  if (half_life_seconds <= 0 || now <= as_of) return value;
  return value * std::exp2(-(now - as_of) / half_life_seconds);
}

}  // namespace binq::server
