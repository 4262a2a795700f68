// Follows one job's events through WatchJob and survives broken streams:
// when the connection drops, the daemon restarts or ends a slow watcher, it
// reconnects with after_seq = the last seq it delivered, so the caller sees
// every event exactly once, in order (SERVICE.md "Streaming").
#ifndef BINQ_CLIENT_JOB_WATCHER_H_
#define BINQ_CLIENT_JOB_WATCHER_H_

#include <chrono>
#include <functional>
#include <memory>
#include <string>

#include <grpcpp/grpcpp.h>

#include "binq/v1/binq.grpc.pb.h"

namespace binq::client {

// A channel to the daemon with binq's keepalive settings (client pings every
// 30 s, also without calls, so idle watches notice a dead connection).
std::shared_ptr<grpc::Channel> MakeChannel(const std::string& address);

struct WatchOptions {
  int64_t after_seq = 0;
  bool no_follow = false;  // replay stored events and stop
  // Give up after this long without any successful (re)connection.
  std::chrono::seconds give_up_after{600};
  // Called with a human note when the stream breaks (once per outage, not
  // per retry) and when a reconnection delivers again (may be empty).
  std::function<void(const std::string&)> note;
  // The stub's channel, when known. Between retries the watcher then waits
  // for it to connect, so it resumes as soon as the daemon listens again;
  // without it, a client with no call in flight notices that only at gRPC's
  // backup poll (every 5 s).
  std::shared_ptr<grpc::ChannelInterface> channel;
};

struct WatchOutcome {
  grpc::Status status;      // OK when the stream ended normally
  int64_t last_seq = 0;     // seq of the last event delivered
  bool terminal = false;    // a terminal state_changed event was delivered
  binq::v1::JobState final_state = binq::v1::JOB_STATE_UNSPECIFIED;
  int reconnects = 0;
};

// Delivers every event with seq > options.after_seq to `on_event` (never
// heartbeats, never one twice). Returns when the job reached a terminal state
// and the daemon closed the stream, when no_follow replay ends, on an error
// that retrying cannot fix (NOT_FOUND, INVALID_ARGUMENT, OUT_OF_RANGE …), or
// after give_up_after of failed reconnects. Blocking; thread-compatible.
WatchOutcome WatchJob(binq::v1::BinqService::StubInterface& stub, const std::string& job_id,
                      const WatchOptions& options,
                      const std::function<void(const binq::v1::JobEvent&)>& on_event);

}  // namespace binq::client

#endif  // BINQ_CLIENT_JOB_WATCHER_H_
