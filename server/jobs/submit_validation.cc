#include "server/jobs/submit_validation.h"

#include "absl/strings/str_cat.h"
#include "core/base/dataset_files.h"
#include "core/base/model_locator.h"
#include "core/base/status_macros.h"

namespace binq::server {

absl::StatusOr<JobSpec> ValidateSubmission(JobSpec spec, const SubmitContext& context) {
  if (spec.user.empty()) spec.user = "anonymous";
  BINQ_RETURN_IF_ERROR(ValidateJobSpec(spec));
  // Stored as it runs: technique canonical, every option with its value.
  BINQ_ASSIGN_OR_RETURN(spec, ResolveTechnique(std::move(spec)));
  BINQ_ASSIGN_OR_RETURN(const ModelLocation model, LocateModel(spec.model, context.hub_cache_dir));
  BINQ_RETURN_IF_ERROR(CheckModelFiles(model));
  BINQ_RETURN_IF_ERROR(LocateDataset(spec.dataset, context.data_dir).status());
  for (const std::string& name : spec.eval_datasets) {
    BINQ_RETURN_IF_ERROR(WithContext(LocateDataset(name, context.data_dir).status(), "eval_datasets"));
  }
  if (spec.device == "cuda" && !context.have_gpu_slots) {
    return absl::FailedPreconditionError(
        "device: cuda was asked for, but this binqd has no GPU slots (started with --gpus none)");
  }
  if (spec.device == "cpu" && !context.have_cpu_slots) {
    return absl::FailedPreconditionError(
        "device: cpu was asked for, but this binqd has no CPU slots (started with --cpu-slots 0)");
  }
  return spec;
}

}  // namespace binq::server
