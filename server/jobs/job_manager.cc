#include "server/jobs/job_manager.h"

#include <signal.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <sstream>
#include <system_error>

#include "absl/strings/str_cat.h"
#include "core/base/exit_codes.h"
#include "core/base/status_macros.h"
#include "proto/convert/event_convert.h"
#include "server/api/job_convert.h"
#include "proto/convert/state_convert.h"
#include "server/executor/log_tail.h"
#include "server/executor/worker_command.h"
#include "server/jobs/progress.h"
#include "server/jobs/submit_validation.h"
#include "spdlog/spdlog.h"

namespace binq::server {
namespace {

namespace fs = std::filesystem;

v1::JobEvent StateEvent(JobState state, FailureReason reason, const std::string& message,
                        int attempt, const std::string& slot, double now) {
  v1::JobEvent event;
  *event.mutable_time() = api::TimeToProto(now);
  v1::StateChanged* s = event.mutable_state_changed();
  s->set_state(api::JobStateToProto(state));
  s->set_failure_reason(api::FailureReasonToProto(reason));
  s->set_message(message);
  s->set_attempt(attempt);
  s->set_slot(slot);
  return event;
}

v1::QueueEvent QueueStateEvent(const v1::JobEvent& state_event) {
  v1::QueueEvent q;
  *q.mutable_state_changed() = state_event.state_changed();
  return q;
}

v1::QueueEvent QueueProgressEvent(const JobRecord& job) {
  v1::QueueEvent q;
  *q.mutable_progress() = ProgressToProto(job.progress);
  return q;
}

// Compares in time independent of where the strings differ.
bool SameToken(const std::string& a, const std::string& b) {
  if (a.size() != b.size() || a.empty()) return false;
  unsigned char diff = 0;
  for (size_t i = 0; i < a.size(); ++i) diff |= static_cast<unsigned char>(a[i] ^ b[i]);
  return diff == 0;
}

std::string NewJobId() { return absl::StrCat("j-", MakeWorkerToken().substr(0, 12)); }

absl::Status NotRunning(const JobRecord& job, int attempt) {
  return absl::FailedPreconditionError(absl::StrCat("job ", job.id, " attempt ", attempt,
                                                    " is not running (the job is ",
                                                    JobStateName(job.state), " at attempt ",
                                                    job.attempt, ")"));
}

}  // namespace

JobManager::JobManager(Options options, JobStore* store, EventHub* hub, Executor* executor,
                       const Clock* clock)
    : options_(std::move(options)), store_(store), hub_(hub), executor_(executor), clock_(clock) {}

void JobManager::SetQueueChangedCallback(std::function<void()> callback) {
  absl::MutexLock lock(&mu_);
  on_queue_changed_ = std::move(callback);
}

void JobManager::SetWorkerAddress(std::string address) {
  absl::MutexLock lock(&mu_);
  worker_address_ = std::move(address);
}

void JobManager::QueueChanged() {
  std::function<void()> callback;
  {
    absl::MutexLock lock(&mu_);
    callback = on_queue_changed_;
  }
  if (callback) callback();
}

std::string JobManager::JobDir(const std::string& job_id) const {
  return (fs::path(options_.state_dir) / "jobs" / job_id).string();
}

// The worker replaces its output folder as a whole when it commits, so it
// lives beside the daemon's own files (worker.log), not around them.
std::string JobManager::OutputDir(const std::string& job_id) const {
  return (fs::path(JobDir(job_id)) / "output").string();
}

std::string JobManager::LogPath(const std::string& job_id) const {
  return (fs::path(JobDir(job_id)) / "worker.log").string();
}

bool JobManager::have_gpus() const {
  for (const Slot& s : options_.slots) {
    if (s.kind == SlotKind::kGpu) return true;
  }
  return false;
}

absl::StatusOr<Committed> JobManager::Commit(const std::string& job_id,
                                             const JobStore::Mutator& mutate) {
  absl::MutexLock lock(&commit_mu_);
  absl::StatusOr<Committed> committed = store_->MutateJob(job_id, mutate);
  if (committed.ok()) {
    hub_->PublishJobEvents(committed->events);
    hub_->PublishQueueEvents(committed->queue_events);
  }
  return committed;
}

// ---------------------------------------------------------------- recovery

void JobManager::KillOrphanWorker(const JobRecord& job) {
  const pid_t pid = static_cast<pid_t>(job.worker_pid);
  if (pid <= 1) return;
  std::ifstream in(absl::StrCat("/proc/", pid, "/cmdline"), std::ios::binary);
  std::stringstream cmdline;
  cmdline << in.rdbuf();
  // Only a process that is provably this attempt's worker (its argv and its
  // own process group), never a stranger that reused the pid.
  if (!in || !IsWorkerCommandLine(cmdline.str(), job.id, job.attempt) || ::getpgid(pid) != pid) {
    return;
  }
  spdlog::warn("job {}: the worker of attempt {} (pid {}) outlived the previous binqd; killing it",
               job.id, job.attempt, pid);
  if (absl::Status s = SignalProcessGroup(pid, SIGKILL); !s.ok()) {
    spdlog::warn("job {}: {}", job.id, s.ToString());
  }
}

absl::Status JobManager::Recover() {
  BINQ_ASSIGN_OR_RETURN(std::vector<JobRecord> running, store_->JobsInState(JobState::kRunning));
  for (const JobRecord& old : running) {
    KillOrphanWorker(old);
    const double now = clock_->NowSeconds();
    absl::StatusOr<Committed> c = Commit(old.id, [&](JobRecord& job, JobChange& change) {
      if (job.state != JobState::kRunning) return NotRunning(job, job.attempt);
      v1::JobEvent event;
      if (job.cancel_requested) {
        job.state = JobState::kCancelled;
        job.end_time = now;
        job.failure_message = "cancelled: binqd restarted while the cancel was under way";
        event = StateEvent(job.state, FailureReason::kNone, job.failure_message, job.attempt, "", now);
      } else {
        const std::string message =
            absl::StrCat("requeued: binqd restarted while attempt ", job.attempt, " was running on ",
                         job.slot.empty() ? "a slot" : job.slot);
        job.state = JobState::kQueued;
        job.attempt += 1;
        event = StateEvent(job.state, FailureReason::kNone, message, job.attempt, "", now);
      }
      job.slot.clear();
      job.worker_pid = 0;
      job.cancel_requested = false;
      change.queue_event = QueueStateEvent(event);
      change.events.push_back(std::move(event));
      return absl::OkStatus();
    });
    if (!c.ok()) return WithContext(c.status(), absl::StrCat("recovering job ", old.id));
    spdlog::warn("job {}: {}", old.id, c->events.back().state_changed().message());
  }
  QueueChanged();
  return absl::OkStatus();
}

// ---------------------------------------------------------------- public API

absl::StatusOr<JobRecord> JobManager::Submit(JobSpec spec) {
  {
    absl::MutexLock lock(&mu_);
    if (draining_) return absl::UnavailableError("binqd is shutting down; submit again later");
  }
  // A retried submission returns its job even if its inputs changed since.
  if (!spec.request_id.empty()) {
    BINQ_ASSIGN_OR_RETURN(std::optional<JobRecord> existing, store_->FindByRequestId(spec.request_id));
    if (existing.has_value()) return *std::move(existing);
  }
  SubmitContext context;
  context.data_dir = options_.data_dir;
  context.hub_cache_dir = options_.hub_cache_dir;
  for (const Slot& s : options_.slots) {
    (s.kind == SlotKind::kGpu ? context.have_gpu_slots : context.have_cpu_slots) = true;
  }
  BINQ_ASSIGN_OR_RETURN(spec, ValidateSubmission(std::move(spec), context));

  const double now = clock_->NowSeconds();
  for (int tries = 0;; ++tries) {
    JobRecord job;
    job.id = NewJobId();
    job.spec = spec;
    job.state = JobState::kQueued;
    job.attempt = 1;
    job.create_time = now;
    job.output_dir = OutputDir(job.id);
    JobChange change;
    v1::JobEvent event = StateEvent(JobState::kQueued, FailureReason::kNone,
                                    absl::StrCat("submitted by ", spec.user), 1, "", now);
    change.queue_event = QueueStateEvent(event);
    change.events.push_back(std::move(event));
    absl::StatusOr<JobStore::InsertResult> result;
    {
      absl::MutexLock lock(&commit_mu_);
      result = store_->InsertJob(job, std::move(change));
      if (result.ok() && result->created) {
        hub_->PublishJobEvents(result->committed.events);
        hub_->PublishQueueEvents(result->committed.queue_events);
      }
    }
    if (!result.ok()) {
      // A job id collision (12 random hex digits): draw another.
      if (result.status().code() == absl::StatusCode::kAlreadyExists && tries < 3) continue;
      return result.status();
    }
    if (result->created) {
      spdlog::info("job {}: submitted by {} ({} {} on {})", job.id, spec.user, spec.model,
                   spec.technique, spec.dataset);
      QueueChanged();
    }
    return result->committed.job;
  }
}

absl::StatusOr<JobRecord> JobManager::Get(const std::string& job_id) {
  return store_->GetJob(job_id);
}

absl::StatusOr<JobPage> JobManager::List(const JobFilter& filter) { return store_->ListJobs(filter); }

absl::StatusOr<JobRecord> JobManager::Cancel(const std::string& job_id) {
  const double now = clock_->NowSeconds();
  BINQ_ASSIGN_OR_RETURN(
      Committed c, Commit(job_id, [&](JobRecord& job, JobChange& change) -> absl::Status {
        if (IsTerminal(job.state)) {
          return absl::FailedPreconditionError(absl::StrCat(
              "job ", job.id, " already ", JobStateName(job.state), "; there is nothing to cancel"));
        }
        if (job.state == JobState::kQueued) {
          job.state = JobState::kCancelled;
          job.end_time = now;
          job.failure_message = "cancelled by request while queued";
          v1::JobEvent event = StateEvent(job.state, FailureReason::kNone, job.failure_message,
                                          job.attempt, "", now);
          change.queue_event = QueueStateEvent(event);
          change.events.push_back(std::move(event));
        } else if (!job.cancel_requested) {
          job.cancel_requested = true;  // CANCELLED when the worker has exited
          change.queue_event = QueueProgressEvent(job);
        }
        return absl::OkStatus();
      }));
  if (c.job.state == JobState::kRunning) {
    bool launched = false;
    int attempt = 0;
    {
      absl::MutexLock lock(&mu_);
      if (auto it = running_.find(job_id); it != running_.end()) {
        it->second.cancel_requested = true;
        launched = it->second.launched;
        attempt = it->second.attempt;
      }
    }
    // Not launched yet: StartJob sees the flag once it has.
    if (launched) executor_->Terminate(job_id, attempt, options_.cancel_grace);
    spdlog::info("job {}: cancel requested; stopping its worker", job_id);
  } else {
    spdlog::info("job {}: cancelled while queued", job_id);
  }
  return c.job;
}

// ---------------------------------------------------------------- scheduling

absl::StatusOr<SchedulingInput> JobManager::SchedulingState() {
  SchedulingInput input;
  {
    absl::MutexLock lock(&mu_);
    if (draining_) return input;  // nothing starts while shutting down
  }
  BINQ_ASSIGN_OR_RETURN(std::vector<JobRecord> queued, store_->JobsInState(JobState::kQueued));
  BINQ_ASSIGN_OR_RETURN(input.usage, store_->LoadUsage());
  const bool gpus = have_gpus();
  for (const JobRecord& job : queued) {
    input.queued.push_back(
        {job.id, job.spec.user, job.spec.priority, job.submit_order, SlotKindFor(job.spec, gpus)});
  }
  absl::MutexLock lock(&mu_);
  for (const Slot& slot : options_.slots) {
    bool used = false;
    for (const auto& [id, r] : running_) used = used || r.slot == slot;
    if (!used) input.free_slots.push_back(slot);
  }
  for (const auto& [id, r] : running_) {
    if (r.attempt > 0) input.running.push_back({r.user, r.start_time});
  }
  input.now = clock_->NowSeconds();
  input.half_life_seconds = options_.usage_half_life_seconds;
  return input;
}

void JobManager::StartJob(const Assignment& assignment) {
  const std::string& job_id = assignment.job_id;
  const std::string log_path = LogPath(job_id);
  {
    absl::MutexLock lock(&mu_);
    if (draining_ || running_.count(job_id) > 0) return;
    for (const auto& [id, r] : running_) {
      if (r.slot == assignment.slot) return;  // a stale assignment
    }
    Attempt& r = running_[job_id];  // reserves the slot
    r.token = MakeWorkerToken();
    r.slot = assignment.slot;
  }
  const double now = clock_->NowSeconds();
  const std::string slot_name = assignment.slot.Name();
  absl::StatusOr<Committed> c = Commit(job_id, [&](JobRecord& job, JobChange& change) {
    if (job.state != JobState::kQueued) return NotRunning(job, job.attempt);
    job.state = JobState::kRunning;
    job.slot = slot_name;
    job.start_time = now;
    job.end_time = 0;
    job.failure_reason = FailureReason::kNone;
    job.failure_message.clear();
    job.worker_seq_through = 0;
    job.worker_pid = 0;
    job.progress = JobProgress{};  // an attempt starts from the beginning
    v1::JobEvent event =
        StateEvent(job.state, FailureReason::kNone,
                   absl::StrCat("attempt ", job.attempt, " started on ", slot_name), job.attempt,
                   slot_name, now);
    change.queue_event = QueueStateEvent(event);
    change.events.push_back(std::move(event));
    return absl::OkStatus();
  });
  if (!c.ok()) {
    {
      absl::MutexLock lock(&mu_);
      running_.erase(job_id);
    }
    if (c.status().code() != absl::StatusCode::kFailedPrecondition) {
      spdlog::error("job {}: cannot start: {}", job_id, c.status().ToString());
    }
    return;
  }
  const JobRecord& job = c->job;

  // A line in the log tells attempts apart; the failure message of this
  // attempt only reads what comes after it.
  std::error_code ec;
  fs::create_directories(JobDir(job.id), ec);
  {
    std::ofstream(log_path, std::ios::app)
        << "=== binqd: job " << job.id << " attempt " << job.attempt << " on " << slot_name
        << " ===\n";
  }
  WorkerAttempt attempt;
  std::string token;
  {
    absl::MutexLock lock(&mu_);
    Attempt& r = running_[job_id];
    r.attempt = job.attempt;
    r.user = job.spec.user;
    r.start_time = now;
    r.log_offset = FileSize(log_path);
    token = r.token;
    attempt.daemon_address = worker_address_;
  }
  attempt.worker_binary = options_.worker_binary;
  attempt.data_dir = options_.data_dir;
  attempt.job_id = job.id;
  attempt.attempt = job.attempt;
  attempt.token = token;
  attempt.slot = assignment.slot;
  attempt.log_path = log_path;
  absl::StatusOr<pid_t> pid =
      ec ? absl::StatusOr<pid_t>(absl::FailedPreconditionError(
               absl::StrCat("creating ", JobDir(job.id), ": ", ec.message())))
         : executor_->Launch(job.id, job.attempt, WorkerCommand(attempt, options_.worker_env));
  if (!pid.ok()) {
    {
      absl::MutexLock lock(&mu_);
      running_.erase(job_id);
    }
    spdlog::error("job {}: {}", job_id, pid.status().ToString());
    const double end = clock_->NowSeconds();
    absl::StatusOr<Committed> failed = Commit(job_id, [&](JobRecord& j, JobChange& change) {
      if (j.state != JobState::kRunning || j.attempt != job.attempt) return NotRunning(j, job.attempt);
      j.state = JobState::kFailed;
      j.failure_reason = FailureReason::kInternal;
      j.failure_message = std::string(pid.status().message());
      j.end_time = end;
      j.slot.clear();
      v1::JobEvent event =
          StateEvent(j.state, j.failure_reason, j.failure_message, j.attempt, slot_name, end);
      change.queue_event = QueueStateEvent(event);
      change.events.push_back(std::move(event));
      return absl::OkStatus();
    });
    if (!failed.ok()) spdlog::error("job {}: {}", job_id, failed.status().ToString());
    QueueChanged();
    return;
  }
  spdlog::info("job {}: attempt {} started on {} (worker pid {})", job.id, job.attempt, slot_name, *pid);

  // Remember the pid so a restarted daemon can find an orphaned worker.
  absl::StatusOr<Committed> noted = Commit(job_id, [&](JobRecord& j, JobChange&) {
    if (j.state != JobState::kRunning || j.attempt != job.attempt) return NotRunning(j, job.attempt);
    j.worker_pid = *pid;
    return absl::OkStatus();
  });
  if (!noted.ok() && noted.status().code() != absl::StatusCode::kFailedPrecondition) {
    spdlog::warn("job {}: recording the worker pid: {}", job_id, noted.status().ToString());
  }
  bool stop = false;
  {
    absl::MutexLock lock(&mu_);
    if (auto it = running_.find(job_id); it != running_.end() && it->second.attempt == job.attempt) {
      it->second.pid = *pid;
      it->second.launched = true;
      stop = it->second.cancel_requested || it->second.stopping || draining_;
    }
  }
  if (stop) executor_->Terminate(job_id, job.attempt, options_.cancel_grace);
}

// ---------------------------------------------------------------- worker API

absl::StatusOr<JobManager::Attempt> JobManager::Authenticate(const std::string& job_id,
                                                             const std::string& token,
                                                             int attempt) {
  {
    absl::MutexLock lock(&mu_);
    const auto it = running_.find(job_id);
    if (it != running_.end() && it->second.attempt > 0 && it->second.attempt == attempt) {
      if (!SameToken(token, it->second.token)) {
        return absl::PermissionDeniedError(
            absl::StrCat("job ", job_id, " attempt ", attempt, ": wrong worker token"));
      }
      return it->second;
    }
  }
  BINQ_ASSIGN_OR_RETURN(JobRecord job, store_->GetJob(job_id));
  return NotRunning(job, attempt);
}

absl::StatusOr<JobManager::WorkAssignment> JobManager::StartWork(const std::string& job_id,
                                                                 const std::string& token,
                                                                 int attempt) {
  BINQ_ASSIGN_OR_RETURN(Attempt r, Authenticate(job_id, token, attempt));
  if (r.cancel_requested) {
    return absl::FailedPreconditionError(absl::StrCat("job ", job_id, " was cancelled"));
  }
  WorkAssignment out;
  BINQ_ASSIGN_OR_RETURN(out.job, store_->GetJob(job_id));
  out.data_dir = options_.data_dir;
  return out;
}

absl::StatusOr<JobManager::ReportResult> JobManager::ReportEvents(
    const std::string& job_id, const std::string& token, int attempt,
    const std::vector<ReportedEvent>& events) {
  BINQ_RETURN_IF_ERROR(Authenticate(job_id, token, attempt).status());
  // Check the whole batch before storing any of it.
  for (size_t i = 0; i < events.size(); ++i) {
    const ReportedEvent& e = events[i];
    if (e.worker_seq < 1) {
      return absl::InvalidArgumentError(
          absl::StrCat("events[", i, "].worker_seq: must be ≥ 1, got ", e.worker_seq));
    }
    if (i > 0 && e.worker_seq <= events[i - 1].worker_seq) {
      return absl::InvalidArgumentError(absl::StrCat("events[", i, "].worker_seq: must increase (",
                                                     e.worker_seq, " after ",
                                                     events[i - 1].worker_seq, ")"));
    }
    if (absl::Status s = api::EventFromProto(e.event).status(); !s.ok()) {
      return WithContext(s, absl::StrCat("events[", i, "] (worker_seq ", e.worker_seq, ")"));
    }
  }
  ReportResult result;
  if (events.empty()) {  // a liveness check: nothing to write
    BINQ_ASSIGN_OR_RETURN(JobRecord job, store_->GetJob(job_id));
    if (job.state != JobState::kRunning || job.attempt != attempt) return NotRunning(job, attempt);
    result.stored_through = job.worker_seq_through;
    absl::MutexLock lock(&mu_);
    if (auto it = running_.find(job_id); it != running_.end() && it->second.attempt == attempt) {
      result.cancel_requested = it->second.cancel_requested;
    }
    return result;
  }
  const double now = clock_->NowSeconds();
  std::string last_warning;
  BINQ_ASSIGN_OR_RETURN(
      Committed c, Commit(job_id, [&](JobRecord& job, JobChange& change) -> absl::Status {
        if (job.state != JobState::kRunning || job.attempt != attempt) return NotRunning(job, attempt);
        bool queue_worthy = false;
        for (const ReportedEvent& e : events) {
          if (e.worker_seq <= job.worker_seq_through) continue;  // a resend: stored already
          if (e.worker_seq != job.worker_seq_through + 1) {
            return absl::InvalidArgumentError(
                absl::StrCat("worker_seq: expected ", job.worker_seq_through + 1, ", got ",
                             e.worker_seq, " (a report must not skip events)"));
          }
          v1::JobEvent stored = e.event;
          stored.clear_job_id();
          stored.set_seq(0);
          *stored.mutable_time() = api::TimeToProto(e.time_unix > 0 ? e.time_unix : now);
          queue_worthy = ApplyEventToJob(stored, job) || queue_worthy;
          if (stored.has_warning()) last_warning = stored.warning().message();
          change.events.push_back(std::move(stored));
          job.worker_seq_through = e.worker_seq;
        }
        if (queue_worthy) change.queue_event = QueueProgressEvent(job);
        return absl::OkStatus();
      }));
  result.stored_through = c.job.worker_seq_through;
  absl::MutexLock lock(&mu_);
  if (auto it = running_.find(job_id); it != running_.end() && it->second.attempt == attempt) {
    if (!last_warning.empty()) it->second.last_warning = last_warning;
    result.cancel_requested = it->second.cancel_requested;
  }
  return result;
}

absl::Status JobManager::FinishWork(const std::string& job_id, const std::string& token,
                                    int attempt, const absl::Status& result) {
  BINQ_RETURN_IF_ERROR(Authenticate(job_id, token, attempt).status());
  {
    absl::MutexLock lock(&mu_);
    if (auto it = running_.find(job_id); it != running_.end() && it->second.attempt == attempt) {
      if (!it->second.finish.has_value()) it->second.finish = result;
    }
  }
  spdlog::info("job {}: attempt {} finished: {}", job_id, attempt, result.ToString());
  // The worker should exit now; one that lingers is killed after the grace.
  executor_->KillAfter(job_id, attempt, options_.cancel_grace);
  return absl::OkStatus();
}

// ---------------------------------------------------------------- exits

void JobManager::OnWorkerExit(const WorkerExit& exit) {
  Attempt r;
  {
    absl::MutexLock lock(&mu_);
    const auto it = running_.find(exit.job_id);
    if (it == running_.end() || it->second.attempt != exit.attempt) {
      spdlog::warn("job {}: exit of an unknown attempt {} ignored", exit.job_id, exit.attempt);
      return;
    }
    r = it->second;
    running_.erase(it);  // frees the slot; the worker API now rejects this attempt
  }
  const double now = clock_->NowSeconds();
  const std::string how = DescribeExit(exit.exit_code, exit.signal);
  const std::string tail = LogTail(LogPath(exit.job_id), r.log_offset);
  absl::StatusOr<Committed> c = Commit(exit.job_id, [&](JobRecord& job, JobChange& change) {
    if (job.state != JobState::kRunning || job.attempt != exit.attempt) return NotRunning(job, exit.attempt);
    const bool cancelled = r.cancel_requested || job.cancel_requested;
    const bool finished = r.finish.has_value();
    const bool finished_ok = finished && r.finish->ok();
    const bool stopped_by_daemon =
        r.stopping && (!finished || r.finish->code() == absl::StatusCode::kCancelled ||
                       r.finish->code() == absl::StatusCode::kAborted);
    JobState state = JobState::kFailed;
    FailureReason reason = FailureReason::kNone;
    std::string message;
    bool requeue = false;
    if (finished_ok) {
      state = JobState::kSucceeded;
      message = "finished";
    } else if (cancelled) {
      state = JobState::kCancelled;
      message = exit.killed_after_grace
                    ? absl::StrCat("cancelled by request; the worker did not stop within ",
                                   absl::FormatDuration(options_.cancel_grace),
                                   " of SIGTERM and was killed")
                    : absl::StrCat("cancelled by request (worker ", how, ")");
    } else if (stopped_by_daemon) {
      requeue = true;
      message = absl::StrCat("requeued: binqd shut down while attempt ", job.attempt,
                             " was running (worker ", how, ")");
    } else if (finished) {
      reason = FailureReasonForExit(ExitCodeFor(*r.finish), 0);
      message = r.finish->message().empty() ? r.finish->ToString() : std::string(r.finish->message());
    } else if (exit.exit_code == kExitInterrupted &&
               job.attempt < options_.max_interrupted_attempts) {
      requeue = true;
      message = absl::StrCat("requeued: the worker was interrupted (", how, ")");
    } else {
      reason = FailureReasonForExit(exit.exit_code, exit.signal);
      message = absl::StrCat("worker ", how, " without reporting how the run ended");
      const std::string& last = !tail.empty() ? tail : r.last_warning;
      if (!last.empty()) absl::StrAppend(&message, "; last output: ", last);
    }
    change.usage = UsageCharge{job.spec.user, std::max(0.0, now - job.start_time), now};
    v1::JobEvent event;
    if (requeue) {
      job.state = JobState::kQueued;
      job.attempt += 1;
      event = StateEvent(job.state, FailureReason::kNone, message, job.attempt, "", now);
    } else {
      job.state = state;
      job.failure_reason = reason;
      job.failure_message = state == JobState::kSucceeded ? "" : message;
      job.end_time = now;
      if (state == JobState::kSucceeded) job.progress.percent = 100;
      event = StateEvent(state, reason, message, job.attempt, job.slot, now);
    }
    job.slot.clear();
    job.worker_pid = 0;
    job.cancel_requested = job.cancel_requested && !requeue;
    change.queue_event = QueueStateEvent(event);
    change.events.push_back(std::move(event));
    return absl::OkStatus();
  });
  if (c.ok()) {
    const v1::StateChanged& s = c->events.back().state_changed();
    spdlog::info("job {}: attempt {} ended ({}): {} {}", exit.job_id, exit.attempt, how,
                 v1::JobState_Name(s.state()), s.message());
  } else if (c.status().code() != absl::StatusCode::kFailedPrecondition) {
    spdlog::error("job {}: recording the worker's exit: {}", exit.job_id, c.status().ToString());
  }
  QueueChanged();
}

int JobManager::StopWorkers(absl::Duration wait) {
  std::vector<std::pair<std::string, int>> launched;
  {
    absl::MutexLock lock(&mu_);
    draining_ = true;
    for (auto& [id, r] : running_) {
      r.stopping = true;
      if (r.launched) launched.emplace_back(id, r.attempt);
    }
  }
  for (const auto& [id, attempt] : launched) {
    spdlog::info("job {}: stopping its worker (binqd is shutting down)", id);
    executor_->Terminate(id, attempt, options_.cancel_grace);
  }
  absl::MutexLock lock(&mu_);
  auto all_exited = [this]() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) { return running_.empty(); };
  mu_.AwaitWithTimeout(absl::Condition(&all_exited), wait);
  return static_cast<int>(running_.size());
}

}  // namespace binq::server
