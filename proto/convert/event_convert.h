// Conversions between core events (core/base/event.h) and binq.v1.JobEvent.
// The worker uses EventToProto to report; the daemon uses EventFromProto to
// check what a worker reports. Pure functions; thread-safe.
#ifndef BINQ_PROTO_CONVERT_EVENT_CONVERT_H_
#define BINQ_PROTO_CONVERT_EVENT_CONVERT_H_

#include "absl/status/statusor.h"
#include "binq/v1/binq.pb.h"
#include "core/base/event.h"
#include "google/protobuf/timestamp.pb.h"

namespace binq::api {

// Seconds since the Unix epoch ⇄ Timestamp (nanosecond resolution).
google::protobuf::Timestamp TimeToProto(double unix_seconds);
double TimeFromProto(const google::protobuf::Timestamp& time);

// The event's body and time; job_id and seq are left for the daemon.
v1::JobEvent EventToProto(const Event& event);

// A worker-reported event back to its core form. INVALID_ARGUMENT naming the
// problem when no kind is set, when the kind is one only the daemon writes
// (state_changed, heartbeat), or when a stage is unspecified.
[[nodiscard]] absl::StatusOr<Event> EventFromProto(const v1::JobEvent& proto);

// "stage", "layer", …, "state_changed", "heartbeat"; "" when no kind is set.
// The same names as core EventType() for the kinds both know.
const char* JobEventType(const v1::JobEvent& event);

// True for a StateChanged event whose state is SUCCEEDED, FAILED or CANCELLED.
bool IsTerminalEvent(const v1::JobEvent& event);

}  // namespace binq::api

#endif  // BINQ_PROTO_CONVERT_EVENT_CONVERT_H_
