#include "proto/convert/state_convert.h"

#include "absl/strings/str_cat.h"

namespace binq::api {

v1::JobState JobStateToProto(JobState state) {
  switch (state) {
    case JobState::kQueued: return v1::QUEUED;
    case JobState::kRunning: return v1::RUNNING;
    case JobState::kSucceeded: return v1::SUCCEEDED;
    case JobState::kFailed: return v1::FAILED;
    case JobState::kCancelled: return v1::CANCELLED;
  }
  return v1::JOB_STATE_UNSPECIFIED;
}

absl::StatusOr<JobState> JobStateFromProto(v1::JobState state) {
  switch (state) {
    case v1::QUEUED: return JobState::kQueued;
    case v1::RUNNING: return JobState::kRunning;
    case v1::SUCCEEDED: return JobState::kSucceeded;
    case v1::FAILED: return JobState::kFailed;
    case v1::CANCELLED: return JobState::kCancelled;
    default: break;
  }
  return absl::InvalidArgumentError(absl::StrCat("state: not a job state (", state, ")"));
}

v1::FailureReason FailureReasonToProto(FailureReason reason) {
  switch (reason) {
    case FailureReason::kNone: return v1::FAILURE_REASON_UNSPECIFIED;
    case FailureReason::kOutOfMemory: return v1::OUT_OF_MEMORY;
    case FailureReason::kTimeout: return v1::TIMEOUT;
    case FailureReason::kNodeFail: return v1::NODE_FAIL;
    case FailureReason::kPreempted: return v1::PREEMPTED;
    case FailureReason::kInvalidInput: return v1::INVALID_INPUT;
    case FailureReason::kNumerical: return v1::NUMERICAL;
    case FailureReason::kWorkerCrash: return v1::WORKER_CRASH;
    case FailureReason::kInternal: return v1::INTERNAL;
  }
  return v1::INTERNAL;
}

FailureReason FailureReasonFromProto(v1::FailureReason reason) {
  switch (reason) {
    case v1::OUT_OF_MEMORY: return FailureReason::kOutOfMemory;
    case v1::TIMEOUT: return FailureReason::kTimeout;
    case v1::NODE_FAIL: return FailureReason::kNodeFail;
    case v1::PREEMPTED: return FailureReason::kPreempted;
    case v1::INVALID_INPUT: return FailureReason::kInvalidInput;
    case v1::NUMERICAL: return FailureReason::kNumerical;
    case v1::WORKER_CRASH: return FailureReason::kWorkerCrash;
    case v1::INTERNAL: return FailureReason::kInternal;
    default: return FailureReason::kNone;
  }
}

v1::Stage StageToProto(Stage stage) {
  switch (stage) {
    case Stage::kLoading: return v1::LOADING;
    case Stage::kCalibrating: return v1::CALIBRATING;
    case Stage::kQuantizing: return v1::QUANTIZING;
    case Stage::kEvaluating: return v1::EVALUATING;
    case Stage::kSaving: return v1::SAVING;
  }
  return v1::STAGE_UNSPECIFIED;
}

absl::StatusOr<Stage> StageFromProto(v1::Stage stage) {
  switch (stage) {
    case v1::LOADING: return Stage::kLoading;
    case v1::CALIBRATING: return Stage::kCalibrating;
    case v1::QUANTIZING: return Stage::kQuantizing;
    case v1::EVALUATING: return Stage::kEvaluating;
    case v1::SAVING: return Stage::kSaving;
    default: break;
  }
  return absl::InvalidArgumentError(absl::StrCat("stage: not a stage (", stage, ")"));
}

}  // namespace binq::api
