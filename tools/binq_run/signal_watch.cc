#include "tools/binq_run/signal_watch.h"

#include <pthread.h>
#include <signal.h>

namespace binq::tools {
namespace {

// SIGUSR2 wakes the thread when the watch ends.
sigset_t StopSignals() {
  sigset_t set;
  sigemptyset(&set);
  sigaddset(&set, SIGINT);
  sigaddset(&set, SIGTERM);
  sigaddset(&set, SIGUSR2);
  return set;
}

}  // namespace

void BlockStopSignals() {
  const sigset_t set = StopSignals();
  pthread_sigmask(SIG_BLOCK, &set, nullptr);
}

SignalWatch::SignalWatch(std::function<void(int)> on_signal)
    : thread_([on_signal = std::move(on_signal)] {
        const sigset_t set = StopSignals();
        for (;;) {
          int signal = 0;
          if (sigwait(&set, &signal) != 0) continue;
          if (signal == SIGUSR2) return;
          on_signal(signal);
        }
      }) {}

SignalWatch::~SignalWatch() {
  pthread_kill(thread_.native_handle(), SIGUSR2);
  thread_.join();
}

}  // namespace binq::tools
