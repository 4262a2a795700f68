#include "server/rpc/worker_service.h"

#include "absl/strings/str_cat.h"
#include "proto/convert/grpc_status.h"
#include "proto/convert/spec_convert.h"

namespace binq::server {

grpc::Status WorkerServiceImpl::StartWork(grpc::ServerContext*,
                                          const v1::internal::StartWorkRequest* request,
                                          v1::internal::StartWorkResponse* response) {
  absl::StatusOr<JobManager::WorkAssignment> work =
      manager_->StartWork(request->job_id(), request->token(), request->attempt());
  if (!work.ok()) return api::ToGrpcStatus(work.status());
  *response->mutable_spec() = api::SpecToProto(work->job.spec);
  response->set_output_dir(work->job.output_dir);
  response->set_data_dir(work->data_dir);
  response->set_attempt(work->job.attempt);
  return grpc::Status::OK;
}

grpc::Status WorkerServiceImpl::ReportEvents(grpc::ServerContext*,
                                             const v1::internal::ReportEventsRequest* request,
                                             v1::internal::ReportEventsResponse* response) {
  std::vector<JobManager::ReportedEvent> events;
  events.reserve(request->events_size());
  for (const v1::internal::WorkerEvent& e : request->events()) {
    events.push_back({e.worker_seq(), e.event(), e.time_unix()});
  }
  absl::StatusOr<JobManager::ReportResult> result =
      manager_->ReportEvents(request->job_id(), request->token(), request->attempt(), events);
  if (!result.ok()) return api::ToGrpcStatus(result.status());
  response->set_stored_through(result->stored_through);
  response->set_cancel_requested(result->cancel_requested);
  return grpc::Status::OK;
}

grpc::Status WorkerServiceImpl::FinishWork(grpc::ServerContext*,
                                           const v1::internal::FinishWorkRequest* request,
                                           v1::internal::FinishWorkResponse*) {
  const int code = request->status_code();
  if (code < 0 || code > static_cast<int>(absl::StatusCode::kUnauthenticated)) {
    return api::ToGrpcStatus(absl::InvalidArgumentError(
        absl::StrCat("status_code: not an absl::StatusCode (0…16), got ", code)));
  }
  const absl::Status result(static_cast<absl::StatusCode>(code), request->message());
  return api::ToGrpcStatus(
      manager_->FinishWork(request->job_id(), request->token(), request->attempt(), result));
}

}  // namespace binq::server
