// binqctl: submit quantization jobs to binqd and follow them.
//   binqctl submit --model facebook/opt-13b --technique CRB --watch
// Links only the gRPC client and the technique catalog (pure data, for the
// technique flags), no LibTorch, nothing else of binq's core.
#include <unistd.h>

#include <cstdlib>
#include <iostream>
#include <map>
#include <pwd.h>
#include <string>
#include <vector>

#include <CLI/CLI.hpp>

#include "client/client_config.h"
#include "client/commands.h"
#include "client/exit_codes.h"
#include "client/job_watcher.h"
#include "client/spec_builder.h"
#include "core/base/technique_flags.h"

namespace binq::client {
namespace {

// Submit flags and the spec key each sets (a spec file uses the keys).
struct SpecFlag {
  const char* flag;
  const char* key;
  const char* help;
};
constexpr SpecFlag kSpecFlags[] = {
    {"--model", "model", "local checkpoint directory (as binqd sees it) or hub id, e.g. facebook/opt-13b"},
    {"--technique", "technique", "any case; `binqctl techniques` lists them with their options"},
    {"--dataset", "dataset", "calibration data: wikitext2 (default), ptb, c4, or a text file path"},
    {"--eval", "eval_datasets", "comma-separated datasets to evaluate (default: the calibration one)"},
    {"--nsamples", "nsamples", "calibration windows (default 128)"},
    {"--seqlen", "seqlen", "tokens per window (default 2048)"},
    {"--seed", "seed", "calibration sampling seed (default 0)"},
    {"--device", "device", "auto (default), cpu or cuda"},
    {"--dtype", "dtype", "auto (the checkpoint's), float16, bfloat16 or float32"},
    {"--save-model", "save_model", "write the de-quantized HF checkpoint model/ (default true)"},
    {"--save-packed", "save_packed", "write binq.safetensors (default true)"},
    {"--priority", "priority", "higher runs first (default 0)"},
    {"--user", "user", "submitting user (default: your login name)"},
    {"--request-id", "request_id", "idempotency key: resubmitting it returns the same job"},
};

std::string LoginName() {
  if (const char* u = std::getenv("USER"); u != nullptr && *u) return u;
  if (const passwd* pw = getpwuid(getuid()); pw != nullptr) return pw->pw_name;
  return "unknown";
}

int Main(int argc, char** argv) {
  CLI::App app{std::string("binqctl: submit ~1-bit quantization jobs to binqd and watch them.\n") +
               "Server: --server, else $BINQ_SERVER, else \"server:\" in " + ConfigFilePath() +
               ", else " + kDefaultServer + ".\n" + kExitCodeHelp};
  app.require_subcommand(1);
  std::string server_flag, output = "table";
  int timeout_seconds = 30;
  app.add_option("--server", server_flag, "binqd address host:port");
  app.add_option("--output,-o", output, "table (for people) or json (one object per line)")
      ->check(CLI::IsMember({"table", "json"}))
      ->capture_default_str();
  app.add_option("--timeout", timeout_seconds, "seconds to wait for each unary call")
      ->capture_default_str();

  // submit
  CLI::App* submit = app.add_subcommand("submit", "Queue a job (flags or -f spec file), optionally watch it");
  std::string spec_file;
  bool watch_after = false;
  std::map<std::string, std::string> spec_values;
  submit->add_option("-f,--file", spec_file, "YAML or JSON spec file with the same keys as the flags "
                                             "(model, technique, dataset, eval_datasets, blocksize, …)");
  for (const SpecFlag& f : kSpecFlags) submit->add_option(f.flag, spec_values[f.key], f.help);
  TechniqueFlags technique_flags;  // --blocksize, --corr_damp/--corr-damp, --cgb, … from the catalog
  technique_flags.AddTo(submit, "Technique options (binqd checks them against --technique's)");
  submit->add_flag("--watch,-w", watch_after, "follow the job until it ends (exit code = its outcome)");

  CLI::App* watch = app.add_subcommand("watch", "Follow a job live: per-layer errors, ETA, perplexities");
  std::string job_id;
  int64_t after_seq = 0;
  watch->add_option("job", job_id, "job id")->required();
  watch->add_option("--after-seq", after_seq, "start after this event seq (default: from the beginning)");

  CLI::App* list = app.add_subcommand("list", "List jobs, newest first");
  list->alias("ls");
  std::string state, user;
  int limit = 50;
  list->add_option("--state", state, "queued, running, succeeded, failed or cancelled");
  list->add_option("--user", user, "only this user's jobs");
  list->add_option("--limit", limit, "at most this many jobs")->capture_default_str();

  CLI::App* get = app.add_subcommand("get", "Show one job");
  get->add_option("job", job_id, "job id")->required();
  CLI::App* cancel = app.add_subcommand("cancel", "Cancel a queued or running job");
  cancel->add_option("job", job_id, "job id")->required();
  CLI::App* logs = app.add_subcommand("logs", "Print the worker's log (or, with --events, the event history)");
  logs->add_option("job", job_id, "job id")->required();
  int64_t tail_bytes = 0;
  bool events = false;
  logs->add_option("--tail", tail_bytes, "bytes from the end (default 1 MiB)");
  logs->add_flag("--events", events, "the stored events instead of the worker log");
  CLI::App* techniques = app.add_subcommand(
      "techniques", "List binqd's techniques: names, aliases, help, options with defaults and ranges");
  CLI::App* result = app.add_subcommand("result", "Metrics and output paths of a job");
  result->add_option("job", job_id, "job id")->required();

  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    return app.exit(e) == 0 ? kExitOk : kExitUsage;
  }

