// JobRecord: one job as binqd keeps it (a row of the `jobs` table), and
// JobChange: what one store transaction does to a job besides its columns.
// Plain structs; copy freely.
#ifndef BINQ_SERVER_STORE_JOB_RECORD_H_
#define BINQ_SERVER_STORE_JOB_RECORD_H_

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "binq/v1/binq.pb.h"
#include "core/base/event.h"
#include "core/base/job_spec.h"
#include "core/base/job_state.h"

namespace binq::server {

// Where a running job is, from its worker's events (jobs/progress.h).
struct JobProgress {
  std::optional<Stage> stage;  // unset until the worker reports a stage
  int block = 0;               // blocks finished
  int num_blocks = 0;
  double percent = 0;
  double eta_seconds = 0;
  int64_t peak_memory_bytes = 0;
  std::string detail;
};

struct JobRecord {
  std::string id;             // "j-" + 12 hex digits
  int64_t submit_order = 0;   // 1, 2, … assigned by the store
  JobSpec spec;               // defaults filled; spec.user/priority/request_id are the job's
  JobState state = JobState::kQueued;
  FailureReason failure_reason = FailureReason::kNone;
  std::string failure_message;
  int attempt = 1;
  // Seconds since the Unix epoch; 0 = not yet.
  double create_time = 0;
  double start_time = 0;
  double end_time = 0;
  bool cancel_requested = false;
  int64_t last_seq = 0;       // the newest event's seq
  std::string slot;           // "gpu:0", "cpu:0" while running
  std::string output_dir;
  JobProgress progress;
  std::map<std::string, double> perplexity;  // dataset → PPL
  // The current attempt's worker: the highest worker_seq stored (reports are
  // deduplicated by it) and its process id (to find an orphan after a
  // daemon crash).
  int64_t worker_seq_through = 0;
  int64_t worker_pid = 0;
};

// Fair-share usage to add to a user in the same transaction.
struct UsageCharge {
  std::string user;
  double slot_seconds = 0;
  double now = 0;
};

// What a transaction appends besides the job's columns.
struct JobChange {
  // Appended in order with seq = last_seq + 1, …; the store sets job_id and
  // seq, and time when it is unset.
  std::vector<v1::JobEvent> events;
  // A change for WatchQueue: its kind (state_changed or progress) is set by
  // the caller; the store sets seq (the global queue sequence), time and the
  // job as it is after this transaction.
  std::optional<v1::QueueEvent> queue_event;
  std::optional<UsageCharge> usage;
};

}  // namespace binq::server

#endif  // BINQ_SERVER_STORE_JOB_RECORD_H_
