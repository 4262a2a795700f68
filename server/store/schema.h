// binqd's database schema as an ordered list of migrations. A database
// records the version it is at in `schema_version`; opening it applies the
// missing migrations in one transaction, so a crash mid-way leaves the old
// version intact. Never edit a migration that has shipped: add one.
#ifndef BINQ_SERVER_STORE_SCHEMA_H_
#define BINQ_SERVER_STORE_SCHEMA_H_

#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "server/store/sqlite.h"

namespace binq::server {

struct Migration {
  int version;              // 1, 2, … without gaps
  const char* description;  // for the log
  const char* sql;
};

// Every migration, oldest first.
const std::vector<Migration>& Migrations();
int LatestSchemaVersion();

// The database's version: 0 for an empty database. FAILED_PRECONDITION when
// the file holds tables but no schema_version (not a binqd database).
[[nodiscard]] absl::StatusOr<int> ReadSchemaVersion(SqliteDb& db);

// Brings the database to `target` (default: the latest) in one transaction.
// FAILED_PRECONDITION when the database is newer than `target` (made by a
// newer binqd; never downgraded). Store errors as SqliteStatus.
[[nodiscard]] absl::Status MigrateSchema(SqliteDb& db, int target);
[[nodiscard]] absl::Status MigrateSchema(SqliteDb& db);

}  // namespace binq::server

#endif  // BINQ_SERVER_STORE_SCHEMA_H_
