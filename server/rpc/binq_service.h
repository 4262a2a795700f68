// The public gRPC service (binq.v1.BinqService): thin adapters over the
// JobManager. Unary RPCs run on gRPC's sync API (a bounded thread pool set
// by the server builder); WatchJob and WatchQueue on the callback API
// (rpc/watch_reactors.h). Thread-safe; owns nothing.
#ifndef BINQ_SERVER_RPC_BINQ_SERVICE_H_
#define BINQ_SERVER_RPC_BINQ_SERVICE_H_

#include "binq/v1/binq.grpc.pb.h"
#include "server/events/event_hub.h"
#include "server/jobs/job_manager.h"
#include "server/rpc/watch_reactors.h"

namespace binq::server {

class BinqServiceImpl final
    : public v1::BinqService::WithCallbackMethod_WatchJob<
          v1::BinqService::WithCallbackMethod_WatchQueue<v1::BinqService::Service>> {
 public:
  BinqServiceImpl(JobManager* manager, EventHub* hub, WatchOptions watch_options);

  grpc::Status SubmitJob(grpc::ServerContext* context, const v1::SubmitJobRequest* request,
                         v1::Job* response) override;
  grpc::Status ListTechniques(grpc::ServerContext* context, const v1::ListTechniquesRequest* request,
                              v1::ListTechniquesResponse* response) override;
  grpc::Status GetJob(grpc::ServerContext* context, const v1::GetJobRequest* request,
                      v1::Job* response) override;
  grpc::Status ListJobs(grpc::ServerContext* context, const v1::ListJobsRequest* request,
                        v1::ListJobsResponse* response) override;
  grpc::Status CancelJob(grpc::ServerContext* context, const v1::CancelJobRequest* request,
                         v1::Job* response) override;
  grpc::Status GetJobLog(grpc::ServerContext* context, const v1::GetJobLogRequest* request,
                         v1::JobLog* response) override;
  grpc::ServerWriteReactor<v1::JobEvent>* WatchJob(grpc::CallbackServerContext* context,
                                                   const v1::WatchJobRequest* request) override;
  grpc::ServerWriteReactor<v1::QueueEvent>* WatchQueue(grpc::CallbackServerContext* context,
                                                       const v1::WatchQueueRequest* request) override;

 private:
  JobManager* const manager_;
  EventHub* const hub_;
  const WatchOptions watch_options_;
};

}  // namespace binq::server

#endif  // BINQ_SERVER_RPC_BINQ_SERVICE_H_
