// The CUDA side of kernels/row_math.h's Lanes policy: one warp owns one row;
// lane l handles columns l, l + 32, …, and the 32 partial sums are combined
// with shuffles in the tree order of row::SerialLanes (internal).
#ifndef BINQ_KERNELS_CUDA_WARP_LANES_CUH_
#define BINQ_KERNELS_CUDA_WARP_LANES_CUH_

#include <cstdint>

#include "kernels/row_math.h"

namespace binq::kernels {

// Every lane of the warp must call Sum together (warp-uniform control flow;
// callers launch whole warps and exit warp-uniformly).
class WarpLanes {
 public:
  __device__ explicit WarpLanes(int64_t n) : n_(n), lane_(threadIdx.x % row::kLanes) {}

  // __host__ too so that the __host__ __device__ templates of row_math.h
  // instantiate cleanly; only ever called on the device.
  template <int K, class F>
  __host__ __device__ row::Sums<K> Sum(const F& f) const {
    row::Sums<K> acc = {};
#ifdef __CUDA_ARCH__
    for (int64_t j = lane_; j < n_; j += row::kLanes) {
      const row::Sums<K> v = f(j);
      for (int c = 0; c < K; ++c) acc[c] += v[c];
    }
    for (int off = row::kLanes / 2; off > 0; off >>= 1) {
      for (int c = 0; c < K; ++c) acc[c] += __shfl_down_sync(0xffffffffu, acc[c], off);
    }
    for (int c = 0; c < K; ++c) acc[c] = __shfl_sync(0xffffffffu, acc[c], 0);
#endif
    return acc;
  }

  template <class F>
  __host__ __device__ void ForEach(const F& f) const {
#ifdef __CUDA_ARCH__
    for (int64_t j = lane_; j < n_; j += row::kLanes) f(j);
#endif
  }

  __device__ bool leader() const { return lane_ == 0; }

 private:
  int64_t n_;
  int lane_;
};

inline constexpr int kWarpsPerBlock = 8;
inline constexpr int kThreadsPerBlock = kWarpsPerBlock * row::kLanes;

// Global warp index of the calling thread (a 1-D grid of whole warps).
__device__ inline int64_t GlobalWarp() {
  return (static_cast<int64_t>(blockIdx.x) * blockDim.x + threadIdx.x) / row::kLanes;
}

// Blocks for `warps` warps.
inline unsigned BlocksForWarps(int64_t warps) {
  return static_cast<unsigned>((warps + kWarpsPerBlock - 1) / kWarpsPerBlock);
}

// Largest warp count one launch may cover (gridDim.x ≤ 2³¹ − 1).
inline constexpr int64_t kMaxWarps = int64_t{0x7fffffff} * kWarpsPerBlock;

}  // namespace binq::kernels

#endif  // BINQ_KERNELS_CUDA_WARP_LANES_CUH_
