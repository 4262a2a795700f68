#include "core/base/job_state.h"

#include <csignal>

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "core/base/exit_codes.h"

namespace binq {

const char* JobStateName(JobState state) {
  switch (state) {
    case JobState::kQueued: return "QUEUED";
    case JobState::kRunning: return "RUNNING";
    case JobState::kSucceeded: return "SUCCEEDED";
    case JobState::kFailed: return "FAILED";
    case JobState::kCancelled: return "CANCELLED";
  }
  return "UNKNOWN";
}

const char* FailureReasonName(FailureReason r) {
  switch (r) {
    case FailureReason::kNone: return "";
    case FailureReason::kOutOfMemory: return "OUT_OF_MEMORY";
    case FailureReason::kTimeout: return "TIMEOUT";
    case FailureReason::kNodeFail: return "NODE_FAIL";
    case FailureReason::kPreempted: return "PREEMPTED";
    case FailureReason::kInvalidInput: return "INVALID_INPUT";
    case FailureReason::kNumerical: return "NUMERICAL";
    case FailureReason::kWorkerCrash: return "WORKER_CRASH";
    case FailureReason::kInternal: return "INTERNAL";
  }
  return "INTERNAL";
}

absl::StatusOr<JobState> ParseJobState(absl::string_view name) {
  const std::string upper = absl::AsciiStrToUpper(name);
  for (JobState s : {JobState::kQueued, JobState::kRunning, JobState::kSucceeded,
                     JobState::kFailed, JobState::kCancelled}) {
    if (upper == JobStateName(s)) return s;
  }
  return absl::InvalidArgumentError(absl::StrCat(
      "state: unknown '", name, "' (known: QUEUED, RUNNING, SUCCEEDED, FAILED, CANCELLED)"));
}

absl::StatusOr<FailureReason> ParseFailureReason(absl::string_view name) {
  const std::string upper = absl::AsciiStrToUpper(name);
  if (upper.empty()) return FailureReason::kNone;
  for (FailureReason r :
       {FailureReason::kOutOfMemory, FailureReason::kTimeout, FailureReason::kNodeFail,
        FailureReason::kPreempted, FailureReason::kInvalidInput, FailureReason::kNumerical,
        FailureReason::kWorkerCrash, FailureReason::kInternal}) {
    if (upper == FailureReasonName(r)) return r;
  }
  return absl::InvalidArgumentError(absl::StrCat("failure reason: unknown '", name, "'"));
}

bool IsTerminal(JobState state) {
  return state == JobState::kSucceeded || state == JobState::kFailed ||
         state == JobState::kCancelled;
}

FailureReason FailureReasonForExit(int exit_code, int signal) {
  if (signal > 0) {
    // The kernel's OOM killer sends SIGKILL; we cannot tell it from a manual
    // kill here, so any signal is a crash unless the daemon knows better.
    return FailureReason::kWorkerCrash;
  }
  switch (exit_code) {
    case kExitUsage:
    case kExitNotFound:
    case kExitDataLoss: return FailureReason::kInvalidInput;
    case kExitResourceExhausted: return FailureReason::kOutOfMemory;
    case kExitNumerical: return FailureReason::kNumerical;
    case kExitInterrupted: return FailureReason::kPreempted;
    case kExitOk: return FailureReason::kWorkerCrash;  // exited 0 without reporting an end
    default: return FailureReason::kInternal;
  }
}

}  // namespace binq
