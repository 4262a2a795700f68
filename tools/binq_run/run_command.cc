#include "tools/binq_run/run_command.h"

#include <unistd.h>

#include <atomic>
#include <csignal>
#include <iostream>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_replace.h"
#include "absl/strings/str_split.h"
#include "core/base/cancel_token.h"
#include "core/base/exit_codes.h"
#include "core/pipeline/job_runner.h"
#include "tools/binq_run/console_sink.h"
#include "tools/binq_run/signal_watch.h"

namespace binq::tools {

std::string DefaultOutputDir(const JobSpec& spec) {
  std::vector<std::string> parts = absl::StrSplit(spec.model, '/', absl::SkipEmpty());
  std::string model = parts.empty() ? "model" : parts.back();
  std::string dataset = spec.dataset;
  if (dataset.find('/') != std::string::npos) {
    std::vector<std::string> p = absl::StrSplit(dataset, '/', absl::SkipEmpty());
    dataset = p.empty() ? "custom" : p.back();
  }
  return absl::StrCat("out/", absl::StrReplaceAll(absl::StrCat(model, "-", dataset, "-", spec.technique),
                                                  {{"@", "-"}, {" ", "_"}}));
}

int RunRunCommand(const RunCommand& command) {
  ConsoleSink console(std::cout, isatty(STDOUT_FILENO) == 1, command.json_events);
  CancelToken cancel;
  std::atomic<int> signals{0};
  std::atomic<int> first_signal{0};
  SignalWatch watch([&](int signal) {
    int none = 0;
    first_signal.compare_exchange_strong(none, signal);  // before `signals` is seen non-zero
    if (signals.fetch_add(1) > 0) _exit(128 + signal);   // a second Ctrl-C: stop now
    console.Note(absl::StrCat("binq-run: ", signal == SIGINT ? "interrupted" : "terminated",
                              "; stopping at the next step (again to quit at once)"));
    cancel.Cancel();
  });

  core::RunOptions options;
  options.output_dir = command.output_dir.empty() ? DefaultOutputDir(command.spec) : command.output_dir;
  options.data_dir = command.data_dir;
  auto result = core::RunJob(command.spec, options, console, &cancel);
  if (!result.ok()) {
    if (signals.load() > 0) {
      // --json-events drops the console note: say on stderr why it stopped.
      std::cerr << "binq-run: " << (first_signal.load() == SIGINT ? "interrupted (SIGINT)" : "terminated (SIGTERM)")
                << ", no output written: " << result.status().message() << "\n";
      return kExitInterrupted;
    }
    std::cerr << "binq-run: error: " << result.status().message() << "\n";
    return ExitCodeFor(result.status());
  }
  if (!command.json_events) {
    std::cout << "outputs in " << result->output_dir << " (model/, binq.safetensors, metrics.json)\n";
  }
  return kExitOk;
}

}  // namespace binq::tools
