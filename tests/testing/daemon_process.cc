#include "tests/testing/daemon_process.h"

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <regex>
#include <sstream>
#include <thread>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/strip.h"
#include "absl/time/clock.h"
#include "tests/testing/subprocess.h"

extern char** environ;

namespace binq::testing {

absl::StatusOr<std::unique_ptr<DaemonProcess>> DaemonProcess::Start(
    const std::string& binqd, const std::vector<std::string>& args, absl::Duration timeout) {
  std::unique_ptr<DaemonProcess> d(new DaemonProcess());
  d->stderr_path_ = MakeTempDir() + "/binqd.stderr";
  int out_pipe[2];
  if (::pipe2(out_pipe, O_CLOEXEC) != 0) return absl::InternalError("pipe2 failed");
  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  posix_spawn_file_actions_adddup2(&actions, out_pipe[1], 1);
  posix_spawn_file_actions_addopen(&actions, 2, d->stderr_path_.c_str(),
                                   O_WRONLY | O_CREAT | O_TRUNC, 0644);
  std::vector<std::string> argv = {binqd};
  argv.insert(argv.end(), args.begin(), args.end());
  std::vector<char*> cargv;
  for (std::string& a : argv) cargv.push_back(a.data());
  cargv.push_back(nullptr);
  const int rc = posix_spawn(&d->pid_, binqd.c_str(), &actions, nullptr, cargv.data(), environ);
  posix_spawn_file_actions_destroy(&actions);
  ::close(out_pipe[1]);
  d->stdout_fd_ = out_pipe[0];
  if (rc != 0) return absl::InternalError(absl::StrCat("posix_spawn ", binqd, ": ", strerror(rc)));

  std::string out;
  const absl::Time deadline = absl::Now() + timeout;
  while (true) {
    if (const size_t nl = out.find('\n'); nl != std::string::npos) {
      absl::string_view line(out.data(), nl);
      if (absl::ConsumePrefix(&line, "binqd listening on ")) {
        d->address_ = std::string(line);
        return d;
      }
      out.erase(0, nl + 1);
      continue;
    }
    const absl::Duration left = deadline - absl::Now();
    if (left <= absl::ZeroDuration()) {
      return absl::DeadlineExceededError(
          absl::StrCat("binqd printed no address within ", absl::FormatDuration(timeout),
                       "; stderr:\n", d->Stderr()));
    }
    pollfd p{d->stdout_fd_, POLLIN, 0};
    if (::poll(&p, 1, static_cast<int>(absl::ToInt64Milliseconds(left))) <= 0) continue;
    char buffer[512];
    const ssize_t n = ::read(d->stdout_fd_, buffer, sizeof(buffer));
    if (n <= 0) {
      int status = 0;
      ::waitpid(d->pid_, &status, 0);
      d->exited_ = true;
      return absl::FailedPreconditionError(absl::StrCat(
          "binqd exited (status ", status, ") before listening; stderr:\n", d->Stderr()));
    }
    out.append(buffer, static_cast<size_t>(n));
  }
}

DaemonProcess::~DaemonProcess() {
  if (!exited_ && pid_ > 0 && Stop(SIGTERM, absl::Seconds(30)) == -1) Stop(SIGKILL);
  if (stdout_fd_ >= 0) ::close(stdout_fd_);
}

std::string DaemonProcess::Stderr() const { return ReadFileOrEmpty(stderr_path_); }

std::string DaemonProcess::WorkerAddress() const {
  static const std::regex kLine("worker API on ([0-9.]+:[0-9]+)");
  std::smatch m;
  const std::string err = Stderr();
  return std::regex_search(err, m, kLine) ? m[1].str() : "";
}

int DaemonProcess::Stop(int sig, absl::Duration timeout) {
  if (exited_) return -1;
  ::kill(pid_, sig);
  const absl::Time deadline = absl::Now() + timeout;
  while (true) {
    int status = 0;
    const pid_t r = ::waitpid(pid_, &status, WNOHANG);
    if (r == pid_) {
      exited_ = true;
      if (WIFEXITED(status)) return WEXITSTATUS(status);
      return 128 + WTERMSIG(status);
    }
    if (absl::Now() > deadline) return -1;
    absl::SleepFor(absl::Milliseconds(10));
  }
}

std::shared_ptr<grpc::Channel> DaemonProcess::Channel() const {
  return grpc::CreateChannel(address_, grpc::InsecureChannelCredentials());
}

std::unique_ptr<v1::BinqService::Stub> DaemonProcess::Stub() const {
  return v1::BinqService::NewStub(Channel());
}

absl::StatusOr<v1::Job> WaitForJob(v1::BinqService::Stub& stub, const std::string& job_id,
                                   const std::function<bool(const v1::Job&)>& done,
                                   absl::Duration timeout) {
  const absl::Time deadline = absl::Now() + timeout;
  v1::Job job;
  while (true) {
    grpc::ClientContext ctx;
    ctx.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(5));
    v1::GetJobRequest req;
    req.set_job_id(job_id);
    const grpc::Status s = stub.GetJob(&ctx, req, &job);
    if (!s.ok()) {
      return absl::Status(static_cast<absl::StatusCode>(s.error_code()), s.error_message());
    }
    if (done(job)) return job;
    if (absl::Now() > deadline) {
      return absl::DeadlineExceededError(absl::StrCat("job ", job_id, " still ",
                                                      v1::JobState_Name(job.state()), " after ",
                                                      absl::FormatDuration(timeout), ": ",
                                                      job.ShortDebugString()));
    }
    absl::SleepFor(absl::Milliseconds(20));
  }
}

