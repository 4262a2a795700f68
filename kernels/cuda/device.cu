// CudaDeviceAvailable for builds with CUDA.
#include <cuda_runtime.h>

#include "kernels/device.h"

namespace binq::kernels {

bool CudaDeviceAvailable() {
  int count = 0;
  // No driver or no device is an answer here, not an error: clear it so that
  // it does not surface in a later cudaGetLastError.
  if (cudaGetDeviceCount(&count) != cudaSuccess) {
    cudaGetLastError();
    return false;
  }
  return count > 0;
}

}  // namespace binq::kernels
