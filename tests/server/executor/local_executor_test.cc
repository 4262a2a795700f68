// The local executor with real processes: exit codes and signals, SIGTERM
// then SIGKILL after the grace, process groups, the worker's environment,
// and its log.
#include "server/executor/local_executor.h"

#include <signal.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "server/executor/log_tail.h"
#include "server/executor/worker_command.h"
#include "tests/testing/status_matchers.h"
#include "tests/testing/subprocess.h"

namespace binq::server {
namespace {

using ::binq::testing::StatusIs;
using ::testing::AllOf;
using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::Not;

std::string ReadAll(const std::string& path) {
  std::ifstream in(path);
  std::stringstream s;
  s << in.rdbuf();
  return s.str();
}

class ExecutorTest : public ::testing::Test {
 protected:
  ExecutorTest()
      : dir_(binq::testing::MakeTempDir()),
        executor_([this](const WorkerExit& e) {
          absl::MutexLock lock(&mu_);
          exits_.push_back(e);
        }) {}

  SpawnRequest Command(std::vector<std::string> argv) {
    SpawnRequest r;
    r.argv = std::move(argv);
    r.env = {"PATH=/usr/bin:/bin"};
    r.log_path = dir_ + "/worker.log";
    return r;
  }

  // The exit of (job, attempt), waiting up to 20 s.
  std::optional<WorkerExit> WaitExit(const std::string& job) {
    absl::MutexLock lock(&mu_);
    auto has = [&]() ABSL_NO_THREAD_SAFETY_ANALYSIS {
      for (const WorkerExit& e : exits_) {
        if (e.job_id == job) return true;
      }
      return false;
    };
    if (!mu_.AwaitWithTimeout(absl::Condition(&has), absl::Seconds(20))) return std::nullopt;
    for (const WorkerExit& e : exits_) {
      if (e.job_id == job) return e;
    }
    return std::nullopt;
  }