absl::StatusOr<v1::Job> WaitForState(v1::BinqService::Stub& stub, const std::string& job_id,
                                     v1::JobState state, absl::Duration timeout) {
  return WaitForJob(stub, job_id, [state](const v1::Job& j) { return j.state() == state; }, timeout);
}

WatchResult WatchJob(v1::BinqService::Stub& stub, const std::string& job_id, int64_t after_seq,
                     absl::Duration timeout, int stop_after) {
  WatchResult result;
  grpc::ClientContext ctx;
  ctx.set_deadline(std::chrono::system_clock::now() +
                   std::chrono::milliseconds(absl::ToInt64Milliseconds(timeout)));
  v1::WatchJobRequest req;
  req.set_job_id(job_id);
  req.set_after_seq(after_seq);
  std::unique_ptr<grpc::ClientReader<v1::JobEvent>> reader = stub.WatchJob(&ctx, req);
  v1::JobEvent event;
  int seen = 0;
  while (reader->Read(&event)) {
    result.events.push_back(event);
    if (!event.has_heartbeat() && stop_after > 0 && ++seen >= stop_after) {
      ctx.TryCancel();
      while (reader->Read(&event)) {
      }  // drain what was in flight
      break;
    }
  }
  result.status = reader->Finish();
  if (stop_after > 0) {
    // Events after the cut are not the caller's: keep exactly stop_after.
    std::vector<v1::JobEvent> kept;
    int n = 0;
    for (const v1::JobEvent& e : result.events) {
      if (!e.has_heartbeat() && n++ >= stop_after) break;
      kept.push_back(e);
    }
    result.events = std::move(kept);
  }
  return result;
}

std::vector<v1::JobEvent> WithoutHeartbeats(const std::vector<v1::JobEvent>& events) {
  std::vector<v1::JobEvent> out;
  for (const v1::JobEvent& e : events) {
    if (!e.has_heartbeat()) out.push_back(e);
  }
  return out;
}

bool WaitForFile(const std::string& path, absl::Duration timeout) {
  const absl::Time deadline = absl::Now() + timeout;
  while (absl::Now() < deadline) {
    std::error_code ec;
    if (std::filesystem::file_size(path, ec) > 0 && !ec) return true;
    absl::SleepFor(absl::Milliseconds(10));
  }
  return false;
}

}  // namespace binq::testing
