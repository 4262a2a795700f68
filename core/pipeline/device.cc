#include "core/pipeline/device.h"

#include <sys/resource.h>

#include <cstdlib>

#include <ATen/Context.h>
#include <ATen/DeviceAccelerator.h>

#include "absl/strings/str_cat.h"

namespace binq::core {

absl::StatusOr<at::Device> ResolveDevice(const std::string& name) {
  const bool have_cuda = at::hasCUDA() && at::detail::getCUDAHooks().deviceCount() > 0;
  if (name == "auto") return have_cuda ? at::Device(at::kCUDA, 0) : at::Device(at::kCPU);
  if (name == "cpu") return at::Device(at::kCPU);
  if (name == "cuda") {
    if (!have_cuda) {
      const char* visible = std::getenv("CUDA_VISIBLE_DEVICES");
      return absl::FailedPreconditionError(absl::StrCat(
          "device: cuda was asked for but no CUDA device is visible (CUDA_VISIBLE_DEVICES=",
          visible == nullptr ? "<unset>" : visible,
          at::hasCUDA() ? ")" : "; LibTorch finds no usable CUDA: no NVIDIA driver, or a CPU-only build)"));
    }
    return at::Device(at::kCUDA, 0);
  }
  return absl::InvalidArgumentError(absl::StrCat("device: must be auto, cpu or cuda, got '", name, "'"));
}

void UseReferenceNumerics() {
  at::globalContext().setAllowTF32CuBLAS(false);
  at::globalContext().setAllowTF32CuDNN(false);
}

void ResetPeakMemory(const at::Device& device) {
  if (device.is_cuda()) at::accelerator::resetPeakStats(device.index());
}

int64_t PeakMemoryBytes(const at::Device& device) {
  if (device.is_cuda()) {
    const auto stats = at::accelerator::getDeviceStats(device.index());
    return stats.allocated_bytes[0].peak;  // the aggregate over pool kinds
  }
  struct rusage usage;
  if (::getrusage(RUSAGE_SELF, &usage) != 0) return 0;
  return static_cast<int64_t>(usage.ru_maxrss) * 1024;  // Linux reports KiB
}

}  // namespace binq::core
