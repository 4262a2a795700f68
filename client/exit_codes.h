// binqctl's exit codes, stable for scripts (listed in `binqctl --help`).
#ifndef BINQ_CLIENT_EXIT_CODES_H_
#define BINQ_CLIENT_EXIT_CODES_H_

#include <grpcpp/grpcpp.h>

namespace binq::client {

enum ExitCode : int {
  kExitOk = 0,           // done; for watch/submit --watch: the job SUCCEEDED
  kExitJobFailed = 1,    // the job FAILED (watch), or any other error
  kExitUsage = 2,        // bad flags, bad spec file, INVALID_ARGUMENT from the server
  kExitNotFound = 3,     // NOT_FOUND: job, model or dataset
  kExitJobCancelled = 4, // the job was CANCELLED (watch)
  kExitUnavailable = 5,  // the daemon could not be reached
  kExitPrecondition = 6, // FAILED_PRECONDITION (e.g. cancel a finished job)
};

inline constexpr const char* kExitCodeHelp =
    "Exit codes: 0 ok (watch: job SUCCEEDED), 1 job FAILED or other error, 2 usage or invalid "
    "spec, 3 not found, 4 job CANCELLED, 5 daemon unreachable, 6 failed precondition.";

inline int ExitCodeFor(const grpc::Status& s) {
  switch (s.error_code()) {
    case grpc::StatusCode::OK: return kExitOk;
    case grpc::StatusCode::INVALID_ARGUMENT:
    case grpc::StatusCode::OUT_OF_RANGE: return kExitUsage;
    case grpc::StatusCode::NOT_FOUND: return kExitNotFound;
    case grpc::StatusCode::UNAVAILABLE:
    case grpc::StatusCode::DEADLINE_EXCEEDED: return kExitUnavailable;
    case grpc::StatusCode::FAILED_PRECONDITION: return kExitPrecondition;
    default: return kExitJobFailed;
  }
}

}  // namespace binq::client

#endif  // BINQ_CLIENT_EXIT_CODES_H_