  std::string dir_;
  absl::Mutex mu_;
  std::vector<WorkerExit> exits_ ABSL_GUARDED_BY(mu_);
  LocalExecutor executor_;
};

TEST_F(ExecutorTest, ReportsExitCodes) {
  BINQ_ASSERT_OK_AND_ASSIGN(pid_t pid, executor_.Launch("j-ok", 1, Command({"/bin/true"})));
  BINQ_ASSERT_OK_AND_ASSIGN(pid_t pid2, executor_.Launch("j-fail", 3, Command({"/bin/false"})));
  const auto ok = WaitExit("j-ok");
  const auto fail = WaitExit("j-fail");
  ASSERT_TRUE(ok && fail);
  EXPECT_EQ(ok->pid, pid);
  EXPECT_EQ(ok->exit_code, 0);
  EXPECT_EQ(ok->signal, 0);
  EXPECT_EQ(fail->pid, pid2);
  EXPECT_EQ(fail->attempt, 3);
  EXPECT_EQ(fail->exit_code, 1);
  EXPECT_FALSE(fail->killed_after_grace);
  EXPECT_EQ(executor_.Running(), 0);
}

TEST_F(ExecutorTest, TerminateSendsSigtermEvenWhenTheDaemonBlocksIt) {
  // binqd blocks SIGTERM in all its threads; the worker must not inherit that.
  sigset_t term, old;
  sigemptyset(&term);
  sigaddset(&term, SIGTERM);
  pthread_sigmask(SIG_BLOCK, &term, &old);
  auto pid = executor_.Launch("j-sleep", 1, Command({"/bin/sleep", "30"}));
  pthread_sigmask(SIG_SETMASK, &old, nullptr);
  ASSERT_TRUE(pid.ok()) << pid.status();
  executor_.Terminate("j-sleep", 1, absl::Seconds(20));
  const auto exit = WaitExit("j-sleep");
  ASSERT_TRUE(exit.has_value());
  EXPECT_EQ(exit->signal, SIGTERM);
  EXPECT_EQ(exit->exit_code, -1);
  EXPECT_FALSE(exit->killed_after_grace);
}

TEST_F(ExecutorTest, SigkillAfterTheGraceForAWorkerThatIgnoresSigterm) {
  // A test-only shell stands in for a stubborn worker (binqd itself never
  // uses a shell). Its `sleep` child shares its process group.
  const std::string child_pid = dir_ + "/child.pid";
  BINQ_ASSERT_OK_AND_ASSIGN(
      pid_t pid, executor_.Launch("j-stubborn", 1,
                                  Command({"/bin/sh", "-c",
                                           "trap '' TERM; sleep 30 & echo $! > " + child_pid +
                                               "; wait; wait; wait"})));
  (void)pid;
  const absl::Time deadline = absl::Now() + absl::Seconds(10);
  while (ReadAll(child_pid).empty() && absl::Now() < deadline) absl::SleepFor(absl::Milliseconds(5));
  const pid_t child = std::stoi(ReadAll(child_pid));
  const absl::Time start = absl::Now();
  executor_.Terminate("j-stubborn", 1, absl::Milliseconds(300));
  const auto exit = WaitExit("j-stubborn");
  ASSERT_TRUE(exit.has_value());
  EXPECT_EQ(exit->signal, SIGKILL);
  EXPECT_TRUE(exit->killed_after_grace);
  EXPECT_GE(absl::Now() - start, absl::Milliseconds(300));
  // The whole group went: the child is gone too (or a zombie of init's).
  const absl::Time gone_by = absl::Now() + absl::Seconds(10);
  bool gone = false;
  while (!gone && absl::Now() < gone_by) {
    const std::string stat = ReadAll("/proc/" + std::to_string(child) + "/stat");
    gone = stat.empty() || stat.find(") Z") != std::string::npos;
    if (!gone) absl::SleepFor(absl::Milliseconds(5));
  }
  EXPECT_TRUE(gone) << "child " << child << " survived its group's SIGKILL";
}

TEST_F(ExecutorTest, KillAfterStopsALingeringWorker) {
  BINQ_ASSERT_OK_AND_ASSIGN(pid_t pid, executor_.Launch("j-linger", 1, Command({"/bin/sleep", "30"})));
  (void)pid;
  executor_.KillAfter("j-linger", 1, absl::Milliseconds(50));
  const auto exit = WaitExit("j-linger");
  ASSERT_TRUE(exit.has_value());
  EXPECT_EQ(exit->signal, SIGKILL);
  executor_.Terminate("j-linger", 1, absl::ZeroDuration());  // gone: a no-op
}

TEST_F(ExecutorTest, MissingProgramIsFailedPrecondition) {
  EXPECT_THAT(executor_.Launch("j", 1, Command({dir_ + "/no-such-binary"})).status(),
              StatusIs(absl::StatusCode::kFailedPrecondition,
                       AllOf(HasSubstr(dir_ + "/no-such-binary"), HasSubstr("--worker-binary"))));
}

TEST_F(ExecutorTest, WorkerGetsExactlyItsArgvEnvironmentAndLog) {
  WorkerAttempt a;
  a.worker_binary = "/usr/bin/env";  // prints the environment it got
  a.daemon_address = "127.0.0.1:4242";
  a.data_dir = "/data/root";
  a.job_id = "j-0123456789ab";
  a.attempt = 2;
  a.token = MakeWorkerToken();
  a.slot = Slot{SlotKind::kGpu, 3};
  a.log_path = dir_ + "/worker.log";
  const SpawnRequest request = WorkerCommand(
      a, {"PATH=/usr/bin:/bin", "HOME=/users/ada", "CUDA_VISIBLE_DEVICES=0,1,2,3",
          "BINQ_WORKER_TOKEN=stolen", "HF_HOME=/hf"});
  EXPECT_THAT(request.argv, ElementsAre("/usr/bin/env", "--worker", "--job-id", "j-0123456789ab",
                                        "--daemon", "127.0.0.1:4242", "--attempt", "2"));
  // env(1) treats "--worker" as an option; run it without the arguments.
  SpawnRequest run = request;
  run.argv = {"/usr/bin/env"};
  std::ofstream(a.log_path) << "earlier attempt's output\n";
  const int64_t offset = FileSize(a.log_path);
  ASSERT_TRUE(executor_.Launch(a.job_id, 2, run).ok());
  ASSERT_TRUE(WaitExit(a.job_id).has_value());
  const std::string log = ReadAll(a.log_path);
  EXPECT_THAT(log, HasSubstr("earlier attempt's output\n"));  // appended, not truncated
  EXPECT_THAT(log, HasSubstr("BINQ_WORKER_TOKEN=" + a.token + "\n"));
  EXPECT_THAT(log, HasSubstr("\nCUDA_VISIBLE_DEVICES=3\n"));
  EXPECT_THAT(log, HasSubstr("BINQ_DATA_DIR=/data/root\n"));
  EXPECT_THAT(log, HasSubstr("HOME=/users/ada\n"));
  EXPECT_THAT(log, HasSubstr("HF_HOME=/hf\n"));
  EXPECT_THAT(log, Not(HasSubstr("stolen")));
  EXPECT_THAT(log, Not(HasSubstr("0,1,2,3")));
  EXPECT_THAT(LogTail(a.log_path, offset, 100), Not(HasSubstr("earlier attempt")));
}

TEST(WorkerCommandTest, CpuSlotHidesEveryGpuAndTokensAreFresh) {
  WorkerAttempt a;
  a.worker_binary = "/opt/binq/bin/binq-run";
  a.slot = Slot{SlotKind::kCpu, 0};
  const SpawnRequest r = WorkerCommand(a, {});
  EXPECT_THAT(r.env, ::testing::Contains("CUDA_VISIBLE_DEVICES="));
  const std::string t1 = MakeWorkerToken(), t2 = MakeWorkerToken();
  EXPECT_THAT(t1, ::testing::MatchesRegex("[0-9a-f]{64}"));
  EXPECT_NE(t1, t2);
}

TEST(WorkerCommandTest, RecognisesOnlyItsOwnWorkerCommandLine) {
  // /proc/<pid>/cmdline: each argument followed by a NUL.
  auto cmdline = [](const std::vector<std::string>& argv) {
    std::string out;
    for (const std::string& a : argv) out += a + '\0';
    return out;
  };
  WorkerAttempt a;
  a.worker_binary = "/x/binq-run";
  a.daemon_address = "127.0.0.1:9";
  a.job_id = "j-1";
  a.attempt = 2;
  const std::string worker = cmdline(WorkerCommand(a, {}).argv);
  EXPECT_TRUE(IsWorkerCommandLine(worker, "j-1", 2));
  EXPECT_FALSE(IsWorkerCommandLine(worker, "j-1", 1));
  EXPECT_FALSE(IsWorkerCommandLine(worker, "j-12", 2));
  EXPECT_FALSE(IsWorkerCommandLine(cmdline({"/bin/sleep", "30"}), "j-1", 2));
}

TEST(LogTailTest, LastNonEmptyLinesFromTheOffset) {
  const std::string path = binq::testing::MakeTempDir() + "/log";
  std::ofstream(path) << "attempt 1\nold\n";
  const int64_t offset = FileSize(path);
  std::ofstream(path, std::ios::app) << "a\n\nb\nc\n  \nd\ne\nf\n";
  EXPECT_EQ(LogTail(path, offset, 3), "d\ne\nf");
  EXPECT_EQ(LogTail(path, offset, 100), "a\nb\nc\nd\ne\nf");
  EXPECT_EQ(LogTail(path, FileSize(path), 5), "");
  EXPECT_EQ(LogTail(path + ".missing", 0, 5), "");
  std::ofstream(path, std::ios::app) << std::string(5000, 'x') << "\n";
  const std::string tail = LogTail(path, offset, 5, 100);
  EXPECT_LE(tail.size(), 100u + 3);  // "…" is 3 bytes
  EXPECT_EQ(tail.substr(tail.size() - 10), std::string(10, 'x'));
}

}  // namespace
}  // namespace binq::server
