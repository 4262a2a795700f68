// A thin RAII layer over the SQLite C API, and the one converter from SQLite
// result codes to absl::Status (CONVENTIONS.md "one converter per edge"):
//   SQLITE_BUSY, SQLITE_LOCKED, SQLITE_IOERR        → UNAVAILABLE
//   SQLITE_CORRUPT, SQLITE_NOTADB                   → DATA_LOSS
//   SQLITE_FULL, SQLITE_NOMEM                       → RESOURCE_EXHAUSTED
//   SQLITE_CONSTRAINT                               → ALREADY_EXISTS
//   SQLITE_CANTOPEN, SQLITE_READONLY, SQLITE_PERM   → FAILED_PRECONDITION
//   anything else                                   → INTERNAL
// Not thread-safe: the owner (JobStore) serializes every use of a SqliteDb
// and its statements.
#ifndef BINQ_SERVER_STORE_SQLITE_H_
#define BINQ_SERVER_STORE_SQLITE_H_

#include <sqlite3.h>

#include <cstdint>
#include <memory>
#include <string>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"

namespace binq::server {

// The status for SQLite result code `rc` (primary or extended); `db` (may be
// null) supplies the error message. OK for SQLITE_OK/ROW/DONE.
absl::Status SqliteStatus(int rc, sqlite3* db, absl::string_view context);

// A prepared statement. Move-only; finalized on destruction. Bind* record
// the first error, which Step() then returns.
class Statement {
 public:
  Statement(sqlite3* db, sqlite3_stmt* stmt, std::string sql);
  Statement(Statement&& other) noexcept;
  Statement& operator=(Statement&&) = delete;
  Statement(const Statement&) = delete;
  ~Statement();

  // Parameters are numbered from 1, as in SQLite.
  Statement& Bind(int index, int64_t value);
  Statement& Bind(int index, double value);
  Statement& BindText(int index, absl::string_view value);
  Statement& BindBlob(int index, absl::string_view value);
  Statement& BindNull(int index);

  // true: a row is available; false: done. Errors as SqliteStatus.
  [[nodiscard]] absl::StatusOr<bool> Step();
  // Step() expecting no row (INSERT/UPDATE/DELETE).
  [[nodiscard]] absl::Status Run();

  // Columns are numbered from 0.
  int64_t ColumnInt(int column) const;
  double ColumnDouble(int column) const;
  std::string ColumnText(int column) const;
  std::string ColumnBlob(int column) const;
  bool ColumnIsNull(int column) const;

 private:
  Statement& Check(int rc, int index);

  sqlite3* db_;
  sqlite3_stmt* stmt_;
  std::string sql_;
  absl::Status bind_error_;
};

// One SQLite connection. Opened in WAL mode with synchronous=FULL (a commit
// survives a crash of the daemon and of the machine), foreign keys on and a
// busy timeout.
class SqliteDb {
 public:
  // Creates the file when missing. DATA_LOSS when it is not an SQLite
  // database; other errors as SqliteStatus, naming `path`.
  [[nodiscard]] static absl::StatusOr<std::unique_ptr<SqliteDb>> Open(const std::string& path,
                                                                      absl::Duration busy_timeout);
  ~SqliteDb();
  SqliteDb(const SqliteDb&) = delete;
  SqliteDb& operator=(const SqliteDb&) = delete;

  // Runs one or more statements without parameters.
  [[nodiscard]] absl::Status Exec(absl::string_view sql);
  [[nodiscard]] absl::StatusOr<Statement> Prepare(absl::string_view sql);

  int64_t Changes() const;
  const std::string& path() const { return path_; }
  sqlite3* raw() const { return db_; }

 private:
  SqliteDb(sqlite3* db, std::string path) : db_(db), path_(std::move(path)) {}
  sqlite3* db_;
  std::string path_;
};

// BEGIN IMMEDIATE on construction (takes the write lock up front, so a busy
// database fails here rather than half-way); ROLLBACK on destruction unless
// Commit() succeeded.
class Transaction {
 public:
  // Check status() before using the transaction.
  explicit Transaction(SqliteDb& db);
  ~Transaction();
  const absl::Status& status() const { return begin_status_; }
  [[nodiscard]] absl::Status Commit();

 private:
  SqliteDb& db_;
  absl::Status begin_status_;
  bool open_ = false;
};

}  // namespace binq::server

#endif  // BINQ_SERVER_STORE_SQLITE_H_
