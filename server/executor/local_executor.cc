#include "server/executor/local_executor.h"

#include <signal.h>
#include <sys/wait.h>

#include <vector>

#include "spdlog/spdlog.h"

namespace binq::server {

LocalExecutor::LocalExecutor(ExitCallback on_exit, absl::Duration poll_period)
    : on_exit_(std::move(on_exit)), poll_period_(poll_period), reaper_([this] { ReapLoop(); }) {}

LocalExecutor::~LocalExecutor() { Shutdown(); }

absl::StatusOr<pid_t> LocalExecutor::Launch(const std::string& job_id, int attempt,
                                            const SpawnRequest& request) {
  absl::StatusOr<pid_t> pid = SpawnProcess(request);
  if (!pid.ok()) return pid.status();
  absl::MutexLock lock(&mu_);
  workers_[*pid] = Worker{job_id, attempt, std::nullopt, false};
  kicked_ = true;
  return *pid;
}

LocalExecutor::Worker* LocalExecutor::Find(const std::string& job_id, int attempt) {
  for (auto& [pid, w] : workers_) {
    if (w.job_id == job_id && w.attempt == attempt) return &w;
  }
  return nullptr;
}

void LocalExecutor::Terminate(const std::string& job_id, int attempt, absl::Duration grace) {
  absl::MutexLock lock(&mu_);
  for (auto& [pid, w] : workers_) {
    if (w.job_id != job_id || w.attempt != attempt) continue;
    // Signalled under the lock: the reaper cannot reap the pid meanwhile, so
    // the group id still belongs to this worker.
    if (absl::Status s = SignalProcessGroup(pid, SIGTERM); !s.ok()) {
      spdlog::warn("executor: job {} attempt {}: {}", job_id, attempt, s.ToString());
    }
    const absl::Time deadline = absl::Now() + grace;
    if (!w.kill_at.has_value() || deadline < *w.kill_at) w.kill_at = deadline;
    kicked_ = true;
  }
}

void LocalExecutor::KillAfter(const std::string& job_id, int attempt, absl::Duration delay) {
  absl::MutexLock lock(&mu_);
  if (Worker* w = Find(job_id, attempt); w != nullptr) {
    const absl::Time deadline = absl::Now() + delay;
    if (!w->kill_at.has_value() || deadline < *w->kill_at) w->kill_at = deadline;
    kicked_ = true;
  }
}

int LocalExecutor::Running() const {
  absl::MutexLock lock(&mu_);
  return static_cast<int>(workers_.size());
}

void LocalExecutor::NotifyChildExited() {
  absl::MutexLock lock(&mu_);
  kicked_ = true;
}

void LocalExecutor::Shutdown() {
  {
    absl::MutexLock lock(&mu_);
    if (stopping_ && !reaper_.joinable()) return;
    stopping_ = true;
  }
  if (reaper_.joinable()) reaper_.join();
  absl::MutexLock lock(&mu_);
  for (const auto& [pid, w] : workers_) {
    spdlog::warn("executor: killing worker {} of job {} at shutdown", pid, w.job_id);
    (void)SignalProcessGroup(pid, SIGKILL);
    int status = 0;
    ::waitpid(pid, &status, 0);
  }
  workers_.clear();
}

void LocalExecutor::ReapLoop() {
  while (true) {
    std::vector<WorkerExit> exits;
    {
      absl::MutexLock lock(&mu_);
      // Sleep until kicked, a kill deadline, or the poll period.
      absl::Duration wait = poll_period_;
      const absl::Time now = absl::Now();
      for (const auto& [pid, w] : workers_) {
        if (w.kill_at.has_value() && !w.killed) wait = std::min(wait, *w.kill_at - now);
      }
      auto wake = [this]() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) { return kicked_ || stopping_; };
      if (wait > absl::ZeroDuration()) mu_.AwaitWithTimeout(absl::Condition(&wake), wait);
      if (stopping_) return;
      kicked_ = false;

      for (auto it = workers_.begin(); it != workers_.end();) {
        const pid_t pid = it->first;
        Worker& w = it->second;
        siginfo_t info{};
        // WNOWAIT: look without reaping, so the zombie keeps the group id
        // reserved while the rest of its group is killed.
        if (::waitid(P_PID, pid, &info, WEXITED | WNOHANG | WNOWAIT) == 0 && info.si_pid == pid) {
          (void)SignalProcessGroup(pid, SIGKILL);  // anything the worker left behind
          int status = 0;
          ::waitpid(pid, &status, 0);
          WorkerExit exit;
          exit.job_id = w.job_id;
          exit.attempt = w.attempt;
          exit.pid = pid;
          if (WIFEXITED(status)) {
            exit.exit_code = WEXITSTATUS(status);
          } else if (WIFSIGNALED(status)) {
            exit.signal = WTERMSIG(status);
          }
          exit.killed_after_grace = w.killed;
          exits.push_back(std::move(exit));
          it = workers_.erase(it);
          continue;
        }
        if (w.kill_at.has_value() && !w.killed && absl::Now() >= *w.kill_at) {
          spdlog::info("executor: job {} attempt {}: worker {} still running, sending SIGKILL",
                       w.job_id, w.attempt, pid);
          (void)SignalProcessGroup(pid, SIGKILL);
          w.killed = true;
          kicked_ = true;  // look again right away
        }
        ++it;
      }
    }
    for (const WorkerExit& exit : exits) on_exit_(exit);
  }
}

}  // namespace binq::server
