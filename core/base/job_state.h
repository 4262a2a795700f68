// Job states and failure reasons (SERVICE.md "Job resource and states"),
// shared by the daemon, the worker and the API conversion.
#ifndef BINQ_CORE_BASE_JOB_STATE_H_
#define BINQ_CORE_BASE_JOB_STATE_H_

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"

namespace binq {

// QUEUED → RUNNING → SUCCEEDED | FAILED | CANCELLED; RUNNING → QUEUED when a
// job is requeued (daemon restart, preemption) with attempt + 1.
enum class JobState { kQueued, kRunning, kSucceeded, kFailed, kCancelled };

// Why a FAILED job failed; kNone for every other state.
enum class FailureReason {
  kNone,
  kOutOfMemory,   // RESOURCE_EXHAUSTED from the worker, or killed by the OOM killer
  kTimeout,
  kNodeFail,
  kPreempted,
  kInvalidInput,  // bad spec, missing or corrupt model/dataset found by the worker
  kNumerical,     // a Hessian that cannot be factored, non-finite search errors
  kWorkerCrash,   // the worker died (signal) or exited without reporting an end
  kInternal,
};

const char* JobStateName(JobState state);          // "QUEUED", …
const char* FailureReasonName(FailureReason r);    // "OUT_OF_MEMORY", …, "" for kNone
[[nodiscard]] absl::StatusOr<JobState> ParseJobState(absl::string_view name);  // any case
[[nodiscard]] absl::StatusOr<FailureReason> ParseFailureReason(absl::string_view name);
bool IsTerminal(JobState state);

// How a worker's exit maps to a failure reason: its exit code (ExitCode), or
// the signal that killed it (> 0) when it did not exit normally.
FailureReason FailureReasonForExit(int exit_code, int signal);

}  // namespace binq

#endif  // BINQ_CORE_BASE_JOB_STATE_H_
