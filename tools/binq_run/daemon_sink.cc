#include "tools/binq_run/daemon_sink.h"

#include <algorithm>

#include <grpcpp/grpcpp.h>

#include "absl/strings/str_cat.h"
#include "proto/convert/event_convert.h"
#include "proto/convert/grpc_status.h"

namespace binq::tools {
namespace {

constexpr size_t kMaxBatch = 256;

bool Retryable(grpc::StatusCode code) {
  return code == grpc::StatusCode::UNAVAILABLE || code == grpc::StatusCode::DEADLINE_EXCEEDED ||
         code == grpc::StatusCode::RESOURCE_EXHAUSTED || code == grpc::StatusCode::ABORTED ||
         code == grpc::StatusCode::UNKNOWN || code == grpc::StatusCode::INTERNAL;
}

}  // namespace

DaemonSink::DaemonSink(v1::internal::WorkerService::StubInterface* stub, Options options)
    : stub_(stub), options_(std::move(options)), sender_([this] { SendLoop(); }) {}

DaemonSink::~DaemonSink() {
  {
    std::lock_guard<std::mutex> lock(mu_);
    stop_ = true;
  }
  changed_.notify_all();
  sender_.join();
}

void DaemonSink::Emit(const Event& event) {
  v1::internal::WorkerEvent e;
  *e.mutable_event() = api::EventToProto(event);
  e.set_time_unix(event.time);
  {
    std::lock_guard<std::mutex> lock(mu_);
    e.set_worker_seq(next_seq_++);
    pending_.push_back(std::move(e));
  }
  changed_.notify_all();
}

absl::Status DaemonSink::Flush(std::chrono::milliseconds timeout) {
  std::unique_lock<std::mutex> lock(mu_);
  changed_.notify_all();
  const bool done = changed_.wait_for(lock, timeout, [this] { return pending_.empty() || !refused_.ok(); });
  if (!refused_.ok()) return refused_;
  if (!done) {
    return absl::DeadlineExceededError(
        absl::StrCat(pending_.size(), " event(s) not yet stored by binqd"));
  }
  return absl::OkStatus();
}

void DaemonSink::SendLoop() {
  auto backoff = std::chrono::milliseconds(200);
  std::unique_lock<std::mutex> lock(mu_);
  while (!stop_) {
    changed_.wait_for(lock, options_.poll_interval, [this] { return stop_ || !pending_.empty(); });
    if (stop_ || !refused_.ok()) break;
    v1::internal::ReportEventsRequest request;
    request.set_job_id(options_.job_id);
    request.set_token(options_.token);
    request.set_attempt(options_.attempt);
    for (size_t i = 0; i < pending_.size() && i < kMaxBatch; ++i) *request.add_events() = pending_[i];
    lock.unlock();
    grpc::ClientContext context;
    context.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(30));
    v1::internal::ReportEventsResponse response;
    const grpc::Status s = stub_->ReportEvents(&context, request, &response);
    lock.lock();
    if (!s.ok()) {
      if (!Retryable(s.error_code())) {
        refused_ = api::FromGrpcStatus(s);
        changed_.notify_all();
        break;
      }
      lock.unlock();  // the daemon is away: keep everything, try again later
      std::this_thread::sleep_for(backoff);
      backoff = std::min(backoff * 2, std::chrono::milliseconds(5000));
      lock.lock();
      continue;
    }
    backoff = std::chrono::milliseconds(200);
    while (!pending_.empty() && pending_.front().worker_seq() <= response.stored_through()) {
      pending_.pop_front();
    }
    changed_.notify_all();
    if (response.cancel_requested() && !cancel_seen_) {
      cancel_seen_ = true;
      if (options_.on_cancel_requested) {
        lock.unlock();
        options_.on_cancel_requested();
        lock.lock();
      }
    }
  }
}

}  // namespace binq::tools
