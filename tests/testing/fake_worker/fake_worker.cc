// binq-fake-worker: a fault-injecting stand-in for `binq-run --worker`, the
// only fake in binqd's tests (the real worker cannot fail on demand). It
// speaks the real worker API (proto/binq/v1/worker.proto) with the real
// command-line and environment contract (server/executor/worker_command.h):
//
//   binq-fake-worker --worker --job-id ID --daemon HOST:PORT --attempt N
//   env BINQ_WORKER_TOKEN, CUDA_VISIBLE_DEVICES, BINQ_DATA_DIR
//
// What it does is chosen by the job's model directory: its last path
// component is "fake:<mode>[:<arg>]" (a real directory with a config.json, so
// the daemon's submit validation stays strict). Modes:
//
//   ok            the full event sequence (stages, 3 blocks × 2 layers, eval,
//                 perplexity 12.5 on the calibration dataset, artifact,
//                 summary), resending one batch to exercise deduplication;
//                 FinishWork OK, exit 0. Stops on cancel_requested
//                 (FinishWork CANCELLED, exit 6) or SIGTERM (exit 8).
//   slow:<ms>     like ok, sleeping <ms> between events.
//   hang          reports LOADING, then waits; on SIGTERM reports a warning
//                 and exits 8 (interrupted), as the real worker does.
//   stubborn      like hang but ignores SIGTERM: only SIGKILL stops it. It
//                 also outlives its daemon (to test orphan handling).
//   hang-then-ok  attempt 1 behaves like hang, later attempts like ok.
//   crash         a few events, then dies by SIGSEGV (no FinishWork).
//   oom           prints a CUDA out-of-memory line and exits 5 (no FinishWork).
//   fail          FinishWork(INVALID_ARGUMENT, "dataset: …"), exit 2.
//   exit0         exits 0 without FinishWork.
//   garbage       sends malformed reports (no kind, a daemon-only kind, a
//                 worker_seq gap, a wrong token, a wrong attempt), prints what
//                 the daemon answered to each, exits 1.
//   flood:<n>     after 300 ms, n warning events of ~1 KiB in batches of
//                 100, then finishes OK.
//
// Every mode first prints its contract view to stderr (worker.log) and, after
// StartWork, writes <output_dir>/fake-worker.<attempt>.pid and .token so a
// test can signal it or impersonate it. Waiting modes poll the daemon with
// empty reports and exit when it is gone (except stubborn); every mode dies
// after 120 s at most (alarm) so no test leaves a process behind.
#include <signal.h>
#include <sys/resource.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <string>
#include <thread>
#include <vector>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "binq/v1/worker.grpc.pb.h"
#include "grpcpp/grpcpp.h"

namespace {

namespace v1 = binq::v1;
namespace internal = binq::v1::internal;

std::atomic<bool> g_sigterm{false};
void OnSigterm(int) { g_sigterm = true; }

void Log(const std::string& line) {
  std::fprintf(stderr, "fake worker: %s\n", line.c_str());
  std::fflush(stderr);
}

[[noreturn]] void Exit(int code, const std::string& why) {
  Log(absl::StrCat(why, " (exit ", code, ")"));
  std::exit(code);
}

double Now() {
  return std::chrono::duration<double>(std::chrono::system_clock::now().time_since_epoch()).count();
}

void SleepMs(int ms) { std::this_thread::sleep_for(std::chrono::milliseconds(ms)); }

struct Args {
  std::string job_id, daemon;
  int attempt = 0;
};

Args ParseArgs(int argc, char** argv) {
  // The contract is exact: the daemon passes these and nothing else.
  if (argc != 8 || std::string(argv[1]) != "--worker" || std::string(argv[2]) != "--job-id" ||
      std::string(argv[4]) != "--daemon" || std::string(argv[6]) != "--attempt") {
    std::string got;
    for (int i = 1; i < argc; ++i) absl::StrAppend(&got, " ", argv[i]);
    Exit(2, absl::StrCat("unexpected command line:", got));
  }
  Args a;
  a.job_id = argv[3];
  a.daemon = argv[5];
  if (!absl::SimpleAtoi(argv[7], &a.attempt) || a.attempt < 1) Exit(2, "bad --attempt");
  return a;
}

class Worker {
 public:
  Worker(Args args, std::string token)
      : args_(std::move(args)), token_(std::move(token)),
        stub_(internal::WorkerService::NewStub(
            grpc::CreateChannel(args_.daemon, grpc::InsecureChannelCredentials()))) {}

