// JobManager: binqd's job logic behind the two gRPC services, the
// scheduler and the executor — a façade the RPC adapters call in a line or
// two (tensorflow/serving's ServerCore shape), tested without gRPC where it
// can be.
//
//  * Public API: Submit (validated, idempotent by request id), Get, List,
//    Cancel (queued: CANCELLED at once; running: SIGTERM, grace, SIGKILL).
//  * Scheduler::Backend: the scheduling snapshot, and StartJob (QUEUED →
//    RUNNING, a new token, the worker spawned).
//  * Worker API: StartWork / ReportEvents / FinishWork, each authenticated by
//    (job id, attempt, token); a token is valid for one attempt only, so a
//    worker of an older attempt can never write into a newer one.
//  * OnWorkerExit: the attempt's outcome — SUCCEEDED when the worker
//    finished OK, CANCELLED when cancelled, re-queued with attempt + 1 when
//    the daemon stopped it or it was interrupted, else FAILED with a typed
//    reason (FailureReasonForExit) and its last message.
//  * Recover (at start): RUNNING jobs from before a crash are re-queued with
//    attempt + 1 (or CANCELLED if a cancel was under way).
//
// Every state change and its event are one store transaction; commits are
// serialized with their publication (commit_mu_) so watchers see each job's
// events in seq order. Thread-safe. Lock order: commit_mu_ → the store's
// lock → the hub's lock; mu_ (in-memory attempts) is never held while
// calling the store, hub, executor or scheduler.
#ifndef BINQ_SERVER_JOBS_JOB_MANAGER_H_
#define BINQ_SERVER_JOBS_JOB_MANAGER_H_

#include <functional>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "binq/v1/binq.pb.h"
#include "server/events/event_hub.h"
#include "server/executor/executor.h"
#include "server/scheduler/clock.h"
#include "server/scheduler/scheduler.h"
#include "server/scheduler/slots.h"
#include "server/store/job_store.h"

namespace binq::server {

class JobManager final : public Scheduler::Backend {
 public:
  struct Options {
    std::string state_dir;      // jobs/<id>/ (outputs, worker.log) live here
    std::string data_dir;       // datasets, checked at submit and passed to workers
    std::string hub_cache_dir;  // where hub model ids resolve at submit
    std::string worker_binary;
    std::vector<std::string> worker_env;  // the workers' base environment
    std::vector<Slot> slots;
    absl::Duration cancel_grace = absl::Seconds(10);  // SIGTERM → SIGKILL
    int max_interrupted_attempts = 3;  // requeues of a worker that exits "interrupted"
    double usage_half_life_seconds = 7 * 24 * 3600.0;
  };

  // A worker-reported event (worker.proto's WorkerEvent).
  struct ReportedEvent {
    int64_t worker_seq = 0;
    v1::JobEvent event;
    double time_unix = 0;
  };
  struct WorkAssignment {
    JobRecord job;  // spec, output_dir, attempt
    std::string data_dir;
  };
  struct ReportResult {
    int64_t stored_through = 0;
    bool cancel_requested = false;
  };

  // Does not own the store, hub, executor or clock; they outlive it.
  JobManager(Options options, JobStore* store, EventHub* hub, Executor* executor,
             const Clock* clock);

  // Called (with no lock held) whenever the queue may have work for a free
  // slot: the daemon wires it to Scheduler::Kick.
  void SetQueueChangedCallback(std::function<void()> callback);
  // The worker API's address, once its server has bound ("127.0.0.1:PORT").
  void SetWorkerAddress(std::string address);

  // At start, before scheduling: re-queues (or cancels) the jobs the store
  // says are RUNNING, and kills their workers if they outlived the previous
  // daemon. Store errors.
  [[nodiscard]] absl::Status Recover();

