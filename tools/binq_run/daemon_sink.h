// DaemonSink: the worker's EventSink. Events are numbered (worker_seq 1, 2,
// 3 …) and queued; a sender thread delivers them to binqd's WorkerService
// in batches (ReportEvents), retrying with backoff while the daemon is
// unreachable and never dropping one — the daemon stores each worker_seq
// once, so resending after a broken connection is safe. The same calls (an
// empty batch when idle) tell the worker that its job was cancelled.
//
// Thread-safety: Emit from any thread; the rest from the owning thread.
#ifndef BINQ_TOOLS_BINQ_RUN_DAEMON_SINK_H_
#define BINQ_TOOLS_BINQ_RUN_DAEMON_SINK_H_

#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <deque>
#include <functional>
#include <mutex>
#include <string>
#include <thread>

#include "absl/status/status.h"
#include "binq/v1/worker.grpc.pb.h"
#include "core/base/event.h"

namespace binq::tools {

class DaemonSink final : public EventSink {
 public:
  struct Options {
    std::string job_id;
    std::string token;
    int attempt = 1;
    std::chrono::milliseconds poll_interval{1000};  // empty reports while idle
    std::function<void()> on_cancel_requested;      // called once, from the sender thread
  };
  DaemonSink(v1::internal::WorkerService::StubInterface* stub, Options options);
  ~DaemonSink() override;  // stops the sender (Flush first to deliver the rest)

  void Emit(const Event& event) override;
  using EventSink::Emit;

  // Waits until every event emitted so far is stored by the daemon, or
  // `timeout` passes. DEADLINE_EXCEEDED with the count still pending, or the
  // daemon's refusal (e.g. FAILED_PRECONDITION for a stale attempt).
  [[nodiscard]] absl::Status Flush(std::chrono::milliseconds timeout);

 private:
  void SendLoop();

  v1::internal::WorkerService::StubInterface* const stub_;
  const Options options_;
  std::mutex mu_;
  std::condition_variable changed_;
  std::deque<v1::internal::WorkerEvent> pending_;  // not yet stored by the daemon
  int64_t next_seq_ = 1;
  absl::Status refused_;  // a non-retryable answer; the sender stops
  bool stop_ = false;
  bool cancel_seen_ = false;
  std::thread sender_;
};

}  // namespace binq::tools

#endif  // BINQ_TOOLS_BINQ_RUN_DAEMON_SINK_H_
