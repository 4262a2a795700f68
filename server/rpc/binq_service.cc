#include "server/rpc/binq_service.h"

#include "server/executor/log_tail.h"

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/strip.h"
#include "proto/convert/catalog_convert.h"
#include "proto/convert/grpc_status.h"
#include "server/api/job_convert.h"
#include "proto/convert/spec_convert.h"
#include "proto/convert/state_convert.h"

namespace binq::server {
namespace {

constexpr int kDefaultPageSize = 50;
constexpr int kMaxPageSize = 1000;

absl::Status RequireJobId(const std::string& job_id) {
  if (job_id.empty()) return absl::InvalidArgumentError("job_id: must name a job");
  return absl::OkStatus();
}

}  // namespace

BinqServiceImpl::BinqServiceImpl(JobManager* manager, EventHub* hub, WatchOptions watch_options)
    : manager_(manager), hub_(hub), watch_options_(watch_options) {}

grpc::Status BinqServiceImpl::SubmitJob(grpc::ServerContext*, const v1::SubmitJobRequest* request,
                                        v1::Job* response) {
  absl::StatusOr<JobSpec> spec = api::SpecFromSubmitRequest(*request);
  if (!spec.ok()) return api::ToGrpcStatus(spec.status());
  absl::StatusOr<JobRecord> job = manager_->Submit(*std::move(spec));
  if (!job.ok()) return api::ToGrpcStatus(job.status());
  *response = JobToProto(*job);
  return grpc::Status::OK;
}

grpc::Status BinqServiceImpl::ListTechniques(grpc::ServerContext*, const v1::ListTechniquesRequest*,
                                             v1::ListTechniquesResponse* response) {
  *response = api::CatalogToProto();
  return grpc::Status::OK;
}

grpc::Status BinqServiceImpl::GetJob(grpc::ServerContext*, const v1::GetJobRequest* request,
                                     v1::Job* response) {
  if (absl::Status s = RequireJobId(request->job_id()); !s.ok()) return api::ToGrpcStatus(s);
  absl::StatusOr<JobRecord> job = manager_->Get(request->job_id());
  if (!job.ok()) return api::ToGrpcStatus(job.status());
  *response = JobToProto(*job);
  return grpc::Status::OK;
}

grpc::Status BinqServiceImpl::ListJobs(grpc::ServerContext*, const v1::ListJobsRequest* request,
                                       v1::ListJobsResponse* response) {
  JobFilter filter;
  if (request->state() != v1::JOB_STATE_UNSPECIFIED) {
    absl::StatusOr<JobState> state = api::JobStateFromProto(request->state());
    if (!state.ok()) return api::ToGrpcStatus(state.status());
    filter.state = *state;
  }
  filter.user = request->user();
  if (request->page_size() < 0) {
    return api::ToGrpcStatus(absl::InvalidArgumentError(
        absl::StrCat("page_size: must be ≥ 0, got ", request->page_size())));
  }
  filter.page_size = request->page_size() == 0 ? kDefaultPageSize
                                               : std::min(request->page_size(), kMaxPageSize);
  if (!request->page_token().empty()) {
    // The token is "o<submit order>" of the last job of the previous page.
    absl::string_view token = request->page_token();
    if (!absl::ConsumePrefix(&token, "o") || !absl::SimpleAtoi(token, &filter.before_order) ||
        filter.before_order <= 0) {
      return api::ToGrpcStatus(absl::InvalidArgumentError(absl::StrCat(
          "page_token: '", request->page_token(), "' is not a token from ListJobs")));
    }
  }
  absl::StatusOr<JobPage> page = manager_->List(filter);
  if (!page.ok()) return api::ToGrpcStatus(page.status());
  for (const JobRecord& job : page->jobs) *response->add_jobs() = JobToProto(job);
  if (page->next_before_order > 0) {
    response->set_next_page_token(absl::StrCat("o", page->next_before_order));
  }
  return grpc::Status::OK;
}

grpc::Status BinqServiceImpl::CancelJob(grpc::ServerContext*, const v1::CancelJobRequest* request,
                                        v1::Job* response) {
  if (absl::Status s = RequireJobId(request->job_id()); !s.ok()) return api::ToGrpcStatus(s);
  absl::StatusOr<JobRecord> job = manager_->Cancel(request->job_id());
  if (!job.ok()) return api::ToGrpcStatus(job.status());
  *response = JobToProto(*job);
  return grpc::Status::OK;
}

grpc::Status BinqServiceImpl::GetJobLog(grpc::ServerContext*, const v1::GetJobLogRequest* request,
                                        v1::JobLog* response) {
  if (absl::Status s = RequireJobId(request->job_id()); !s.ok()) return api::ToGrpcStatus(s);
  if (request->tail_bytes() < 0) {
    return api::ToGrpcStatus(absl::InvalidArgumentError(
        absl::StrCat("tail_bytes: must be ≥ 0, got ", request->tail_bytes())));
  }
  absl::StatusOr<JobRecord> job = manager_->store()->GetJob(request->job_id());
  if (!job.ok()) return api::ToGrpcStatus(job.status());
  const std::string path = manager_->LogPath(job->id);
  const LogEnd end = ReadLogEnd(path, request->tail_bytes() == 0 ? (1 << 20) : request->tail_bytes());
  response->set_text(end.text);
  response->set_truncated(end.truncated);
  response->set_path(path);
  return grpc::Status::OK;
}

grpc::ServerWriteReactor<v1::JobEvent>* BinqServiceImpl::WatchJob(
    grpc::CallbackServerContext*, const v1::WatchJobRequest* request) {
  return new WatchJobReactor(manager_->store(), hub_, watch_options_, *request);
}

grpc::ServerWriteReactor<v1::QueueEvent>* BinqServiceImpl::WatchQueue(
    grpc::CallbackServerContext*, const v1::WatchQueueRequest* request) {
  return new WatchQueueReactor(manager_->store(), hub_, watch_options_, *request);
}

}  // namespace binq::server
