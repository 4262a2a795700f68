// cudaError_t → absl::Status, and stream-ordered device scratch, for the .cu
// files of binq::kernels (internal; includes cuda_runtime.h, so never include
// it from a public header).
#ifndef BINQ_KERNELS_CUDA_CUDA_STATUS_H_
#define BINQ_KERNELS_CUDA_CUDA_STATUS_H_

#include <cuda_runtime.h>

#include <cstddef>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"

namespace binq::kernels {

// RESOURCE_EXHAUSTED for out of memory, UNAVAILABLE when there is no usable
// device or driver, INVALID_ARGUMENT for rejected arguments (e.g. a host
// pointer), INTERNAL otherwise (kernel faults, which also poison the context).
inline absl::Status CudaErrorToStatus(cudaError_t err, const char* op, const char* expr) {
  if (err == cudaSuccess) return absl::OkStatus();
  const std::string msg = absl::StrCat(op, ": ", expr, " failed: ", cudaGetErrorName(err), " (",
                                       cudaGetErrorString(err), ")");
  switch (err) {
    case cudaErrorMemoryAllocation:
      return absl::ResourceExhaustedError(msg);
    case cudaErrorNoDevice:
    case cudaErrorInsufficientDriver:
    case cudaErrorDevicesUnavailable:
    case cudaErrorInvalidDevice:
      return absl::UnavailableError(msg);
    case cudaErrorInvalidValue:
    case cudaErrorInvalidDevicePointer:
      return absl::InvalidArgumentError(msg);
    default:
      return absl::InternalError(msg);
  }
}

// Scratch memory from the stream's pool, released on the same stream.
template <typename T>
class DeviceBuffer {
 public:
  explicit DeviceBuffer(cudaStream_t stream) : stream_(stream) {}
  ~DeviceBuffer() {
    if (ptr_ != nullptr) cudaFreeAsync(ptr_, stream_);
  }
  DeviceBuffer(const DeviceBuffer&) = delete;
  DeviceBuffer& operator=(const DeviceBuffer&) = delete;

  cudaError_t Allocate(size_t count) {
    return cudaMallocAsync(reinterpret_cast<void**>(&ptr_), (count > 0 ? count : 1) * sizeof(T),
                           stream_);
  }
  T* get() const { return ptr_; }

 private:
  cudaStream_t stream_;
  T* ptr_ = nullptr;
};

}  // namespace binq::kernels

// Returns the mapped status from the enclosing function when the CUDA call
// `expr` fails; the message names the function and the call.
#define BINQ_CUDA_RETURN_IF_ERROR(expr)                                                  \
  do {                                                                                   \
    const cudaError_t binq_cuda_err_ = (expr);                                           \
    if (binq_cuda_err_ != cudaSuccess) {                                                 \
      return ::binq::kernels::CudaErrorToStatus(binq_cuda_err_, __func__, #expr);        \
    }                                                                                    \
  } while (false)

#endif  // BINQ_KERNELS_CUDA_CUDA_STATUS_H_
