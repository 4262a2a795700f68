// binqd: the binq job daemon. See server/daemon/daemon.h for what runs, and
// `binqd --help` for the flags.
#include <signal.h>
#include <unistd.h>

#include <cstdio>
#include <string>
#include <vector>

#include "absl/synchronization/notification.h"
#include "core/base/exit_codes.h"
#include "server/daemon/config.h"
#include "server/daemon/daemon.h"
#include "server/daemon/signal_thread.h"
#include "spdlog/spdlog.h"

int main(int argc, char** argv) {
  using binq::server::Daemon;
  using binq::server::SignalThread;
  // Before any thread exists, so every thread inherits the blocked mask.
  SignalThread::BlockSignals();
  try {
    const std::vector<std::string> args(argv, argv + argc);
    absl::StatusOr<binq::server::ParsedCommandLine> parsed = binq::server::ParseDaemonCommandLine(args);
    if (!parsed.ok()) {
      std::fprintf(stderr, "binqd: %s\n", std::string(parsed.status().message()).c_str());
      return binq::kExitUsage;
    }
    if (parsed->help) {
      std::fputs(binq::server::DaemonUsage().c_str(), stdout);
      return binq::kExitOk;
    }

    Daemon daemon(parsed->config);
    absl::Notification stop;
    SignalThread signals([&](int sig) {
      if (sig == SIGCHLD) {
        daemon.OnChildSignal();
      } else if (sig == SIGINT || sig == SIGTERM) {
        if (!stop.HasBeenNotified()) {
          spdlog::info("binqd: {} received", sig == SIGINT ? "SIGINT" : "SIGTERM");
          stop.Notify();
        } else {
          spdlog::warn("binqd: second {} during shutdown: exiting now", sig == SIGINT ? "SIGINT" : "SIGTERM");
          std::fflush(nullptr);
          ::_exit(binq::kExitInterrupted);
        }
      } else {
        spdlog::info("binqd: signal {} ignored", sig);
      }
    });

    if (absl::Status s = daemon.Start(); !s.ok()) {
      spdlog::error("binqd: cannot start: {}", s.ToString());
      std::fprintf(stderr, "binqd: %s\n", std::string(s.message()).c_str());
      daemon.Shutdown();
      return s.code() == absl::StatusCode::kInvalidArgument ? binq::kExitUsage : binq::kExitFailure;
    }
    stop.WaitForNotification();
    daemon.Shutdown();
    signals.Stop();
    return binq::kExitOk;
  } catch (const std::exception& e) {  // a third-party library's; ours do not throw
    std::fprintf(stderr, "binqd: fatal: %s\n", e.what());
    return binq::kExitFailure;
  }
}
