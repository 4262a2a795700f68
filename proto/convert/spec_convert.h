// Conversions between the core JobSpec (core/base/job_spec.h) and
// binq.v1.JobSpec. Pure functions; thread-safe. Neither validates ranges:
// the daemon calls ValidateJobSpec on the result (jobs/submit_validation.h).
#ifndef BINQ_PROTO_CONVERT_SPEC_CONVERT_H_
#define BINQ_PROTO_CONVERT_SPEC_CONVERT_H_

#include "absl/status/statusor.h"
#include "binq/v1/binq.pb.h"
#include "core/base/job_spec.h"

namespace binq::api {

// The spec with the proto's defaults filled in: empty strings and unset
// fields take JobSpec's defaults; explicitly set `optional` fields keep
// their value, even 0 (so "nsamples 0" reaches validation).
// technique_options are copied (numbers: integral ones as integers); the
// deprecated option fields (blocksize, lam, …) are folded in by
// MergeLegacyOptions. The service fields (priority, user, request_id) are
// left empty. INVALID_ARGUMENT "technique_options.x: …" for a value that is
// not a number, bool or string.
[[nodiscard]] absl::StatusOr<JobSpec> SpecFromProto(const v1::JobSpec& proto);

// SpecFromProto(request.spec()) plus priority, user and request_id.
[[nodiscard]] absl::StatusOr<JobSpec> SpecFromSubmitRequest(const v1::SubmitJobRequest& request);

// Every field set explicitly, so a reader sees the values the job runs with;
// the options only in technique_options (never the deprecated fields).
v1::JobSpec SpecToProto(const JobSpec& spec);

}  // namespace binq::api

#endif  // BINQ_PROTO_CONVERT_SPEC_CONVERT_H_
