#include "server/store/schema.h"

#include "absl/strings/str_cat.h"
#include "core/base/status_macros.h"
#include "spdlog/spdlog.h"

namespace binq::server {

const std::vector<Migration>& Migrations() {
  static const auto* const kMigrations = new std::vector<Migration>{
      {1, "jobs and their events",
       R"sql(
CREATE TABLE schema_version (version INTEGER NOT NULL);
INSERT INTO schema_version (version) VALUES (0);
CREATE TABLE jobs (
  id               TEXT PRIMARY KEY NOT NULL,
  submit_order     INTEGER NOT NULL UNIQUE,
  request_id       TEXT,
  user             TEXT NOT NULL,
  priority         INTEGER NOT NULL,
  spec             TEXT NOT NULL,              -- JobSpec JSON, defaults filled
  state            TEXT NOT NULL,              -- QUEUED, RUNNING, …
  failure_reason   TEXT NOT NULL DEFAULT '',
  failure_message  TEXT NOT NULL DEFAULT '',
  attempt          INTEGER NOT NULL DEFAULT 1,
  create_time      REAL NOT NULL,
  start_time       REAL NOT NULL DEFAULT 0,
  end_time         REAL NOT NULL DEFAULT 0,
  cancel_requested INTEGER NOT NULL DEFAULT 0,
  last_seq         INTEGER NOT NULL DEFAULT 0,
  slot             TEXT NOT NULL DEFAULT '',
  output_dir       TEXT NOT NULL
);
CREATE UNIQUE INDEX jobs_by_request_id ON jobs (request_id) WHERE request_id IS NOT NULL;
CREATE INDEX jobs_by_state ON jobs (state, submit_order);
CREATE TABLE events (
  job_id  TEXT NOT NULL,
  seq     INTEGER NOT NULL,
  time    REAL NOT NULL,
  type    TEXT NOT NULL,
  payload BLOB NOT NULL,                       -- serialized binq.v1.JobEvent
  PRIMARY KEY (job_id, seq)
) WITHOUT ROWID;
)sql"},
      {2, "progress columns, worker bookkeeping, fair-share usage, the queue feed",
       R"sql(
ALTER TABLE jobs ADD COLUMN progress_stage TEXT NOT NULL DEFAULT '';
ALTER TABLE jobs ADD COLUMN progress_block INTEGER NOT NULL DEFAULT 0;
ALTER TABLE jobs ADD COLUMN progress_num_blocks INTEGER NOT NULL DEFAULT 0;
ALTER TABLE jobs ADD COLUMN progress_percent REAL NOT NULL DEFAULT 0;
ALTER TABLE jobs ADD COLUMN progress_eta_seconds REAL NOT NULL DEFAULT 0;
ALTER TABLE jobs ADD COLUMN progress_peak_memory_bytes INTEGER NOT NULL DEFAULT 0;
ALTER TABLE jobs ADD COLUMN progress_detail TEXT NOT NULL DEFAULT '';
ALTER TABLE jobs ADD COLUMN perplexity TEXT NOT NULL DEFAULT '{}';
ALTER TABLE jobs ADD COLUMN worker_seq_through INTEGER NOT NULL DEFAULT 0;
ALTER TABLE jobs ADD COLUMN worker_pid INTEGER NOT NULL DEFAULT 0;
CREATE TABLE usage (
  user        TEXT PRIMARY KEY NOT NULL,
  gpu_seconds REAL NOT NULL,                   -- decayed slot-seconds as of as_of
  as_of       REAL NOT NULL
);
CREATE TABLE queue_events (
  seq     INTEGER PRIMARY KEY NOT NULL,        -- the global queue sequence
  time    REAL NOT NULL,
  job_id  TEXT NOT NULL,
  payload BLOB NOT NULL                        -- serialized binq.v1.QueueEvent
);
CREATE TABLE counters (name TEXT PRIMARY KEY NOT NULL, value INTEGER NOT NULL);
INSERT INTO counters (name, value) VALUES ('queue_seq', 0);
)sql"},
  };
  return *kMigrations;
}

int LatestSchemaVersion() { return Migrations().back().version; }

absl::StatusOr<int> ReadSchemaVersion(SqliteDb& db) {
  BINQ_ASSIGN_OR_RETURN(
      Statement has_table,
      db.Prepare("SELECT count(*) FROM sqlite_master WHERE type = 'table' AND name = 'schema_version'"));
  BINQ_ASSIGN_OR_RETURN(bool row, has_table.Step());
  if (!row || has_table.ColumnInt(0) == 0) {
    BINQ_ASSIGN_OR_RETURN(Statement tables,
                          db.Prepare("SELECT count(*) FROM sqlite_master WHERE type = 'table'"));
    BINQ_ASSIGN_OR_RETURN(row, tables.Step());
    if (row && tables.ColumnInt(0) > 0) {
      return absl::FailedPreconditionError(absl::StrCat(
          db.path(), ": holds tables but no schema_version; not a binqd database"));
    }
    return 0;
  }
  BINQ_ASSIGN_OR_RETURN(Statement version, db.Prepare("SELECT version FROM schema_version"));
  BINQ_ASSIGN_OR_RETURN(row, version.Step());
  if (!row) return absl::DataLossError(absl::StrCat(db.path(), ": schema_version is empty"));
  return static_cast<int>(version.ColumnInt(0));
}

absl::Status MigrateSchema(SqliteDb& db) { return MigrateSchema(db, LatestSchemaVersion()); }

absl::Status MigrateSchema(SqliteDb& db, int target) {
  Transaction txn(db);
  BINQ_RETURN_IF_ERROR(txn.status());
  BINQ_ASSIGN_OR_RETURN(const int current, ReadSchemaVersion(db));
  if (current > target) {
    return absl::FailedPreconditionError(
        absl::StrCat(db.path(), ": schema version ", current, " is newer than this binqd knows (",
                     target, "); run a newer binqd"));
  }
  if (current == target) return absl::OkStatus();
  for (const Migration& m : Migrations()) {
    if (m.version <= current || m.version > target) continue;
    spdlog::info("store: migrating {} to schema v{}: {}", db.path(), m.version, m.description);
    BINQ_RETURN_IF_ERROR(WithContext(db.Exec(m.sql), absl::StrCat("schema migration ", m.version)));
    BINQ_ASSIGN_OR_RETURN(Statement set, db.Prepare("UPDATE schema_version SET version = ?"));
    BINQ_RETURN_IF_ERROR(set.Bind(1, static_cast<int64_t>(m.version)).Run());
  }
  return txn.Commit();
}

}  // namespace binq::server
