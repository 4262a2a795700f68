#include "client/job_watcher.h"

#include <algorithm>
#include <thread>

#include "absl/strings/str_cat.h"

namespace binq::client {
namespace {

bool Retryable(grpc::StatusCode code) {
  switch (code) {
    case grpc::StatusCode::UNAVAILABLE:         // connection lost, daemon restarting
    case grpc::StatusCode::RESOURCE_EXHAUSTED:  // we were too slow; resume from our seq
    case grpc::StatusCode::DEADLINE_EXCEEDED:
    case grpc::StatusCode::ABORTED:
    case grpc::StatusCode::UNKNOWN:
    case grpc::StatusCode::INTERNAL:            // e.g. a proxy resetting the stream
      return true;
    default:
      return false;
  }
}

bool IsTerminal(binq::v1::JobState s) {
  return s == binq::v1::SUCCEEDED || s == binq::v1::FAILED || s == binq::v1::CANCELLED;
}

}  // namespace

std::shared_ptr<grpc::Channel> MakeChannel(const std::string& address) {
  grpc::ChannelArguments args;
  args.SetInt(GRPC_ARG_KEEPALIVE_TIME_MS, 30000);
  args.SetInt(GRPC_ARG_KEEPALIVE_TIMEOUT_MS, 10000);
  args.SetInt(GRPC_ARG_KEEPALIVE_PERMIT_WITHOUT_CALLS, 1);
  args.SetInt(GRPC_ARG_INITIAL_RECONNECT_BACKOFF_MS, 200);
  args.SetInt(GRPC_ARG_MAX_RECONNECT_BACKOFF_MS, 2000);
  return grpc::CreateCustomChannel(address, grpc::InsecureChannelCredentials(), args);
}

WatchOutcome WatchJob(binq::v1::BinqService::StubInterface& stub, const std::string& job_id,
                      const WatchOptions& options,
                      const std::function<void(const binq::v1::JobEvent&)>& on_event) {
  using Clock = std::chrono::steady_clock;
  WatchOutcome outcome;
  outcome.last_seq = options.after_seq;
  auto failing_since = Clock::now();
  auto backoff = std::chrono::milliseconds(200);
  bool lost = false;  // a "reconnecting" note is out; say when it worked
  for (;;) {
    grpc::ClientContext context;
    binq::v1::WatchJobRequest request;
    request.set_job_id(job_id);
    request.set_after_seq(outcome.last_seq);
    request.set_no_follow(options.no_follow);
    std::unique_ptr<grpc::ClientReaderInterface<binq::v1::JobEvent>> reader =
        stub.WatchJob(&context, request);
    binq::v1::JobEvent event;
    bool received = false;
    while (reader->Read(&event)) {
      received = true;
      if (lost) {
        lost = false;
        if (options.note) options.note(absl::StrCat("reconnected; resuming after seq ", outcome.last_seq));
      }
      if (event.has_heartbeat() || event.seq() <= outcome.last_seq) continue;
      outcome.last_seq = event.seq();
      if (event.has_state_changed() && IsTerminal(event.state_changed().state())) {
        outcome.terminal = true;
        outcome.final_state = event.state_changed().state();
      }
      on_event(event);
    }
    outcome.status = reader->Finish();
    if (received) {  // the connection worked: restart the give-up clock
      failing_since = Clock::now();
      backoff = std::chrono::milliseconds(200);
    }
    if (outcome.status.ok() && (outcome.terminal || options.no_follow)) return outcome;
    if (!outcome.status.ok() && !Retryable(outcome.status.error_code())) return outcome;
    if (Clock::now() - failing_since > options.give_up_after) return outcome;
    ++outcome.reconnects;
    // One note per outage, not one per retry: the retries are the watcher's
    // business.
    if (options.note && !lost) {
      options.note(absl::StrCat("stream ended (", outcome.status.ok() ? "OK" : outcome.status.error_message(),
                                "); reconnecting after seq ", outcome.last_seq, "…"));
    }
    lost = true;
    const auto waited_from = Clock::now();
    if (options.channel != nullptr) {
      // Returns once connected (the daemon is back) or after `backoff`.
      (void)options.channel->WaitForConnected(std::chrono::system_clock::now() + backoff);
    }
    // Never spin: an error from a daemon that is up still waits a little.
    const auto min_wait = std::min(backoff, std::chrono::milliseconds(200));
    if (const auto waited = Clock::now() - waited_from; waited < min_wait) {
      std::this_thread::sleep_for(min_wait - waited);
    }
    backoff = std::min(backoff * 2, std::chrono::milliseconds(5000));
  }
}

}  // namespace binq::client
