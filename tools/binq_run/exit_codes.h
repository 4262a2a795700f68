// binq-run's exit codes, stable for scripts (documented in `binq-run --help`).
#ifndef BINQ_TOOLS_BINQ_RUN_EXIT_CODES_H_
#define BINQ_TOOLS_BINQ_RUN_EXIT_CODES_H_

#include "absl/status/status.h"

namespace binq::tools {

enum ExitCode : int {
  kExitOk = 0,
  kExitFailure = 1,          // anything else (internal error, numerical failure)
  kExitUsage = 2,            // bad flags or invalid input (INVALID_ARGUMENT)
  kExitNotFound = 3,         // a file or tensor that is not there
  kExitDataLoss = 4,         // corrupt, truncated or non-finite data
  kExitResourceExhausted = 5 // out of (device) memory
};

inline int ExitCodeFor(const absl::Status& s) {
  switch (s.code()) {
    case absl::StatusCode::kOk: return kExitOk;
    case absl::StatusCode::kInvalidArgument: return kExitUsage;
    case absl::StatusCode::kNotFound: return kExitNotFound;
    case absl::StatusCode::kDataLoss: return kExitDataLoss;
    case absl::StatusCode::kResourceExhausted: return kExitResourceExhausted;
    default: return kExitFailure;
  }
}

}  // namespace binq::tools

#endif  // BINQ_TOOLS_BINQ_RUN_EXIT_CODES_H_
