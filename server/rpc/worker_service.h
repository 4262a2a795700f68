// The internal gRPC service for workers (binq.v1.internal.WorkerService),
// served on its own loopback listener: thin adapters over the JobManager's
// worker API. Thread-safe; owns nothing.
#ifndef BINQ_SERVER_RPC_WORKER_SERVICE_H_
#define BINQ_SERVER_RPC_WORKER_SERVICE_H_

#include "binq/v1/worker.grpc.pb.h"
#include "server/jobs/job_manager.h"

namespace binq::server {

class WorkerServiceImpl final : public v1::internal::WorkerService::Service {
 public:
  explicit WorkerServiceImpl(JobManager* manager) : manager_(manager) {}

  grpc::Status StartWork(grpc::ServerContext* context, const v1::internal::StartWorkRequest* request,
                         v1::internal::StartWorkResponse* response) override;
  grpc::Status ReportEvents(grpc::ServerContext* context,
                            const v1::internal::ReportEventsRequest* request,
                            v1::internal::ReportEventsResponse* response) override;
  grpc::Status FinishWork(grpc::ServerContext* context,
                          const v1::internal::FinishWorkRequest* request,
                          v1::internal::FinishWorkResponse* response) override;

 private:
  JobManager* const manager_;
};

}  // namespace binq::server

#endif  // BINQ_SERVER_RPC_WORKER_SERVICE_H_
