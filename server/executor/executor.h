// Executor: how binqd runs a job attempt's worker. LocalExecutor runs it as
// a child process; a Slurm executor would submit a batch job.
#ifndef BINQ_SERVER_EXECUTOR_EXECUTOR_H_
#define BINQ_SERVER_EXECUTOR_EXECUTOR_H_

#include <sys/types.h>

#include <functional>
#include <string>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "server/executor/process.h"

namespace binq::server {

// How a worker process ended.
struct WorkerExit {
  std::string job_id;
  int attempt = 0;
  pid_t pid = 0;
  int exit_code = -1;  // -1 when killed by a signal
  int signal = 0;      // > 0 when killed by a signal
  bool killed_after_grace = false;  // the executor had to send SIGKILL
};

// Implementations are thread-safe.
class Executor {
 public:
  // Called once per launched worker when it has exited, from the executor's
  // own thread, with no executor lock held.
  using ExitCallback = std::function<void(const WorkerExit&)>;
  virtual ~Executor() = default;

  // Starts the worker for (job_id, attempt). Errors: FAILED_PRECONDITION when
  // the program cannot be started.
  [[nodiscard]] virtual absl::StatusOr<pid_t> Launch(const std::string& job_id, int attempt,
                                                     const SpawnRequest& request) = 0;
  // SIGTERM to the worker's process group now, SIGKILL after `grace` if it
  // has not exited by then (at once when grace is zero). No-op when that
  // attempt is not running.
  virtual void Terminate(const std::string& job_id, int attempt, absl::Duration grace) = 0;
  // SIGKILL after `delay` if the worker has not exited by then (a worker that
  // said it finished but does not exit).
  virtual void KillAfter(const std::string& job_id, int attempt, absl::Duration delay) = 0;
  // Workers still running.
  virtual int Running() const = 0;
};

}  // namespace binq::server

#endif  // BINQ_SERVER_EXECUTOR_EXECUTOR_H_