  auto server = ChooseServer(server_flag);
  if (!server.ok()) {
    std::cerr << "binqctl: " << server.status().message() << "\n";
    return kExitUsage;
  }
  std::shared_ptr<grpc::Channel> channel = MakeChannel(server->address);
  auto stub = binq::v1::BinqService::NewStub(channel);
  CommandContext c;
  c.stub = stub.get();
  c.channel = channel;
  c.server = server->address;
  c.server_from = server->from;
  c.json = output == "json";
  c.terminal = isatty(STDOUT_FILENO) == 1;
  c.timeout = std::chrono::seconds(std::max(1, timeout_seconds));
  c.out = &std::cout;
  c.err = &std::cerr;

  if (*submit) {
    SpecBuilder builder;
    if (!spec_file.empty()) {
      if (absl::Status s = builder.AddFile(spec_file); !s.ok()) {
        std::cerr << "binqctl submit: " << s.message() << "\n";
        return kExitUsage;
      }
    }
    for (const SpecFlag& f : kSpecFlags) {
      if (submit->count(f.flag) == 0) continue;
      if (absl::Status s = builder.Set(f.key, spec_values[f.key]); !s.ok()) {
        std::cerr << "binqctl submit: " << f.flag << ": " << s.message() << "\n";
        return kExitUsage;
      }
    }
    auto options = technique_flags.Given();
    if (!options.ok()) {
      std::cerr << "binqctl submit: " << options.status().message() << "\n";
      return kExitUsage;
    }
    for (const auto& [key, value] : *options) {
      if (absl::Status s = builder.SetOption(key, value); !s.ok()) {
        std::cerr << "binqctl submit: " << s.message() << "\n";
        return kExitUsage;
      }
    }
    binq::v1::SubmitJobRequest request = builder.request();
    if (request.user().empty()) request.set_user(LoginName());
    return SubmitJob(c, request, watch_after);
  }
  if (*watch) return WatchJob(c, job_id, after_seq);
  if (*list) return ListJobs(c, state, user, std::max(1, limit));
  if (*get) return GetJob(c, job_id);
  if (*techniques) return ListTechniques(c);
  if (*cancel) return CancelJob(c, job_id);
  if (*logs) return JobLogs(c, job_id, tail_bytes, events);
  return JobResult(c, job_id);
}

}  // namespace
}  // namespace binq::client

int main(int argc, char** argv) {
  try {
    return binq::client::Main(argc, argv);
  } catch (const std::exception& e) {
    std::cerr << "binqctl: internal error: " << e.what() << "\n";
    return binq::client::kExitJobFailed;
  }
}