  grpc::Status StartWork(internal::StartWorkResponse* out) {
    internal::StartWorkRequest req;
    req.set_job_id(args_.job_id);
    req.set_token(token_);
    req.set_attempt(args_.attempt);
    grpc::ClientContext ctx;
    ctx.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(10));
    return stub_->StartWork(&ctx, req, out);
  }

  // Sends `events` with worker_seq first_seq, first_seq+1, …
  grpc::Status Send(const std::vector<v1::JobEvent>& events, int64_t first_seq,
                    internal::ReportEventsResponse* out, const std::string* token = nullptr,
                    int attempt = 0) {
    internal::ReportEventsRequest req;
    req.set_job_id(args_.job_id);
    req.set_token(token == nullptr ? token_ : *token);
    req.set_attempt(attempt == 0 ? args_.attempt : attempt);
    int64_t seq = first_seq;
    for (const v1::JobEvent& e : events) {
      internal::WorkerEvent* w = req.add_events();
      w->set_worker_seq(seq++);
      *w->mutable_event() = e;
      w->set_time_unix(Now());
    }
    grpc::ClientContext ctx;
    ctx.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(10));
    return stub_->ReportEvents(&ctx, req, out);
  }

  // Reports the next events; exits when the daemon refuses. Returns
  // cancel_requested.
  bool Report(std::vector<v1::JobEvent> events) {
    internal::ReportEventsResponse resp;
    const grpc::Status s = Send(events, next_seq_, &resp);
    if (!s.ok()) Exit(1, absl::StrCat("ReportEvents failed: ", s.error_message()));
    next_seq_ += static_cast<int64_t>(events.size());
    sent_.insert(sent_.end(), events.begin(), events.end());
    if (resp.stored_through() != next_seq_ - 1) {
      Exit(1, absl::StrCat("daemon stored through ", resp.stored_through(), ", expected ", next_seq_ - 1));
    }
    return resp.cancel_requested();
  }

  // Like Report, but carries on whatever the daemon says (a stubborn worker).
  void TryReport(std::vector<v1::JobEvent> events) {
    internal::ReportEventsResponse resp;
    const grpc::Status s = Send(events, next_seq_, &resp);
    if (!s.ok()) Log(absl::StrCat("ReportEvents failed, carrying on: ", s.error_message()));
    next_seq_ += static_cast<int64_t>(events.size());
  }

  // Sends the last `n` events again (as after a broken connection).
  void Resend(int n) {
    internal::ReportEventsResponse resp;
    const std::vector<v1::JobEvent> batch(sent_.end() - n, sent_.end());
    const grpc::Status s = Send(batch, next_seq_ - n, &resp);
    if (!s.ok() || resp.stored_through() != next_seq_ - 1) Exit(1, "resend was not deduplicated");
  }

  // An empty report: is the daemon there, is this attempt still running?
  grpc::Status Ping(bool* cancel) {
    internal::ReportEventsResponse resp;
    grpc::Status s = Send({}, next_seq_, &resp);
    if (cancel != nullptr) *cancel = resp.cancel_requested();
    return s;
  }

  void Finish(int code, const std::string& message) {
    internal::FinishWorkRequest req;
    req.set_job_id(args_.job_id);
    req.set_token(token_);
    req.set_attempt(args_.attempt);
    req.set_status_code(code);
    req.set_message(message);
    internal::FinishWorkResponse resp;
    grpc::ClientContext ctx;
    ctx.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(10));
    const grpc::Status s = stub_->FinishWork(&ctx, req, &resp);
    if (!s.ok()) Exit(1, absl::StrCat("FinishWork failed: ", s.error_message()));
  }

  const Args& args() const { return args_; }
  const std::string& token() const { return token_; }

 private:
  Args args_;
  std::string token_;
  std::unique_ptr<internal::WorkerService::Stub> stub_;
  int64_t next_seq_ = 1;
  std::vector<v1::JobEvent> sent_;
};

v1::JobEvent Stage(v1::Stage stage, const std::string& detail) {
  v1::JobEvent e;
  e.mutable_stage()->set_stage(stage);
  e.mutable_stage()->set_detail(detail);
  return e;
}

v1::JobEvent Warning(const std::string& message) {
  v1::JobEvent e;
  e.mutable_warning()->set_message(message);
  return e;
}

