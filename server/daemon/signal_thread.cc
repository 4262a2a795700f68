#include "server/daemon/signal_thread.h"

#include <signal.h>

#include <atomic>

namespace binq::server {
namespace {

sigset_t HandledSignals() {
  sigset_t set;
  sigemptyset(&set);
  for (int sig : {SIGINT, SIGTERM, SIGHUP, SIGCHLD, SIGUSR2}) sigaddset(&set, sig);
  return set;
}

}  // namespace

void SignalThread::BlockSignals() {
  sigset_t set = HandledSignals();
  sigaddset(&set, SIGPIPE);  // a closed socket is an error return, not a death
  pthread_sigmask(SIG_BLOCK, &set, nullptr);
}

SignalThread::SignalThread(std::function<void(int)> on_signal)
    : on_signal_(std::move(on_signal)), thread_([this] { Loop(); }) {}

SignalThread::~SignalThread() { Stop(); }

void SignalThread::Stop() {
  if (!thread_.joinable()) return;
  pthread_kill(thread_.native_handle(), SIGUSR2);
  thread_.join();
}

void SignalThread::Loop() {
  const sigset_t set = HandledSignals();
  while (true) {
    int sig = 0;
    if (sigwait(&set, &sig) != 0) continue;
    if (sig == SIGUSR2) return;  // Stop()
    on_signal_(sig);
  }
}

}  // namespace binq::server
