// SIGINT/SIGTERM handling for binq-run: the signals are blocked in every
// thread (call BlockStopSignals first thing in main, before LibTorch or gRPC
// start threads) and taken by one sigwait thread, which calls `on_signal`
// with the signal number. Nothing runs inside a signal handler.
#ifndef BINQ_TOOLS_BINQ_RUN_SIGNAL_WATCH_H_
#define BINQ_TOOLS_BINQ_RUN_SIGNAL_WATCH_H_

#include <functional>
#include <thread>

namespace binq::tools {

void BlockStopSignals();

// Runs `on_signal` on its own thread for every SIGINT/SIGTERM until
// destroyed. Not copyable.
class SignalWatch {
 public:
  explicit SignalWatch(std::function<void(int)> on_signal);
  ~SignalWatch();
  SignalWatch(const SignalWatch&) = delete;
  SignalWatch& operator=(const SignalWatch&) = delete;

 private:
  std::thread thread_;
};

}  // namespace binq::tools

#endif  // BINQ_TOOLS_BINQ_RUN_SIGNAL_WATCH_H_
