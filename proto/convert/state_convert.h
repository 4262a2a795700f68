// Conversions between the core enums (core/base/job_state.h, event.h) and
// their binq.v1 proto twins. Pure functions; thread-safe.
#ifndef BINQ_PROTO_CONVERT_STATE_CONVERT_H_
#define BINQ_PROTO_CONVERT_STATE_CONVERT_H_

#include "absl/status/statusor.h"
#include "binq/v1/binq.pb.h"
#include "core/base/event.h"
#include "core/base/job_state.h"

namespace binq::api {

v1::JobState JobStateToProto(JobState state);
// INVALID_ARGUMENT "state: …" for JOB_STATE_UNSPECIFIED or an unknown value.
[[nodiscard]] absl::StatusOr<JobState> JobStateFromProto(v1::JobState state);

// kNone ⇄ FAILURE_REASON_UNSPECIFIED.
v1::FailureReason FailureReasonToProto(FailureReason reason);
FailureReason FailureReasonFromProto(v1::FailureReason reason);

v1::Stage StageToProto(Stage stage);
// INVALID_ARGUMENT "stage: …" for STAGE_UNSPECIFIED or an unknown value.
[[nodiscard]] absl::StatusOr<Stage> StageFromProto(v1::Stage stage);

}  // namespace binq::api

#endif  // BINQ_PROTO_CONVERT_STATE_CONVERT_H_