  // ---- public API ----
  // See binq.proto. UNAVAILABLE while shutting down; validation errors as
  // ValidateSubmission; store errors.
  [[nodiscard]] absl::StatusOr<JobRecord> Submit(JobSpec spec);
  [[nodiscard]] absl::StatusOr<JobRecord> Get(const std::string& job_id);
  [[nodiscard]] absl::StatusOr<JobPage> List(const JobFilter& filter);
  // FAILED_PRECONDITION for a finished job; NOT_FOUND.
  [[nodiscard]] absl::StatusOr<JobRecord> Cancel(const std::string& job_id);

  // ---- worker API ----
  // NOT_FOUND (unknown job), PERMISSION_DENIED (wrong token),
  // FAILED_PRECONDITION (not running as this attempt, or cancelled).
  [[nodiscard]] absl::StatusOr<WorkAssignment> StartWork(const std::string& job_id,
                                                         const std::string& token, int attempt);
  // Stores the events with worker_seq above what is stored (resends are
  // skipped), all or none. INVALID_ARGUMENT for a malformed event, a
  // daemon-only kind or a gap in worker_seq, plus the errors of StartWork.
  [[nodiscard]] absl::StatusOr<ReportResult> ReportEvents(const std::string& job_id,
                                                          const std::string& token, int attempt,
                                                          const std::vector<ReportedEvent>& events);
  // Records how the run ended; the job's state changes when the process
  // exits (killed after the cancel grace if it does not).
  [[nodiscard]] absl::Status FinishWork(const std::string& job_id, const std::string& token,
                                        int attempt, const absl::Status& result);

  // ---- executor ----
  void OnWorkerExit(const WorkerExit& exit);

  // ---- Scheduler::Backend ----
  absl::StatusOr<SchedulingInput> SchedulingState() override;
  void StartJob(const Assignment& assignment) override;

  // Shutdown: refuses new submissions and starts, sends SIGTERM to every
  // worker (SIGKILL after the grace) and waits up to `wait` for them to exit;
  // their jobs are re-queued. Returns how many workers were still running.
  int StopWorkers(absl::Duration wait);

  // <state-dir>/jobs/<id>/worker.log: the workers' stdout and stderr.
  std::string LogPath(const std::string& job_id) const;
  JobStore* store() const { return store_; }

 private:
  // The in-memory side of a running attempt.
  struct Attempt {
    int attempt = 0;  // 0 until the RUNNING state is committed
    std::string token;
    Slot slot;
    std::string user;
    double start_time = 0;
    int64_t log_offset = 0;  // where this attempt's output starts in worker.log
    pid_t pid = 0;
    bool launched = false;
    bool cancel_requested = false;
    bool stopping = false;  // the daemon is shutting down
    std::optional<absl::Status> finish;  // from FinishWork
    std::string last_warning;
  };

  // Commits a change to one job and publishes what it stored.
  absl::StatusOr<Committed> Commit(const std::string& job_id, const JobStore::Mutator& mutate);
  // The attempt (copied) when (job_id, attempt, token) is a running worker.
  absl::StatusOr<Attempt> Authenticate(const std::string& job_id, const std::string& token,
                                       int attempt);
  void QueueChanged();
  void KillOrphanWorker(const JobRecord& job);
  std::string JobDir(const std::string& job_id) const;     // <state-dir>/jobs/<id>: worker.log
  std::string OutputDir(const std::string& job_id) const;  // JobDir/output: what the worker writes
  bool have_gpus() const;

  const Options options_;
  JobStore* const store_;
  EventHub* const hub_;
  Executor* const executor_;
  const Clock* const clock_;

  absl::Mutex commit_mu_;  // store commit + publish, in order

  mutable absl::Mutex mu_;
  std::map<std::string, Attempt> running_ ABSL_GUARDED_BY(mu_);  // by job id
  bool draining_ ABSL_GUARDED_BY(mu_) = false;
  std::string worker_address_ ABSL_GUARDED_BY(mu_);
  std::function<void()> on_queue_changed_ ABSL_GUARDED_BY(mu_);
};

}  // namespace binq::server

#endif  // BINQ_SERVER_JOBS_JOB_MANAGER_H_
