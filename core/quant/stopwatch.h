// Wall-clock stage timing that waits for queued device work first, so GPU
// stages are charged to the stage that launched them.
#ifndef BINQ_CORE_QUANT_STOPWATCH_H_
#define BINQ_CORE_QUANT_STOPWATCH_H_

#include <chrono>

#include <ATen/ATen.h>
#include <ATen/detail/CUDAHooksInterface.h>

namespace binq::core {

class Stopwatch {
 public:
  explicit Stopwatch(at::Device device) : device_(device), start_(Now()) {}
  // Seconds since construction or the previous Lap().
  double Lap() {
    if (device_.is_cuda()) at::detail::getCUDAHooks().deviceSynchronize(device_.index());
    const auto now = Now();
    const double seconds = std::chrono::duration<double>(now - start_).count();
    start_ = now;
    return seconds;
  }

 private:
  static std::chrono::steady_clock::time_point Now() { return std::chrono::steady_clock::now(); }
  at::Device device_;
  std::chrono::steady_clock::time_point start_;
};

}  // namespace binq::core

#endif  // BINQ_CORE_QUANT_STOPWATCH_H_
