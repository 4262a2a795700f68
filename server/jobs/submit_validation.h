// What SubmitJob checks before anything is stored (DESIGN.md "A job's
// life" 1): the spec's fields, that the model resolves (local directory or
// Hugging Face cache) and has weights and tokenizer files, that every
// dataset's files exist under the data
// root, and that this daemon has a slot for the job's device. Cheap: reads
// only directory entries and file metadata. Thread-safe.
#ifndef BINQ_SERVER_JOBS_SUBMIT_VALIDATION_H_
#define BINQ_SERVER_JOBS_SUBMIT_VALIDATION_H_

#include <string>

#include "absl/status/statusor.h"
#include "core/base/job_spec.h"

namespace binq::server {

struct SubmitContext {
  std::string data_dir;       // where datasets are looked for (--data-dir)
  std::string hub_cache_dir;  // where hub ids resolve
  bool have_gpu_slots = false;
  bool have_cpu_slots = false;
};

// The spec as it will be stored (technique in its canonical spelling, its
// technique_options resolved — every option of the technique, defaults
// filled in —, the user "anonymous" when none was given). Errors, each message starting with
// the field: INVALID_ARGUMENT for a bad field (ValidateJobSpec), NOT_FOUND
// for a model or dataset that is not there (saying where it looked),
// FAILED_PRECONDITION for a device no slot of this daemon provides.
[[nodiscard]] absl::StatusOr<JobSpec> ValidateSubmission(JobSpec spec, const SubmitContext& context);

}  // namespace binq::server

#endif  // BINQ_SERVER_JOBS_SUBMIT_VALIDATION_H_
