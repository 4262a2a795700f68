#include "server/store/job_store.h"

#include <algorithm>
#include <cmath>
#include <limits>

#include "absl/strings/str_cat.h"
#include "core/base/status_macros.h"
#include "nlohmann/json.hpp"
#include "proto/convert/event_convert.h"
#include "server/api/job_convert.h"
#include "server/store/schema.h"

namespace binq::server {
namespace {

constexpr char kJobColumns[] =
    "id, submit_order, request_id, user, priority, spec, state, failure_reason, failure_message, "
    "attempt, create_time, start_time, end_time, cancel_requested, last_seq, slot, output_dir, "
    "progress_stage, progress_block, progress_num_blocks, progress_percent, progress_eta_seconds, "
    "progress_peak_memory_bytes, progress_detail, perplexity, worker_seq_through, worker_pid";
constexpr int kNumJobColumns = 27;

double NowSeconds() { return absl::ToDoubleSeconds(absl::Now() - absl::UnixEpoch()); }

absl::StatusOr<std::optional<Stage>> ParseStage(const std::string& name) {
  if (name.empty()) return std::optional<Stage>();
  for (Stage s : {Stage::kLoading, Stage::kCalibrating, Stage::kQuantizing, Stage::kEvaluating,
                  Stage::kSaving}) {
    if (name == StageName(s)) return std::optional<Stage>(s);
  }
  return absl::DataLossError(absl::StrCat("progress_stage: unknown '", name, "'"));
}

std::string PerplexityToJson(const std::map<std::string, double>& ppl) {
  nlohmann::json j = nlohmann::json::object();
  for (const auto& [dataset, value] : ppl) {
    // JSON has no inf/nan; a diverged model's perplexity is kept as a string.
    if (std::isfinite(value)) {
      j[dataset] = value;
    } else {
      j[dataset] = std::isnan(value) ? "nan" : (value > 0 ? "inf" : "-inf");
    }
  }
  return j.dump();
}

absl::StatusOr<std::map<std::string, double>> PerplexityFromJson(const std::string& text) {
  const nlohmann::json j = nlohmann::json::parse(text, nullptr, /*allow_exceptions=*/false);
  if (j.is_discarded() || !j.is_object()) {
    return absl::DataLossError(absl::StrCat("perplexity: not a JSON object: ", text.substr(0, 80)));
  }
  std::map<std::string, double> out;
  for (const auto& [dataset, value] : j.items()) {
    if (value.is_number()) {
      out[dataset] = value.get<double>();
    } else if (value.is_string()) {
      const std::string s = value.get<std::string>();
      out[dataset] = s == "inf"    ? std::numeric_limits<double>::infinity()
                     : s == "-inf" ? -std::numeric_limits<double>::infinity()
                                   : std::numeric_limits<double>::quiet_NaN();
    }
  }
  return out;
}

// One row of kJobColumns.
absl::StatusOr<JobRecord> JobFromRow(const Statement& row) {
  JobRecord job;
  job.id = row.ColumnText(0);
  const auto corrupt = [&job](const absl::Status& s) {
    return absl::DataLossError(absl::StrCat("job ", job.id, " in the store: ", s.message()));
  };
  job.submit_order = row.ColumnInt(1);
  const nlohmann::json spec_json =
      nlohmann::json::parse(row.ColumnText(5), nullptr, /*allow_exceptions=*/false);
  if (spec_json.is_discarded()) return corrupt(absl::DataLossError("spec is not JSON"));
  absl::StatusOr<JobSpec> spec = JobSpecFromJson(spec_json);
  if (!spec.ok()) return corrupt(spec.status());
  job.spec = *std::move(spec);
  job.spec.request_id = row.ColumnIsNull(2) ? "" : row.ColumnText(2);
  job.spec.user = row.ColumnText(3);
  job.spec.priority = static_cast<int32_t>(row.ColumnInt(4));
  absl::StatusOr<JobState> state = ParseJobState(row.ColumnText(6));
  if (!state.ok()) return corrupt(state.status());
  job.state = *state;
  absl::StatusOr<FailureReason> reason = ParseFailureReason(row.ColumnText(7));
  if (!reason.ok()) return corrupt(reason.status());
  job.failure_reason = *reason;
  job.failure_message = row.ColumnText(8);
  job.attempt = static_cast<int>(row.ColumnInt(9));
  job.create_time = row.ColumnDouble(10);
  job.start_time = row.ColumnDouble(11);
  job.end_time = row.ColumnDouble(12);
  job.cancel_requested = row.ColumnInt(13) != 0;
  job.last_seq = row.ColumnInt(14);
  job.slot = row.ColumnText(15);
  job.output_dir = row.ColumnText(16);
  absl::StatusOr<std::optional<Stage>> stage = ParseStage(row.ColumnText(17));
  if (!stage.ok()) return corrupt(stage.status());
  job.progress.stage = *stage;
  job.progress.block = static_cast<int>(row.ColumnInt(18));
  job.progress.num_blocks = static_cast<int>(row.ColumnInt(19));
  job.progress.percent = row.ColumnDouble(20);
  job.progress.eta_seconds = row.ColumnDouble(21);
  job.progress.peak_memory_bytes = row.ColumnInt(22);
  job.progress.detail = row.ColumnText(23);
  absl::StatusOr<std::map<std::string, double>> ppl = PerplexityFromJson(row.ColumnText(24));
  if (!ppl.ok()) return corrupt(ppl.status());
  job.perplexity = *std::move(ppl);
  job.worker_seq_through = row.ColumnInt(25);
  job.worker_pid = row.ColumnInt(26);
  return job;
}

}  // namespace

absl::StatusOr<std::unique_ptr<JobStore>> JobStore::Open(const Options& options) {
  BINQ_ASSIGN_OR_RETURN(std::unique_ptr<SqliteDb> db,
                        SqliteDb::Open(options.path, options.busy_timeout));
  BINQ_RETURN_IF_ERROR(MigrateSchema(*db));
  return std::unique_ptr<JobStore>(new JobStore(options, std::move(db)));
}

absl::StatusOr<std::optional<JobRecord>> JobStore::FindJob(const std::string& job_id) {
  BINQ_ASSIGN_OR_RETURN(Statement stmt,
                        db_->Prepare(absl::StrCat("SELECT ", kJobColumns, " FROM jobs WHERE id = ?")));
  stmt.BindText(1, job_id);
  BINQ_ASSIGN_OR_RETURN(std::vector<JobRecord> jobs, QueryJobs(stmt));
  if (jobs.empty()) return std::optional<JobRecord>();
  return std::optional<JobRecord>(std::move(jobs.front()));
}

absl::StatusOr<JobRecord> JobStore::FindJobOrNotFound(const std::string& job_id) {
  BINQ_ASSIGN_OR_RETURN(std::optional<JobRecord> job, FindJob(job_id));
  if (!job.has_value()) return absl::NotFoundError(absl::StrCat("job ", job_id, ": not found"));
  return *std::move(job);
}

absl::StatusOr<std::vector<JobRecord>> JobStore::QueryJobs(Statement& stmt) {
  std::vector<JobRecord> jobs;
  while (true) {
    BINQ_ASSIGN_OR_RETURN(bool row, stmt.Step());
    if (!row) break;
    BINQ_ASSIGN_OR_RETURN(JobRecord job, JobFromRow(stmt));
    jobs.push_back(std::move(job));
  }
  return jobs;
}

absl::Status JobStore::WriteJob(const JobRecord& job, bool insert) {
  const std::string sql =
      insert ? absl::StrCat("INSERT INTO jobs (", kJobColumns,
                            ") VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, "
                            "?15, ?16, ?17, ?18, ?19, ?20, ?21, ?22, ?23, ?24, ?25, ?26, ?27)")
             : "UPDATE jobs SET submit_order = ?2, request_id = ?3, user = ?4, priority = ?5, "
               "spec = ?6, state = ?7, failure_reason = ?8, failure_message = ?9, attempt = ?10, "
               "create_time = ?11, start_time = ?12, end_time = ?13, cancel_requested = ?14, "
               "last_seq = ?15, slot = ?16, output_dir = ?17, progress_stage = ?18, "
               "progress_block = ?19, progress_num_blocks = ?20, progress_percent = ?21, "
               "progress_eta_seconds = ?22, progress_peak_memory_bytes = ?23, "
               "progress_detail = ?24, perplexity = ?25, worker_seq_through = ?26, "
               "worker_pid = ?27 WHERE id = ?1";
  static_assert(kNumJobColumns == 27);
  BINQ_ASSIGN_OR_RETURN(Statement stmt, db_->Prepare(sql));
  stmt.BindText(1, job.id).Bind(2, job.submit_order);
  if (job.spec.request_id.empty()) {
    stmt.BindNull(3);
  } else {
    stmt.BindText(3, job.spec.request_id);
  }
  stmt.BindText(4, job.spec.user)
      .Bind(5, static_cast<int64_t>(job.spec.priority))
      .BindText(6, JobSpecToJson(job.spec).dump())
      .BindText(7, JobStateName(job.state))
      .BindText(8, FailureReasonName(job.failure_reason))
      .BindText(9, job.failure_message)
      .Bind(10, static_cast<int64_t>(job.attempt))
      .Bind(11, job.create_time)
      .Bind(12, job.start_time)
      .Bind(13, job.end_time)
      .Bind(14, static_cast<int64_t>(job.cancel_requested ? 1 : 0))
      .Bind(15, job.last_seq)
      .BindText(16, job.slot)
      .BindText(17, job.output_dir)
      .BindText(18, job.progress.stage.has_value() ? StageName(*job.progress.stage) : "")
      .Bind(19, static_cast<int64_t>(job.progress.block))
      .Bind(20, static_cast<int64_t>(job.progress.num_blocks))
      .Bind(21, job.progress.percent)
      .Bind(22, job.progress.eta_seconds)
      .Bind(23, job.progress.peak_memory_bytes)
      .BindText(24, job.progress.detail)
      .BindText(25, PerplexityToJson(job.perplexity))
      .Bind(26, job.worker_seq_through)
      .Bind(27, job.worker_pid);
  BINQ_RETURN_IF_ERROR(stmt.Run());
  if (!insert && db_->Changes() != 1) {
    return absl::InternalError(absl::StrCat("job ", job.id, ": update changed ", db_->Changes(), " rows"));
  }
  return absl::OkStatus();
}

absl::StatusOr<Committed> JobStore::ApplyChange(JobRecord job, JobChange change, bool insert) {
  Committed out;
  const double now = NowSeconds();
  for (v1::JobEvent& event : change.events) {
    event.set_job_id(job.id);
    event.set_seq(++job.last_seq);
    if (!event.has_time()) *event.mutable_time() = api::TimeToProto(now);
  }
  BINQ_RETURN_IF_ERROR(WriteJob(job, insert));
  for (const v1::JobEvent& event : change.events) {
    BINQ_ASSIGN_OR_RETURN(
        Statement stmt,
        db_->Prepare("INSERT INTO events (job_id, seq, time, type, payload) VALUES (?, ?, ?, ?, ?)"));
    stmt.BindText(1, job.id)
        .Bind(2, event.seq())
        .Bind(3, api::TimeFromProto(event.time()))
        .BindText(4, api::JobEventType(event))
        .BindBlob(5, event.SerializeAsString());
    BINQ_RETURN_IF_ERROR(stmt.Run());
  }
  if (change.usage.has_value() && change.usage->slot_seconds > 0) {
    const UsageCharge& charge = *change.usage;
    BINQ_ASSIGN_OR_RETURN(Statement read,
                          db_->Prepare("SELECT gpu_seconds, as_of FROM usage WHERE user = ?"));
    read.BindText(1, charge.user);
    BINQ_ASSIGN_OR_RETURN(bool row, read.Step());
    double value = 0;
    if (row) {
      value = DecayUsage(read.ColumnDouble(0), read.ColumnDouble(1), charge.now,
                         options_.usage_half_life_seconds);
    }
    BINQ_ASSIGN_OR_RETURN(
        Statement write,
        db_->Prepare("INSERT INTO usage (user, gpu_seconds, as_of) VALUES (?1, ?2, ?3) "
                     "ON CONFLICT (user) DO UPDATE SET gpu_seconds = ?2, as_of = ?3"));
    write.BindText(1, charge.user).Bind(2, value + charge.slot_seconds).Bind(3, charge.now);
    BINQ_RETURN_IF_ERROR(write.Run());
  }
  if (change.queue_event.has_value()) {
    v1::QueueEvent event = *std::move(change.queue_event);
    BINQ_ASSIGN_OR_RETURN(
        Statement next,
        db_->Prepare("UPDATE counters SET value = value + 1 WHERE name = 'queue_seq' RETURNING value"));
    BINQ_ASSIGN_OR_RETURN(bool row, next.Step());
    if (!row) return absl::DataLossError("counters: queue_seq is missing");
    const int64_t seq = next.ColumnInt(0);
    BINQ_RETURN_IF_ERROR(next.Run());  // finish the statement
    event.set_seq(seq);
    *event.mutable_time() = api::TimeToProto(now);
    *event.mutable_job() = JobToProto(job);
    BINQ_ASSIGN_OR_RETURN(
        Statement insert_event,
        db_->Prepare("INSERT INTO queue_events (seq, time, job_id, payload) VALUES (?, ?, ?, ?)"));
    insert_event.Bind(1, seq).Bind(2, now).BindText(3, job.id).BindBlob(4, event.SerializeAsString());
    BINQ_RETURN_IF_ERROR(insert_event.Run());
    // Prune now and then, not on every append.
    const int64_t every = std::max<int64_t>(1, std::min<int64_t>(1000, options_.keep_queue_events));
    if (seq % every == 0 && seq > options_.keep_queue_events) {
      BINQ_ASSIGN_OR_RETURN(Statement prune, db_->Prepare("DELETE FROM queue_events WHERE seq <= ?"));
      BINQ_RETURN_IF_ERROR(prune.Bind(1, seq - options_.keep_queue_events).Run());
    }
    out.queue_events.push_back(std::move(event));
  }
  out.events = std::move(change.events);
  out.job = std::move(job);
  return out;
}

absl::StatusOr<JobStore::InsertResult> JobStore::InsertJob(const JobRecord& job, JobChange change) {
  absl::MutexLock lock(&mu_);
  Transaction txn(*db_);
  BINQ_RETURN_IF_ERROR(txn.status());
  InsertResult result;
  if (!job.spec.request_id.empty()) {
    BINQ_ASSIGN_OR_RETURN(
        Statement find,
        db_->Prepare(absl::StrCat("SELECT ", kJobColumns, " FROM jobs WHERE request_id = ?")));
    find.BindText(1, job.spec.request_id);
    BINQ_ASSIGN_OR_RETURN(std::vector<JobRecord> existing, QueryJobs(find));
    if (!existing.empty()) {
      result.committed.job = std::move(existing.front());
      return result;  // rolls back the (empty) transaction
    }
  }
  JobRecord row = job;
  BINQ_ASSIGN_OR_RETURN(Statement order,
                        db_->Prepare("SELECT COALESCE(MAX(submit_order), 0) + 1 FROM jobs"));
  BINQ_ASSIGN_OR_RETURN(bool has_row, order.Step());
  row.submit_order = has_row ? order.ColumnInt(0) : 1;
  row.last_seq = 0;
  BINQ_ASSIGN_OR_RETURN(result.committed, ApplyChange(std::move(row), std::move(change), true));
  BINQ_RETURN_IF_ERROR(txn.Commit());
  result.created = true;
  return result;
}

absl::StatusOr<JobRecord> JobStore::GetJob(const std::string& job_id) {
  absl::MutexLock lock(&mu_);
  return FindJobOrNotFound(job_id);
}

absl::StatusOr<std::optional<JobRecord>> JobStore::FindByRequestId(const std::string& request_id) {
  absl::MutexLock lock(&mu_);
  BINQ_ASSIGN_OR_RETURN(
      Statement find,
      db_->Prepare(absl::StrCat("SELECT ", kJobColumns, " FROM jobs WHERE request_id = ?")));
  find.BindText(1, request_id);
  BINQ_ASSIGN_OR_RETURN(std::vector<JobRecord> jobs, QueryJobs(find));
  if (jobs.empty()) return std::optional<JobRecord>();
  return std::optional<JobRecord>(std::move(jobs.front()));
}

absl::StatusOr<JobPage> JobStore::ListJobs(const JobFilter& filter) {
  absl::MutexLock lock(&mu_);
  BINQ_ASSIGN_OR_RETURN(
      Statement stmt,
      db_->Prepare(absl::StrCat("SELECT ", kJobColumns,
                                " FROM jobs WHERE (?1 = '' OR state = ?1) AND (?2 = '' OR user = ?2) "
                                "AND (?3 = 0 OR submit_order < ?3) ORDER BY submit_order DESC "
                                "LIMIT ?4")));
  const int page_size = std::max(1, filter.page_size);
  stmt.BindText(1, filter.state.has_value() ? JobStateName(*filter.state) : "")
      .BindText(2, filter.user)
      .Bind(3, filter.before_order)
      .Bind(4, static_cast<int64_t>(page_size) + 1);
  JobPage page;
  BINQ_ASSIGN_OR_RETURN(page.jobs, QueryJobs(stmt));
  if (static_cast<int>(page.jobs.size()) > page_size) {
    page.jobs.resize(page_size);
    page.next_before_order = page.jobs.back().submit_order;
  }
  return page;
}

absl::StatusOr<std::vector<JobRecord>> JobStore::JobsInState(JobState state) {
  absl::MutexLock lock(&mu_);
  BINQ_ASSIGN_OR_RETURN(
      Statement stmt,
      db_->Prepare(absl::StrCat("SELECT ", kJobColumns,
                                " FROM jobs WHERE state = ? ORDER BY submit_order")));
  stmt.BindText(1, JobStateName(state));
  return QueryJobs(stmt);
}

absl::StatusOr<Committed> JobStore::MutateJob(const std::string& job_id, const Mutator& mutate) {
  absl::MutexLock lock(&mu_);
  Transaction txn(*db_);
  BINQ_RETURN_IF_ERROR(txn.status());
  BINQ_ASSIGN_OR_RETURN(JobRecord job, FindJobOrNotFound(job_id));
  JobChange change;
  BINQ_RETURN_IF_ERROR(mutate(job, change));
  job.id = job_id;  // the key is not the mutator's to change
  BINQ_ASSIGN_OR_RETURN(Committed committed, ApplyChange(std::move(job), std::move(change), false));
  BINQ_RETURN_IF_ERROR(txn.Commit());
  return committed;
}

absl::StatusOr<std::vector<v1::JobEvent>> JobStore::ReadEvents(const std::string& job_id,
                                                               int64_t after_seq, int limit) {
  absl::MutexLock lock(&mu_);
  BINQ_ASSIGN_OR_RETURN(
      Statement stmt,
      db_->Prepare("SELECT seq, payload FROM events WHERE job_id = ? AND seq > ? ORDER BY seq LIMIT ?"));
  stmt.BindText(1, job_id).Bind(2, after_seq).Bind(3, static_cast<int64_t>(limit));
  std::vector<v1::JobEvent> events;
  while (true) {
    BINQ_ASSIGN_OR_RETURN(bool row, stmt.Step());
    if (!row) break;
    v1::JobEvent event;
    if (!event.ParseFromString(stmt.ColumnBlob(1))) {
      return absl::DataLossError(
          absl::StrCat("event ", job_id, "#", stmt.ColumnInt(0), " in the store does not parse"));
    }
    events.push_back(std::move(event));
  }
  return events;
}

absl::StatusOr<std::map<std::string, UsageRecord>> JobStore::LoadUsage() {
  absl::MutexLock lock(&mu_);
  BINQ_ASSIGN_OR_RETURN(Statement stmt, db_->Prepare("SELECT user, gpu_seconds, as_of FROM usage"));
  std::map<std::string, UsageRecord> usage;
  while (true) {
    BINQ_ASSIGN_OR_RETURN(bool row, stmt.Step());
    if (!row) break;
    usage[stmt.ColumnText(0)] = UsageRecord{stmt.ColumnDouble(1), stmt.ColumnDouble(2)};
  }
  return usage;
}

absl::StatusOr<JobStore::QueueSnapshot> JobStore::SnapshotQueue() {
  absl::MutexLock lock(&mu_);
  // One read transaction: the seq and the jobs are from the same moment.
  BINQ_RETURN_IF_ERROR(db_->Exec("BEGIN"));
  absl::StatusOr<QueueSnapshot> snapshot = ReadQueueSnapshotLocked();
  if (absl::Status s = db_->Exec("COMMIT"); !s.ok() && snapshot.ok()) return s;
  return snapshot;
}

absl::StatusOr<JobStore::QueueSnapshot> JobStore::ReadQueueSnapshotLocked() {
  QueueSnapshot snapshot;
  BINQ_ASSIGN_OR_RETURN(Statement seq,
                        db_->Prepare("SELECT value FROM counters WHERE name = 'queue_seq'"));
  BINQ_ASSIGN_OR_RETURN(bool row, seq.Step());
  snapshot.seq = row ? seq.ColumnInt(0) : 0;
  BINQ_ASSIGN_OR_RETURN(
      Statement jobs,
      db_->Prepare(absl::StrCat("SELECT ", kJobColumns,
                                " FROM jobs WHERE state IN ('QUEUED', 'RUNNING') "
                                "ORDER BY submit_order")));
  BINQ_ASSIGN_OR_RETURN(snapshot.unfinished, QueryJobs(jobs));
  return snapshot;
}

absl::StatusOr<JobStore::QueueRead> JobStore::ReadQueueEvents(int64_t after_seq, int limit) {
  absl::MutexLock lock(&mu_);
  QueueRead out;
  BINQ_ASSIGN_OR_RETURN(
      Statement bounds,
      db_->Prepare("SELECT COALESCE(MIN(seq), 0), "
                   "(SELECT value FROM counters WHERE name = 'queue_seq') FROM queue_events"));
  BINQ_ASSIGN_OR_RETURN(bool row, bounds.Step());
  if (row) {
    out.oldest_kept_seq = bounds.ColumnInt(0);
    out.current_seq = bounds.ColumnInt(1);
  }
  BINQ_ASSIGN_OR_RETURN(
      Statement stmt,
      db_->Prepare("SELECT seq, payload FROM queue_events WHERE seq > ? ORDER BY seq LIMIT ?"));
  stmt.Bind(1, after_seq).Bind(2, static_cast<int64_t>(limit));
  while (true) {
    BINQ_ASSIGN_OR_RETURN(row, stmt.Step());
    if (!row) break;
    v1::QueueEvent event;
    if (!event.ParseFromString(stmt.ColumnBlob(1))) {
      return absl::DataLossError(
          absl::StrCat("queue event #", stmt.ColumnInt(0), " in the store does not parse"));
    }
    out.events.push_back(std::move(event));
  }
  return out;
}

}  // namespace binq::server
