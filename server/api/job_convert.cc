#include "server/api/job_convert.h"

#include "proto/convert/event_convert.h"
#include "proto/convert/spec_convert.h"
#include "proto/convert/state_convert.h"

namespace binq::server {

v1::Progress ProgressToProto(const JobProgress& progress) {
  v1::Progress p;
  if (progress.stage.has_value()) p.set_stage(api::StageToProto(*progress.stage));
  p.set_block(progress.block);
  p.set_num_blocks(progress.num_blocks);
  p.set_percent(progress.percent);
  p.set_eta_seconds(progress.eta_seconds);
  p.set_peak_memory_bytes(progress.peak_memory_bytes);
  p.set_detail(progress.detail);
  return p;
}

v1::Job JobToProto(const JobRecord& job) {
  v1::Job p;
  p.set_id(job.id);
  *p.mutable_spec() = api::SpecToProto(job.spec);
  p.set_state(api::JobStateToProto(job.state));
  p.set_failure_reason(api::FailureReasonToProto(job.failure_reason));
  p.set_failure_message(job.failure_message);
  p.set_attempt(job.attempt);
  p.set_user(job.spec.user);
  p.set_priority(job.spec.priority);
  p.set_request_id(job.spec.request_id);
  if (job.create_time > 0) *p.mutable_create_time() = api::TimeToProto(job.create_time);
  if (job.start_time > 0) *p.mutable_start_time() = api::TimeToProto(job.start_time);
  if (job.end_time > 0) *p.mutable_end_time() = api::TimeToProto(job.end_time);
  p.set_cancel_requested(job.cancel_requested);
  *p.mutable_progress() = ProgressToProto(job.progress);
  p.set_output_dir(job.output_dir);
  for (const auto& [dataset, ppl] : job.perplexity) (*p.mutable_perplexity())[dataset] = ppl;
  p.set_last_seq(job.last_seq);
  p.set_slot(job.slot);
  return p;
}

}  // namespace binq::server
