// How a worker's events move a job's progress and perplexity columns.
// Pure; thread-safe.
#ifndef BINQ_SERVER_JOBS_PROGRESS_H_
#define BINQ_SERVER_JOBS_PROGRESS_H_

#include "binq/v1/binq.pb.h"
#include "server/store/job_record.h"

namespace binq::server {

// Updates job.progress / job.perplexity from `event`. Returns true when the
// change is worth a queue event (a new stage, a finished block, a
// perplexity), false for fine-grained ones (layers, windows) or none.
bool ApplyEventToJob(const v1::JobEvent& event, JobRecord& job);

}  // namespace binq::server

#endif  // BINQ_SERVER_JOBS_PROGRESS_H_
