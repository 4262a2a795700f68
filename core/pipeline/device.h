// Where a job runs and what it costs there: the device a spec asks for,
// the numerics switches the references use, and peak memory.
#ifndef BINQ_CORE_PIPELINE_DEVICE_H_
#define BINQ_CORE_PIPELINE_DEVICE_H_

#include <cstdint>
#include <string>

#include <ATen/ATen.h>

#include "absl/status/statusor.h"

namespace binq::core {

// "auto" → the first CUDA device when LibTorch sees one, else the CPU;
// "cpu"; "cuda" (FAILED_PRECONDITION when no CUDA device is visible,
// naming CUDA_VISIBLE_DEVICES). INVALID_ARGUMENT for anything else.
[[nodiscard]] absl::StatusOr<at::Device> ResolveDevice(const std::string& name);

// TF32 off for cuBLAS and cuDNN, as the references' bigptq.py sets at import
// (ALGORITHMS.md §2.1). Process-wide; call before the first GEMM.
void UseReferenceNumerics();

// Resets the peak so PeakMemoryBytes measures from now (CUDA only; the
// process RSS peak cannot be reset).
void ResetPeakMemory(const at::Device& device);
// CUDA: the caching allocator's peak of allocated bytes on `device`; CPU:
// the process's peak resident set size.
int64_t PeakMemoryBytes(const at::Device& device);

}  // namespace binq::core

#endif  // BINQ_CORE_PIPELINE_DEVICE_H_
