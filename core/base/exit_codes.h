// Exit codes of binq-run (standalone and as a worker), stable for scripts and
// read by binqd's executor to type a failure (core/base/job_state.h).
#ifndef BINQ_CORE_BASE_EXIT_CODES_H_
#define BINQ_CORE_BASE_EXIT_CODES_H_

#include "absl/status/status.h"

namespace binq {

enum ExitCode : int {
  kExitOk = 0,
  kExitFailure = 1,            // anything else (internal error)
  kExitUsage = 2,              // bad flags or invalid input (INVALID_ARGUMENT)
  kExitNotFound = 3,           // a model, dataset, file or tensor that is not there
  kExitDataLoss = 4,           // corrupt, truncated or non-finite data
  kExitResourceExhausted = 5,  // out of (device) memory
  kExitCancelled = 6,          // cancelled on request (CANCELLED)
  kExitNumerical = 7,          // numerical failure: a Hessian that cannot be factored
  kExitInterrupted = 8,        // stopped by SIGTERM/SIGINT before finishing (requeue)
};

inline int ExitCodeFor(const absl::Status& s) {
  switch (s.code()) {
    case absl::StatusCode::kOk: return kExitOk;
    case absl::StatusCode::kInvalidArgument: return kExitUsage;
    case absl::StatusCode::kNotFound: return kExitNotFound;
    case absl::StatusCode::kDataLoss: return kExitDataLoss;
    case absl::StatusCode::kResourceExhausted: return kExitResourceExhausted;
    case absl::StatusCode::kCancelled: return kExitCancelled;
    case absl::StatusCode::kFailedPrecondition: return kExitNumerical;
    case absl::StatusCode::kAborted: return kExitInterrupted;
    default: return kExitFailure;
  }
}

// One line for --help.
inline const char* ExitCodeHelp() {
  return "Exit codes: 0 ok, 1 failure, 2 invalid input or flags, 3 model/dataset/file not found, "
         "4 corrupt or non-finite data, 5 out of memory, 6 cancelled, 7 numerical failure, "
         "8 interrupted (SIGTERM/SIGINT).";
}

}  // namespace binq

#endif  // BINQ_CORE_BASE_EXIT_CODES_H_