// Waits for SIGTERM (or forever when stubborn), polling the daemon.
[[noreturn]] void Hang(Worker& w, bool stubborn) {
  Log(stubborn ? "hanging in LOADING, ignoring SIGTERM" : "hanging in LOADING until SIGTERM");
  while (true) {
    SleepMs(50);
    if (g_sigterm) {
      // What the real worker does: note it, flush, exit "interrupted".
      (void)w.Report({Warning("interrupted by SIGTERM while loading")});
      Exit(8, "stopping on SIGTERM");
    }
    const grpc::Status s = w.Ping(nullptr);
    if (!s.ok() && !stubborn) Exit(1, absl::StrCat("the daemon refused a report: ", s.error_message()));
  }
}

// The full, well-formed event sequence.
[[noreturn]] void Pipeline(Worker& w, const v1::JobSpec& spec, int delay_ms) {
  const int kBlocks = 3;
  auto report = [&](v1::JobEvent e) {
    if (delay_ms > 0) SleepMs(delay_ms);
    if (g_sigterm) Exit(8, "stopping on SIGTERM");
    if (w.Report({std::move(e)})) {
      w.Finish(static_cast<int>(grpc::StatusCode::CANCELLED), "cancelled at the daemon's request");
      Exit(6, "cancelled");
    }
  };
  report(Stage(v1::LOADING, "fake: loading " + spec.model()));
  v1::JobEvent progress;
  progress.mutable_progress()->set_stage(v1::LOADING);
  progress.mutable_progress()->set_unit("files");
  progress.mutable_progress()->set_done(1);
  progress.mutable_progress()->set_total(1);
  report(progress);
  report(Stage(v1::CALIBRATING, "fake: sampling " + spec.dataset()));
  report(Stage(v1::QUANTIZING, "fake: " + spec.technique()));
  for (int b = 0; b < kBlocks; ++b) {
    for (const char* name : {"self_attn.q_proj", "mlp.fc1"}) {
      v1::JobEvent layer;
      auto* l = layer.mutable_layer();
      l->set_block(b);
      l->set_num_blocks(kBlocks);
      l->set_name(name);
      l->set_rows(64);
      l->set_cols(64);
      l->set_technique(spec.technique());
      l->set_relative_error(0.01 * (b + 1));
      l->set_wbits(1.1);
      report(layer);
    }
    v1::JobEvent block;
    block.mutable_block()->set_block(b);
    block.mutable_block()->set_num_blocks(kBlocks);
    block.mutable_block()->set_seconds(0.01);
    block.mutable_block()->set_peak_memory_bytes(1 << 20);
    report(block);
    if (b == 0) w.Resend(2);  // as if the connection broke after sending
  }
  report(Stage(v1::EVALUATING, "fake: perplexity"));
  for (int i = 1; i <= 2; ++i) {
    v1::JobEvent ev;
    ev.mutable_eval_progress()->set_dataset(spec.dataset());
    ev.mutable_eval_progress()->set_windows_done(i);
    ev.mutable_eval_progress()->set_windows_total(2);
    report(ev);
  }
  v1::JobEvent ppl;
  ppl.mutable_perplexity()->set_dataset(spec.dataset());
  ppl.mutable_perplexity()->set_perplexity(12.5);
  ppl.mutable_perplexity()->set_windows(2);
  report(ppl);
  report(Stage(v1::SAVING, "fake: writing metrics.json"));
  v1::JobEvent artifact;
  artifact.mutable_artifact()->set_kind("metrics");
  artifact.mutable_artifact()->set_path("metrics.json");
  report(artifact);
  v1::JobEvent summary;
  summary.mutable_summary()->set_technique(spec.technique());
  summary.mutable_summary()->set_layers(2 * kBlocks);
  (*summary.mutable_summary()->mutable_perplexity())[spec.dataset()] = 12.5;
  report(summary);
  w.Finish(0, "");
  Exit(0, "done");
}

[[noreturn]] void Garbage(Worker& w) {
  internal::ReportEventsResponse resp;
  auto show = [](const char* what, const grpc::Status& s) {
    Log(absl::StrCat("garbage ", what, " -> code ", s.error_code(), ": ", s.error_message()));
  };
  show("no-kind", w.Send({v1::JobEvent()}, 1, &resp));
  v1::JobEvent state;
  state.mutable_state_changed()->set_state(v1::SUCCEEDED);
  show("state-changed", w.Send({state}, 1, &resp));
  show("seq-gap", w.Send({Warning("skipped ahead")}, 5, &resp));
  const std::string wrong = std::string(w.token().size(), '0');
  show("wrong-token", w.Send({Warning("impostor")}, 1, &resp, &wrong));
  show("wrong-attempt", w.Send({Warning("from the past")}, 1, &resp, nullptr, w.args().attempt + 7));
  Exit(1, "sent garbage");
}

