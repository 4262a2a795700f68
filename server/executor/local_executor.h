// LocalExecutor: workers as child processes of binqd (SpawnProcess), and the
// reaper thread that notices their exits (waitpid on each worker's pid, never
// on other children) and enforces kill deadlines. Exits are noticed within
// `poll_period`, or at once when NotifyChildExited() is called from the
// daemon's SIGCHLD handling.
//
// Thread-safe. The exit callback runs on the reaper thread without the
// executor's lock, so it may call Terminate/KillAfter/Running.
#ifndef BINQ_SERVER_EXECUTOR_LOCAL_EXECUTOR_H_
#define BINQ_SERVER_EXECUTOR_LOCAL_EXECUTOR_H_

#include <map>
#include <optional>
#include <thread>

#include "absl/base/thread_annotations.h"
#include "absl/synchronization/mutex.h"
#include "server/executor/executor.h"

namespace binq::server {

class LocalExecutor final : public Executor {
 public:
  LocalExecutor(ExitCallback on_exit, absl::Duration poll_period = absl::Milliseconds(100));
  ~LocalExecutor() override;  // calls Shutdown()

  absl::StatusOr<pid_t> Launch(const std::string& job_id, int attempt,
                               const SpawnRequest& request) override;
  void Terminate(const std::string& job_id, int attempt, absl::Duration grace) override;
  void KillAfter(const std::string& job_id, int attempt, absl::Duration delay) override;
  int Running() const override;

  // A child may have exited: look now.
  void NotifyChildExited();
  // Stops the reaper. Workers still running are killed (SIGKILL to their
  // groups) and reaped without callbacks: stop them with Terminate first.
  // Idempotent.
  void Shutdown();

 private:
  struct Worker {
    std::string job_id;
    int attempt = 0;
    std::optional<absl::Time> kill_at;  // SIGKILL deadline
    bool killed = false;                // SIGKILL sent
  };
  void ReapLoop();
  Worker* Find(const std::string& job_id, int attempt) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);

  const ExitCallback on_exit_;
  const absl::Duration poll_period_;
  mutable absl::Mutex mu_;
  std::map<pid_t, Worker> workers_ ABSL_GUARDED_BY(mu_);
  bool kicked_ ABSL_GUARDED_BY(mu_) = false;
  bool stopping_ ABSL_GUARDED_BY(mu_) = false;
  std::thread reaper_;
};

}  // namespace binq::server

#endif  // BINQ_SERVER_EXECUTOR_LOCAL_EXECUTOR_H_
