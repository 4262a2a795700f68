// Signals the daemon way (CONVENTIONS.md): blocked in every thread before any
// thread starts, and handled on one thread that waits in sigwait(2) — so the
// handling is ordinary code, not an async-signal handler.
#ifndef BINQ_SERVER_DAEMON_SIGNAL_THREAD_H_
#define BINQ_SERVER_DAEMON_SIGNAL_THREAD_H_

#include <pthread.h>

#include <functional>
#include <thread>

namespace binq::server {

class SignalThread {
 public:
  // Blocks SIGINT, SIGTERM, SIGHUP, SIGCHLD, SIGPIPE and SIGUSR2 in the
  // calling thread; threads started afterwards inherit the mask. Call first
  // thing in main. (Workers are spawned with an empty mask.)
  static void BlockSignals();

  // Starts the thread; `on_signal` runs on it for SIGINT, SIGTERM, SIGHUP and
  // SIGCHLD, one at a time.
  explicit SignalThread(std::function<void(int)> on_signal);
  ~SignalThread();  // calls Stop()
  SignalThread(const SignalThread&) = delete;
  SignalThread& operator=(const SignalThread&) = delete;

  // Wakes the thread (with SIGUSR2) and joins it. Idempotent.
  void Stop();

 private:
  void Loop();

  std::function<void(int)> on_signal_;
  std::thread thread_;
};

}  // namespace binq::server

#endif  // BINQ_SERVER_DAEMON_SIGNAL_THREAD_H_
