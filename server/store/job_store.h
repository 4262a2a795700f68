// JobStore: binqd's durable state in one SQLite file (<state-dir>/binq.db,
// WAL mode): jobs, each job's events, fair-share usage per user and the
// global queue feed for WatchQueue. Every write is one transaction, so a
// job's state change and the event that announces it are stored together or
// not at all; the caller publishes what a transaction returns only after it
// committed (persist first, then publish).
//
// Thread-safe: one connection behind a mutex. Callbacks passed in (the
// Mutator) run under that mutex inside the transaction and must not call
// other components.
//
// Errors: NOT_FOUND for an unknown job; UNAVAILABLE when the database is busy
// (another process holds it) or an I/O error occurs; DATA_LOSS for a corrupt
// file or row; FAILED_PRECONDITION for a database made by a newer binqd;
// whatever a Mutator returns (nothing is written then).
#ifndef BINQ_SERVER_STORE_JOB_STORE_H_
#define BINQ_SERVER_STORE_JOB_STORE_H_

#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "binq/v1/binq.pb.h"
#include "server/scheduler/fair_share.h"
#include "server/store/job_record.h"
#include "server/store/sqlite.h"

namespace binq::server {

// What one transaction stored: the job as it now is, and the events and
// queue events it appended (seq and time filled), ready to publish.
struct Committed {
  JobRecord job;
  std::vector<v1::JobEvent> events;
  std::vector<v1::QueueEvent> queue_events;
};

struct JobFilter {
  std::optional<JobState> state;  // unset: any
  std::string user;               // empty: any
  int page_size = 50;
  int64_t before_order = 0;       // only jobs with submit_order below this; 0: from the newest
};

struct JobPage {
  std::vector<JobRecord> jobs;    // newest first
  int64_t next_before_order = 0;  // 0 on the last page
};

class JobStore {
 public:
  struct Options {
    std::string path;  // the database file; created when missing
    absl::Duration busy_timeout = absl::Seconds(5);
    double usage_half_life_seconds = 7 * 24 * 3600.0;
    int64_t keep_queue_events = 100000;  // older queue events are pruned
  };

  // Opens (creating or migrating) the database.
  [[nodiscard]] static absl::StatusOr<std::unique_ptr<JobStore>> Open(const Options& options);

  // Inserts a new job (submit_order and last_seq assigned here) together with
  // its first events and queue event. If job.spec.request_id is set and a job
  // with that request id exists, returns that job with created = false and
  // writes nothing.
  struct InsertResult {
    Committed committed;
    bool created = false;
  };
  [[nodiscard]] absl::StatusOr<InsertResult> InsertJob(const JobRecord& job, JobChange change);

  [[nodiscard]] absl::StatusOr<JobRecord> GetJob(const std::string& job_id);
  // The job submitted with `request_id`, if any.
  [[nodiscard]] absl::StatusOr<std::optional<JobRecord>> FindByRequestId(
      const std::string& request_id);
  [[nodiscard]] absl::StatusOr<JobPage> ListJobs(const JobFilter& filter);
  // Jobs in `state`, oldest submission first.
  [[nodiscard]] absl::StatusOr<std::vector<JobRecord>> JobsInState(JobState state);

  // Reads the job, lets `mutate` change it and fill `change`, writes both in
  // one transaction. An error from `mutate` aborts it (nothing written).
  using Mutator = std::function<absl::Status(JobRecord& job, JobChange& change)>;
  [[nodiscard]] absl::StatusOr<Committed> MutateJob(const std::string& job_id,
                                                    const Mutator& mutate);

  // The job's stored events with seq > after_seq, oldest first, at most `limit`.
  [[nodiscard]] absl::StatusOr<std::vector<v1::JobEvent>> ReadEvents(const std::string& job_id,
                                                                     int64_t after_seq, int limit);

  // Fair-share usage per user, as stored (decay it to now with DecayUsage).
  [[nodiscard]] absl::StatusOr<std::map<std::string, UsageRecord>> LoadUsage();

  // The current queue seq and every unfinished job, read together.
  struct QueueSnapshot {
    int64_t seq = 0;
    std::vector<JobRecord> unfinished;  // oldest submission first
  };
  [[nodiscard]] absl::StatusOr<QueueSnapshot> SnapshotQueue();

  // Queue events with seq > after_seq, oldest first, at most `limit`, and
  // the oldest seq still kept (0 when none) and the current seq.
  struct QueueRead {
    std::vector<v1::QueueEvent> events;
    int64_t oldest_kept_seq = 0;
    int64_t current_seq = 0;
  };
  [[nodiscard]] absl::StatusOr<QueueRead> ReadQueueEvents(int64_t after_seq, int limit);

 private:
  JobStore(Options options, std::unique_ptr<SqliteDb> db)
      : options_(std::move(options)), db_(std::move(db)) {}

  absl::StatusOr<std::optional<JobRecord>> FindJob(const std::string& job_id)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  absl::StatusOr<JobRecord> FindJobOrNotFound(const std::string& job_id)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  absl::StatusOr<std::vector<JobRecord>> QueryJobs(Statement& stmt) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  absl::Status WriteJob(const JobRecord& job, bool insert) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  // The body of SnapshotQueue, inside its read transaction.
  absl::StatusOr<QueueSnapshot> ReadQueueSnapshotLocked() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  // Appends change's events, usage and queue event for `job` (updating its
  // last_seq first) and the job row itself.
  absl::StatusOr<Committed> ApplyChange(JobRecord job, JobChange change, bool insert)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);

  const Options options_;
  absl::Mutex mu_;
  std::unique_ptr<SqliteDb> db_ ABSL_GUARDED_BY(mu_);
};

}  // namespace binq::server

#endif  // BINQ_SERVER_STORE_JOB_STORE_H_
