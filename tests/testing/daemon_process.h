// A real binqd process for integration tests: started on 127.0.0.1:0 with
// the given flags, its address read from the "binqd listening on …" line,
// its stderr kept in a file. Stopped with SIGTERM (then SIGKILL) when
// destroyed. Plus small helpers for talking to it. Not thread-safe.
#ifndef BINQ_TESTS_TESTING_DAEMON_PROCESS_H_
#define BINQ_TESTS_TESTING_DAEMON_PROCESS_H_

#include <sys/types.h>

#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "binq/v1/binq.grpc.pb.h"
#include "grpcpp/grpcpp.h"
#include "tests/testing/files.h"  // ReadFileOrEmpty, used with these helpers

namespace binq::testing {

class DaemonProcess {
 public:
  // Runs `binqd` with `args` (add --listen 127.0.0.1:0 yourself) and waits up
  // to `timeout` for it to print its address. The error carries binqd's
  // stderr when it exits or stays silent.
  static absl::StatusOr<std::unique_ptr<DaemonProcess>> Start(
      const std::string& binqd, const std::vector<std::string>& args,
      absl::Duration timeout = absl::Seconds(30));
  ~DaemonProcess();

  const std::string& address() const { return address_; }
  // The worker API's address, from binqd's log line.
  std::string WorkerAddress() const;
  pid_t pid() const { return pid_; }
  std::string Stderr() const;

  // Sends `sig` and waits up to `timeout` for the exit. Returns the exit
  // code, 128 + signal when killed, or -1 on timeout.
  int Stop(int sig, absl::Duration timeout = absl::Seconds(30));

  std::shared_ptr<grpc::Channel> Channel() const;
  std::unique_ptr<v1::BinqService::Stub> Stub() const;

 private:
  DaemonProcess() = default;
  pid_t pid_ = 0;
  int stdout_fd_ = -1;
  bool exited_ = false;
  std::string address_;
  std::string stderr_path_;
};

// Polls GetJob every 20 ms until `done(job)` or the timeout; returns the last
// job seen (or the RPC error). DEADLINE_EXCEEDED naming the job's state on
// timeout.
absl::StatusOr<v1::Job> WaitForJob(v1::BinqService::Stub& stub, const std::string& job_id,
                                   const std::function<bool(const v1::Job&)>& done,
                                   absl::Duration timeout = absl::Seconds(30));
absl::StatusOr<v1::Job> WaitForState(v1::BinqService::Stub& stub, const std::string& job_id,
                                     v1::JobState state, absl::Duration timeout = absl::Seconds(30));

struct WatchResult {
  std::vector<v1::JobEvent> events;  // heartbeats included
  grpc::Status status;
};
// WatchJob(job_id, after_seq) to the end (or `timeout`, then cancelled).
// `stop_after` > 0: cancel the call after that many non-heartbeat events.
WatchResult WatchJob(v1::BinqService::Stub& stub, const std::string& job_id, int64_t after_seq,
                     absl::Duration timeout = absl::Seconds(30), int stop_after = 0);

// Non-heartbeat events only.
std::vector<v1::JobEvent> WithoutHeartbeats(const std::vector<v1::JobEvent>& events);

// Waits until `path` exists and is non-empty.
bool WaitForFile(const std::string& path, absl::Duration timeout = absl::Seconds(30));

}  // namespace binq::testing

#endif  // BINQ_TESTS_TESTING_DAEMON_PROCESS_H_
