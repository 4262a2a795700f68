// Daemon: builds binqd's components and starts and stops them in dependency
// order.
//
// Start: lock the state dir → logging → store (migrate) → event hub →
// executor → job manager → recover jobs left RUNNING → worker API server →
// scheduler → public server (health SERVING, reflection).
// Shutdown (the reverse): health NOT_SERVING → end every watch with
// UNAVAILABLE → stop the public server → stop scheduling → SIGTERM running
// workers (SIGKILL after the grace) and re-queue their jobs → stop the worker
// API server → stop the executor → close the store → unlock.
//
// Start and Shutdown are called from main's thread; OnChildSignal from the
// signal thread.
#ifndef BINQ_SERVER_DAEMON_DAEMON_H_
#define BINQ_SERVER_DAEMON_DAEMON_H_

#include <atomic>
#include <memory>
#include <string>

#include "absl/status/status.h"
#include "grpcpp/server.h"
#include "server/daemon/config.h"
#include "server/daemon/state_dir.h"
#include "server/events/event_hub.h"
#include "server/executor/local_executor.h"
#include "server/jobs/job_manager.h"
#include "server/rpc/binq_service.h"
#include "server/rpc/worker_service.h"
#include "server/scheduler/clock.h"
#include "server/scheduler/scheduler.h"
#include "server/store/job_store.h"

namespace binq::server {

class Daemon {
 public:
  explicit Daemon(DaemonConfig config);
  ~Daemon();  // calls Shutdown()

  // Errors name the flag or file at fault: FAILED_PRECONDITION (state dir in
  // use, worker binary missing), INVALID_ARGUMENT (--gpus), UNAVAILABLE (a
  // port that cannot be bound), store errors.
  [[nodiscard]] absl::Status Start();
  // Idempotent; a no-op when Start failed before anything ran.
  void Shutdown();
  // SIGCHLD arrived: a worker may have exited.
  void OnChildSignal();

  const std::string& address() const { return address_; }
  const std::string& worker_address() const { return worker_address_; }

 private:
  const DaemonConfig config_;
  SystemClock clock_;
  std::unique_ptr<StateDirLock> lock_;
  std::unique_ptr<JobStore> store_;
  std::unique_ptr<EventHub> hub_;
  std::unique_ptr<LocalExecutor> executor_;
  std::atomic<LocalExecutor*> executor_for_signals_{nullptr};
  std::unique_ptr<JobManager> manager_;
  std::unique_ptr<Scheduler> scheduler_;
  std::unique_ptr<WorkerServiceImpl> worker_service_;
  std::unique_ptr<grpc::Server> worker_server_;
  std::unique_ptr<BinqServiceImpl> binq_service_;
  std::unique_ptr<grpc::Server> server_;
  std::string address_;
  std::string worker_address_;
  bool shut_down_ = false;
};

}  // namespace binq::server

#endif  // BINQ_SERVER_DAEMON_DAEMON_H_
