// Conversions between the core JobSpec (core/base/job_spec.h) and
// binq.v1.JobSpec. Pure functions; thread-safe. Neither validates: the
// daemon calls ValidateJobSpec on the result (jobs/submit_validation.h).
#ifndef BINQ_PROTO_CONVERT_SPEC_CONVERT_H_
#define BINQ_PROTO_CONVERT_SPEC_CONVERT_H_

#include "binq/v1/binq.pb.h"
#include "core/base/job_spec.h"

namespace binq::api {

// The spec with the proto's defaults filled in: empty strings and unset
// fields take JobSpec's defaults; explicitly set `optional` fields keep
// their value, even 0 (so "blocksize 0" reaches validation). The service
// fields (priority, user, request_id) are left empty.
JobSpec SpecFromProto(const v1::JobSpec& proto);

// SpecFromProto(request.spec()) plus priority, user and request_id.
JobSpec SpecFromSubmitRequest(const v1::SubmitJobRequest& request);

// Every field set explicitly, so a reader sees the values the job runs with.
v1::JobSpec SpecToProto(const JobSpec& spec);

}  // namespace binq::api

#endif  // BINQ_PROTO_CONVERT_SPEC_CONVERT_H_
