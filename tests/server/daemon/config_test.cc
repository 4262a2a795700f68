#include "server/daemon/config.h"

#include <fstream>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "server/daemon/state_dir.h"
#include "tests/testing/status_matchers.h"
#include "tests/testing/subprocess.h"

namespace binq::server {
namespace {

using ::binq::testing::IsOkAndHolds;
using ::binq::testing::StatusIs;
using ::testing::AllOf;
using ::testing::HasSubstr;

absl::StatusOr<DaemonConfig> Parse(std::vector<std::string> args) {
  args.insert(args.begin(), "binqd");
  absl::StatusOr<ParsedCommandLine> parsed = ParseDaemonCommandLine(args);
  if (!parsed.ok()) return parsed.status();
  return parsed->config;
}

std::string WriteConfig(const std::string& text) {
  const std::string path = binq::testing::MakeTempDir() + "/binqd.conf";
  std::ofstream(path) << text;
  return path;
}

TEST(ConfigTest, DefaultsAreLoopbackAndSane) {
  BINQ_ASSERT_OK_AND_ASSIGN(DaemonConfig c, Parse({}));
  EXPECT_EQ(c.listen, "127.0.0.1:7411");
  EXPECT_EQ(c.worker_listen, "127.0.0.1:0");
  EXPECT_EQ(c.cpu_slots, 1);
  EXPECT_EQ(c.cancel_grace, absl::Seconds(10));
  EXPECT_EQ(c.heartbeat_interval, absl::Seconds(5));
  EXPECT_FALSE(c.state_dir.empty());
  EXPECT_FALSE(c.data_dir.empty());
  EXPECT_THAT(c.worker_binary, HasSubstr("binq-run"));
}

TEST(ConfigTest, FlagsInBothSpellings) {
  BINQ_ASSERT_OK_AND_ASSIGN(
      DaemonConfig c, Parse({"--listen", "127.0.0.1:0", "--gpus=0,1", "--cpu-slots", "3",
                             "--cancel-grace", "250ms", "--heartbeat-interval=2", "--state-dir",
                             "/s", "--fair-share-half-life", "2d", "--watch-buffer", "64"}));
  EXPECT_EQ(c.listen, "127.0.0.1:0");
  EXPECT_EQ(c.gpus, "0,1");
  EXPECT_EQ(c.cpu_slots, 3);
  EXPECT_EQ(c.cancel_grace, absl::Milliseconds(250));
  EXPECT_EQ(c.heartbeat_interval, absl::Seconds(2));
  EXPECT_EQ(c.state_dir, "/s");
  EXPECT_EQ(c.fair_share_half_life, absl::Hours(48));
  EXPECT_EQ(c.watch_buffer, 64);
}

TEST(ConfigTest, JsonConfigFileWithFlagsWinning) {
  const std::string path = WriteConfig(R"({"listen": "127.0.0.1:9000", "cpu_slots": 4,
                                           "cancel-grace": "3s", "data-dir": "/data"})");
  BINQ_ASSERT_OK_AND_ASSIGN(DaemonConfig c, Parse({"--config", path, "--cpu-slots", "2"}));
  EXPECT_EQ(c.listen, "127.0.0.1:9000");
  EXPECT_EQ(c.cpu_slots, 2);  // the command line wins
  EXPECT_EQ(c.cancel_grace, absl::Seconds(3));
  EXPECT_EQ(c.data_dir, "/data");
  EXPECT_EQ(c.config_file, path);
}

TEST(ConfigTest, KeyValueConfigFile) {
  const std::string path = WriteConfig(
      "# binqd settings\n"
      "state-dir = /var/lib/binq\n"
      "\n"
      "gpus = \"none\"\n"
      "heartbeat_interval=1s\n");
  BINQ_ASSERT_OK_AND_ASSIGN(DaemonConfig c, Parse({"--config=" + path}));
  EXPECT_EQ(c.state_dir, "/var/lib/binq");
  EXPECT_EQ(c.gpus, "none");
  EXPECT_EQ(c.heartbeat_interval, absl::Seconds(1));
}

TEST(ConfigTest, ErrorsNameTheFlagOrTheFileAndKey) {
  EXPECT_THAT(Parse({"--cancel-grace", "soon"}),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("--cancel-grace: expected a duration")));
  EXPECT_THAT(Parse({"--cpu-slots", "-1"}),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("--cpu-slots: must be ≥ 0")));
  EXPECT_THAT(Parse({"--colour", "blue"}),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("--colour: unknown flag")));
  EXPECT_THAT(Parse({"--listen"}),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("--listen: needs a value")));
  EXPECT_THAT(Parse({"stray"}), StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("stray")));
  const std::string bad_key = WriteConfig("colour = blue\n");
  EXPECT_THAT(Parse({"--config", bad_key}),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       AllOf(HasSubstr(bad_key), HasSubstr("colour: unknown key"))));
  const std::string bad_line = WriteConfig("listen 127.0.0.1:1\n");
  EXPECT_THAT(Parse({"--config", bad_line}),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr(bad_line + ":1: expected key = value")));
  const std::string bad_value = WriteConfig(R"({"watch-buffer": "lots"})");
  EXPECT_THAT(Parse({"--config", bad_value}),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       AllOf(HasSubstr(bad_value), HasSubstr("watch-buffer: expected an integer"))));
  EXPECT_THAT(Parse({"--config", "/no/such/binqd.conf"}),
              StatusIs(absl::StatusCode::kNotFound, HasSubstr("/no/such/binqd.conf")));
}

TEST(ConfigTest, HelpAndDurations) {
  BINQ_ASSERT_OK_AND_ASSIGN(ParsedCommandLine p, ParseDaemonCommandLine({"binqd", "--help"}));
  EXPECT_TRUE(p.help);
  EXPECT_THAT(DaemonUsage(), AllOf(HasSubstr("--listen"), HasSubstr("--cancel-grace")));
  EXPECT_THAT(ParseDurationValue("1.5"), IsOkAndHolds(absl::Milliseconds(1500)));
  EXPECT_THAT(ParseDurationValue("7d"), IsOkAndHolds(absl::Hours(168)));
  EXPECT_THAT(ParseDurationValue("2m"), IsOkAndHolds(absl::Minutes(2)));
}

TEST(StateDirLockTest, OneDaemonPerStateDir) {
  const std::string dir = binq::testing::MakeTempDir() + "/state";
  BINQ_ASSERT_OK_AND_ASSIGN(auto first, StateDirLock::Acquire(dir));
  EXPECT_THAT(StateDirLock::Acquire(dir).status(),
              StatusIs(absl::StatusCode::kFailedPrecondition, HasSubstr("in use by another binqd")));
  first.reset();
  EXPECT_TRUE(StateDirLock::Acquire(dir).ok());
}

}  // namespace
}  // namespace binq::server
