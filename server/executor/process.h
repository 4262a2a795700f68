// Starting and signalling worker processes: posix_spawn with an explicit
// argv and environment (never a shell, no PATH lookup), each in its own
// process group so a signal reaches everything the worker started.
// Stateless functions; thread-safe.
#ifndef BINQ_SERVER_EXECUTOR_PROCESS_H_
#define BINQ_SERVER_EXECUTOR_PROCESS_H_

#include <sys/types.h>

#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"

namespace binq::server {

struct SpawnRequest {
  std::vector<std::string> argv;  // argv[0]: the program's path
  std::vector<std::string> env;   // "NAME=value", exactly the child's environment
  std::string log_path;           // stdout and stderr are appended here
};

// Starts the program: stdin from /dev/null, stdout and stderr appended to
// log_path (created 0644), a new process group (pgid = pid), an empty signal
// mask and default dispositions for the signals the daemon handles, and no
// other open descriptors. FAILED_PRECONDITION naming the program when it
// cannot be started (missing, not executable).
[[nodiscard]] absl::StatusOr<pid_t> SpawnProcess(const SpawnRequest& request);

// Sends `sig` to every process of group `pgid`. OK when the group is gone.
absl::Status SignalProcessGroup(pid_t pgid, int sig);

// "exited with code 5", "killed by signal 9 (SIGKILL)".
std::string DescribeExit(int exit_code, int signal);

}  // namespace binq::server

#endif  // BINQ_SERVER_EXECUTOR_PROCESS_H_
