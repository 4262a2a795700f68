#include "server/store/schema.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "server/store/job_store.h"
#include "tests/testing/status_matchers.h"
#include "tests/testing/subprocess.h"

namespace binq::server {
namespace {

using ::binq::testing::IsOk;
using ::binq::testing::IsOkAndHolds;
using ::binq::testing::StatusIs;
using ::testing::HasSubstr;

std::string NewDbPath() { return binq::testing::MakeTempDir() + "/binq.db"; }

TEST(SchemaTest, MigrationsAreNumberedWithoutGaps) {
  int expected = 1;
  for (const Migration& m : Migrations()) EXPECT_EQ(m.version, expected++) << m.description;
  EXPECT_EQ(LatestSchemaVersion(), expected - 1);
}

TEST(SchemaTest, VersionOneDatabaseIsMigratedWithItsJobs) {
  const std::string path = NewDbPath();
  {
    BINQ_ASSERT_OK_AND_ASSIGN(auto db, SqliteDb::Open(path, absl::Seconds(1)));
    ASSERT_THAT(MigrateSchema(*db, 1), IsOk());
    EXPECT_THAT(ReadSchemaVersion(*db), IsOkAndHolds(1));
    // A job as the first schema stored it.
    ASSERT_THAT(db->Exec(R"sql(
      INSERT INTO jobs (id, submit_order, request_id, user, priority, spec, state, attempt,
                        create_time, last_seq, output_dir)
      VALUES ('j-old', 1, 'req-1', 'ada', 0,
              '{"model": "/m", "technique": "braq", "blocksize": 64}', 'QUEUED', 1, 5.0, 1,
              '/s/jobs/j-old');
      INSERT INTO events (job_id, seq, time, type, payload) VALUES ('j-old', 1, 5.0, 'state_changed', x'');
    )sql"),
                IsOk());
  }
  JobStore::Options options;
  options.path = path;
  BINQ_ASSERT_OK_AND_ASSIGN(auto store, JobStore::Open(options));
  BINQ_ASSERT_OK_AND_ASSIGN(JobRecord job, store->GetJob("j-old"));
  EXPECT_EQ(job.spec.technique, "braq");
  EXPECT_EQ(job.spec.technique_options.at("blocksize"), OptionValue(int64_t{64}));  // the old field, folded in
  EXPECT_EQ(job.spec.request_id, "req-1");
  EXPECT_EQ(job.state, JobState::kQueued);
  EXPECT_FALSE(job.progress.stage.has_value());  // the new columns' defaults
  EXPECT_TRUE(job.perplexity.empty());
  EXPECT_EQ(job.worker_seq_through, 0);
  // The new tables work: a change with a queue event and usage commits.
  ASSERT_THAT(store
                  ->MutateJob("j-old",
                              [](JobRecord& j, JobChange& change) {
                                j.progress.stage = Stage::kLoading;
                                change.queue_event.emplace().mutable_progress();
                                change.usage = UsageCharge{"ada", 3, 10};
                                return absl::OkStatus();
                              })
                  .status(),
              IsOk());
  BINQ_ASSERT_OK_AND_ASSIGN(auto usage, store->LoadUsage());
  EXPECT_DOUBLE_EQ(usage["ada"].slot_seconds, 3);
  store.reset();
  BINQ_ASSERT_OK_AND_ASSIGN(auto db, SqliteDb::Open(path, absl::Seconds(1)));
  EXPECT_THAT(ReadSchemaVersion(*db), IsOkAndHolds(LatestSchemaVersion()));
}

TEST(SchemaTest, NewerDatabaseIsRefused) {
  const std::string path = NewDbPath();
  {
    BINQ_ASSERT_OK_AND_ASSIGN(auto db, SqliteDb::Open(path, absl::Seconds(1)));
    ASSERT_THAT(MigrateSchema(*db), IsOk());
    ASSERT_THAT(db->Exec("UPDATE schema_version SET version = 99"), IsOk());
  }
  JobStore::Options options;
  options.path = path;
  EXPECT_THAT(JobStore::Open(options).status(),
              StatusIs(absl::StatusCode::kFailedPrecondition,
                       HasSubstr("schema version 99 is newer than this binqd knows")));
}

TEST(SchemaTest, ForeignDatabaseIsRefused) {
  const std::string path = NewDbPath();
  {
    BINQ_ASSERT_OK_AND_ASSIGN(auto db, SqliteDb::Open(path, absl::Seconds(1)));
    ASSERT_THAT(db->Exec("CREATE TABLE photos (id INTEGER)"), IsOk());
  }
  JobStore::Options options;
  options.path = path;
  EXPECT_THAT(JobStore::Open(options).status(),
              StatusIs(absl::StatusCode::kFailedPrecondition, HasSubstr("not a binqd database")));
}

TEST(SqliteStatusTest, CodesMapToTheirMeaning) {
  EXPECT_THAT(SqliteStatus(SQLITE_OK, nullptr, "x"), IsOk());
  EXPECT_THAT(SqliteStatus(SQLITE_BUSY, nullptr, "x"), StatusIs(absl::StatusCode::kUnavailable, HasSubstr("x")));
  EXPECT_THAT(SqliteStatus(SQLITE_LOCKED, nullptr, "x"), StatusIs(absl::StatusCode::kUnavailable, HasSubstr("x")));
  EXPECT_THAT(SqliteStatus(SQLITE_CORRUPT, nullptr, "x"), StatusIs(absl::StatusCode::kDataLoss, HasSubstr("x")));
  EXPECT_THAT(SqliteStatus(SQLITE_NOTADB, nullptr, "x"), StatusIs(absl::StatusCode::kDataLoss, HasSubstr("x")));
  EXPECT_THAT(SqliteStatus(SQLITE_FULL, nullptr, "x"),
              StatusIs(absl::StatusCode::kResourceExhausted, HasSubstr("x")));
  EXPECT_THAT(SqliteStatus(SQLITE_CONSTRAINT_UNIQUE, nullptr, "x"),
              StatusIs(absl::StatusCode::kAlreadyExists, HasSubstr("x")));
  EXPECT_THAT(SqliteStatus(SQLITE_IOERR_FSYNC, nullptr, "x"),
              StatusIs(absl::StatusCode::kUnavailable, HasSubstr("x")));
  EXPECT_THAT(SqliteStatus(SQLITE_MISUSE, nullptr, "x"), StatusIs(absl::StatusCode::kInternal, HasSubstr("x")));
}

}  // namespace
}  // namespace binq::server
