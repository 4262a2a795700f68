// Whether the CUDA variants of binq's kernels can run in this process.
// Thread-safety: safe to call from any thread.
#ifndef BINQ_KERNELS_DEVICE_H_
#define BINQ_KERNELS_DEVICE_H_

namespace binq::kernels {

// True when binq was built with CUDA (BINQ_HAVE_CUDA) and cudaGetDeviceCount
// reports at least one device; false otherwise (never an error).
bool CudaDeviceAvailable();

}  // namespace binq::kernels

#endif  // BINQ_KERNELS_DEVICE_H_
