// JobRecord (server/store/job_record.h) → binq.v1.Job. Pure; thread-safe.
#ifndef BINQ_SERVER_API_JOB_CONVERT_H_
#define BINQ_SERVER_API_JOB_CONVERT_H_

#include "binq/v1/binq.pb.h"
#include "server/store/job_record.h"

namespace binq::server {

v1::Job JobToProto(const JobRecord& job);
v1::Progress ProgressToProto(const JobProgress& progress);

}  // namespace binq::server

#endif  // BINQ_SERVER_API_JOB_CONVERT_H_
