#include "tools/binq_run/worker_command.h"

#include <atomic>
#include <csignal>
#include <cstdlib>
#include <iostream>
#include <thread>

#include <grpcpp/grpcpp.h>

#include "absl/strings/str_cat.h"
#include "binq/v1/worker.grpc.pb.h"
#include "core/base/cancel_token.h"
#include "core/base/exit_codes.h"
#include "core/base/status_macros.h"
#include "core/pipeline/job_runner.h"
#include "proto/convert/grpc_status.h"
#include "proto/convert/spec_convert.h"
#include "tools/binq_run/console_sink.h"
#include "tools/binq_run/daemon_sink.h"
#include "tools/binq_run/signal_watch.h"

namespace binq::tools {
namespace {

// StartWork, retried while the daemon is briefly unreachable.
absl::StatusOr<v1::internal::StartWorkResponse> StartWork(v1::internal::WorkerService::Stub& stub,
                                                          const WorkerCommand& c, const std::string& token) {
  v1::internal::StartWorkRequest request;
  request.set_job_id(c.job_id);
  request.set_token(token);
  request.set_attempt(c.attempt);
  grpc::Status s;
  for (int tries = 0; tries < 20; ++tries) {
    grpc::ClientContext context;
    context.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(10));
    v1::internal::StartWorkResponse response;
    s = stub.StartWork(&context, request, &response);
    if (s.ok()) return response;
    if (s.error_code() != grpc::StatusCode::UNAVAILABLE) break;
    std::this_thread::sleep_for(std::chrono::milliseconds(250 * (tries + 1)));
  }
  return WithContext(api::FromGrpcStatus(s), "StartWork");
}

}  // namespace

int RunWorkerCommand(const WorkerCommand& c) {
  const char* token = std::getenv("BINQ_WORKER_TOKEN");
  if (token == nullptr || *token == '\0') {
    std::cerr << "binq-run --worker: BINQ_WORKER_TOKEN is not set (binqd sets it for the workers it starts)\n";
    return kExitUsage;
  }
  std::cerr << "binq-run worker: job " << c.job_id << " attempt " << c.attempt << ", daemon " << c.daemon
            << ", CUDA_VISIBLE_DEVICES=" << (std::getenv("CUDA_VISIBLE_DEVICES") ? std::getenv("CUDA_VISIBLE_DEVICES") : "<unset>")
            << "\n";
  auto stub = v1::internal::WorkerService::NewStub(
      grpc::CreateChannel(c.daemon, grpc::InsecureChannelCredentials()));
  auto work = StartWork(*stub, c, token);
  if (!work.ok()) {
    std::cerr << "binq-run worker: " << work.status().message() << "\n";
    return ExitCodeFor(work.status());
  }
  const absl::StatusOr<JobSpec> received = api::SpecFromProto(work->spec());
  if (!received.ok()) {
    std::cerr << "binq-run worker: " << received.status().message() << "\n";
    return ExitCodeFor(received.status());
  }
  const JobSpec& spec = *received;

  CancelToken cancel;
  std::atomic<bool> terminated{false};
  SignalWatch watch([&](int signal) {
    std::cerr << "binq-run worker: " << (signal == SIGTERM ? "SIGTERM" : "SIGINT")
              << "; stopping at the next step\n";
    terminated = true;
    cancel.Cancel();
  });
  DaemonSink::Options sink_options;
  sink_options.job_id = c.job_id;
  sink_options.token = token;
  sink_options.attempt = c.attempt;
  sink_options.on_cancel_requested = [&] {
    std::cerr << "binq-run worker: binqd asks to cancel; stopping at the next step\n";
    cancel.Cancel();
  };
  DaemonSink daemon_sink(stub.get(), sink_options);
  // The log (worker.log) gets plain lines of every event too.
  ConsoleSink log(std::cerr, /*terminal=*/false, /*json=*/false);
  TeeSink sink({&daemon_sink, &log});

  core::RunOptions options;
  options.output_dir = work->output_dir();
  options.data_dir = work->data_dir();
  auto result = core::RunJob(spec, options, sink, &cancel);
  absl::Status status = result.ok() ? absl::OkStatus() : result.status();
  if (!status.ok()) std::cerr << "binq-run worker: " << status.message() << "\n";

  // Deliver every event before saying how it ended.
  if (absl::Status flushed = daemon_sink.Flush(std::chrono::seconds(60)); !flushed.ok()) {
    std::cerr << "binq-run worker: events not delivered: " << flushed.message() << "\n";
  }
  v1::internal::FinishWorkRequest finish;
  finish.set_job_id(c.job_id);
  finish.set_token(token);
  finish.set_attempt(c.attempt);
  finish.set_status_code(static_cast<int>(status.code()));
  finish.set_message(std::string(status.message()));
  grpc::ClientContext context;
  context.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(30));
  v1::internal::FinishWorkResponse finished;
  if (grpc::Status s = stub->FinishWork(&context, finish, &finished); !s.ok()) {
    std::cerr << "binq-run worker: FinishWork: " << s.error_message() << "\n";
  }
  if (terminated && status.code() == absl::StatusCode::kCancelled) return kExitInterrupted;
  return ExitCodeFor(status);
}

}  // namespace binq::tools