void WriteFile(const std::filesystem::path& path, const std::string& text) {
  std::ofstream(path) << text;
}

}  // namespace

int main(int argc, char** argv) {
  alarm(120);  // never outlive a test run
  const Args args = ParseArgs(argc, argv);
  const char* token = std::getenv("BINQ_WORKER_TOKEN");
  const char* cuda = std::getenv("CUDA_VISIBLE_DEVICES");
  const char* data = std::getenv("BINQ_DATA_DIR");
  if (token == nullptr || cuda == nullptr || data == nullptr) {
    Exit(2, "BINQ_WORKER_TOKEN, CUDA_VISIBLE_DEVICES and BINQ_DATA_DIR must all be set");
  }
  Log(absl::StrCat("job ", args.job_id, " attempt ", args.attempt, " daemon ", args.daemon,
                   " CUDA_VISIBLE_DEVICES='", cuda, "' BINQ_DATA_DIR='", data,
                   "' token length ", std::strlen(token), " pgid==pid ",
                   getpgid(0) == getpid() ? "yes" : "no"));

  Worker w(args, token);
  internal::StartWorkResponse work;
  if (grpc::Status s = w.StartWork(&work); !s.ok()) {
    Exit(1, absl::StrCat("StartWork refused: ", s.error_message()));
  }
  const std::filesystem::path out(work.output_dir());
  std::error_code ec;
  std::filesystem::create_directories(out, ec);  // the worker makes its output folder
  const std::string stem = absl::StrCat("fake-worker.", args.attempt);
  WriteFile(out / (stem + ".token"), w.token());

  const std::string model_name = std::filesystem::path(work.spec().model()).filename().string();
  std::vector<std::string> mode = absl::StrSplit(model_name, ':');
  if (mode.size() < 2 || mode[0] != "fake") Exit(2, "model is not fake:<mode>: " + model_name);
  int arg = 0;
  if (mode.size() > 2 && !absl::SimpleAtoi(mode[2], &arg)) Exit(2, "bad mode argument " + mode[2]);

  if (mode[1] == "stubborn") {
    signal(SIGTERM, SIG_IGN);
  } else {
    signal(SIGTERM, OnSigterm);
  }
  // The pid file last: when a test sees it, the signal dispositions are set.
  WriteFile(out / (stem + ".pid"), absl::StrCat(getpid()));

  const std::string& m = mode[1];
  if (m == "ok") Pipeline(w, work.spec(), 2);
  if (m == "slow") Pipeline(w, work.spec(), arg);
  if (m == "hang-then-ok") {
    if (args.attempt == 1) {
      (void)w.Report({Stage(v1::LOADING, "fake: attempt 1 hangs")});
      Hang(w, false);
    }
    Pipeline(w, work.spec(), 2);
  }
  if (m == "hang") {
    (void)w.Report({Stage(v1::LOADING, "fake: hang")});
    Hang(w, false);
  }
  if (m == "stubborn") {
    w.TryReport({Stage(v1::LOADING, "fake: stubborn")});
    Hang(w, true);
  }
  if (m == "crash") {
    (void)w.Report({Stage(v1::LOADING, "fake: about to crash")});
    Log("crashing on purpose in block 1");
    const rlimit no_core{0, 0};
    setrlimit(RLIMIT_CORE, &no_core);
    raise(SIGSEGV);
  }
  if (m == "oom") {
    (void)w.Report({Stage(v1::QUANTIZING, "fake: about to run out of memory")});
    std::fprintf(stderr, "CUDA out of memory. Tried to allocate 20.00 GiB (fake)\n");
    std::exit(5);
  }
  if (m == "fail") {
    w.Finish(static_cast<int>(grpc::StatusCode::INVALID_ARGUMENT),
             "dataset: fake failure for tests (the worker found the input unusable)");
    Exit(2, "failed as asked");
  }
  if (m == "exit0") {
    (void)w.Report({Stage(v1::LOADING, "fake: leaving without a word")});
    Exit(0, "exiting without FinishWork");
  }
  if (m == "garbage") Garbage(w);
  if (m == "flood") {
    SleepMs(300);
    const std::string filler(1000, 'x');
    for (int sent = 0; sent < arg;) {
      std::vector<v1::JobEvent> batch;
      for (int i = 0; i < 100 && sent < arg; ++i, ++sent) {
        batch.push_back(Warning(absl::StrCat("flood ", sent, " ", filler)));
      }
      (void)w.Report(std::move(batch));
    }
    w.Finish(0, "");
    Exit(0, "flooded");
  }
  Exit(2, "unknown mode " + m);
}
