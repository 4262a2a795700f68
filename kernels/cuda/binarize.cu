// BinarizeRowsCuda: one warp per row running kernels/row_math.h — the CPU
// twin's code with the 32 lanes in parallel — so GPU and CPU results are
// bit-identical.
#include <cuda_runtime.h>

#include "core/base/status_macros.h"
#include "kernels/binarize.h"
#include "kernels/cuda/cuda_status.h"
#include "kernels/cuda/warp_lanes.cuh"
#include "kernels/row_math.h"
#include "kernels/validate.h"

namespace binq::kernels {
namespace {

__global__ void BinarizeRowsKernel(const BinarizeParams p) {
  const int64_t r = GlobalWarp();
  if (r >= p.rows) return;  // whole warps exit together
  row::BinarizeRow(WarpLanes(p.cols), p, r);
}

}  // namespace

bool CudaSupports(const BinarizeParams& params) {
  return ValidateBinarizeParams(params, "BinarizeRowsCuda").ok() && params.rows <= kMaxWarps;
}

absl::Status BinarizeRowsCuda(const BinarizeParams& params) {
  BINQ_RETURN_IF_ERROR(ValidateBinarizeParams(params, "BinarizeRowsCuda"));
  if (params.rows == 0 || params.cols == 0) return absl::OkStatus();
  if (params.rows > kMaxWarps) {
    return absl::InvalidArgumentError(
        absl::StrCat("BinarizeRowsCuda: ", params.rows, " rows exceed one launch"));
  }
  const auto stream = static_cast<cudaStream_t>(params.stream);
  BinarizeRowsKernel<<<BlocksForWarps(params.rows), kThreadsPerBlock, 0, stream>>>(params);
  BINQ_CUDA_RETURN_IF_ERROR(cudaGetLastError());
  BINQ_CUDA_RETURN_IF_ERROR(cudaStreamSynchronize(stream));
  return absl::OkStatus();
}

}  // namespace binq::kernels
