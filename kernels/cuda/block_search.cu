// The search errors on the GPU. One warp per (candidate, row) evaluates the
// row's squared error with kernels/row_math.h (the CPU twin's code, lanes in
// parallel) into a [candidates, rows] buffer of doubles; one warp per
// candidate then reduces its rows in the twin's 32-lane order. GPU and CPU
// errors — and so the chosen k* and break-point — are bit-identical.
#include <cuda_runtime.h>

#include <vector>

#include "core/base/status_macros.h"
#include "kernels/block_search.h"
#include "kernels/cuda/cuda_status.h"
#include "kernels/cuda/warp_lanes.cuh"
#include "kernels/row_math.h"
#include "kernels/validate.h"

namespace binq::kernels {
namespace {

// row_errors[(k − 1)·rows + r] for k = 1 … candidates.
__global__ void SalientRowErrorsKernel(const float* target, int64_t ld, int64_t rows,
                                       int64_t cols, const int32_t* ranks, int64_t candidates,
                                       double* row_errors) {
  const int64_t w = GlobalWarp();
  if (w >= candidates * rows) return;  // whole warps exit together
  const int64_t k = w / rows + 1;
  const int64_t r = w % rows;
  const WarpLanes lanes(cols);
  const double e = row::SalientRowError(lanes, target + r * ld, ranks, k);
  if (lanes.leader()) row_errors[w] = e;
}

// fits[r] = R₂ of row r's salient columns.
__global__ void SalientPartKernel(const float* target, int64_t ld, int64_t rows, int64_t cols,
                                  const uint8_t* salient_columns, row::ResidualFit<1>* fits) {
  const int64_t r = GlobalWarp();
  if (r >= rows) return;
  const WarpLanes lanes(cols);
  const row::ResidualFit<1> fit = row::FitSalientPart(lanes, target + r * ld, salient_columns);
  if (lanes.leader()) fits[r] = fit;
}

// row_errors[k·rows + r] for k = 0 … candidates − 1.
__global__ void SplitRowErrorsKernel(const float* target, int64_t ld, int64_t rows, int64_t cols,
                                     const uint8_t* salient_columns,
                                     const row::ResidualFit<1>* fits, const float* thresholds,
                                     int64_t candidates, double* row_errors) {
  const int64_t w = GlobalWarp();
  if (w >= candidates * rows) return;
  const int64_t k = w / rows;
  const int64_t r = w % rows;
  const WarpLanes lanes(cols);
  const double e =
      row::SplitRowError(lanes, target + r * ld, salient_columns, fits[r], thresholds[k]);
  if (lanes.leader()) row_errors[w] = e;
}

// errors[c] = mean over the block of candidate c.
__global__ void MeanOfRowsKernel(const double* row_errors, int64_t candidates, int64_t rows,
                                 int64_t cols, float* errors) {
  const int64_t c = GlobalWarp();
  if (c >= candidates) return;
  const WarpLanes lanes(rows);
  const float mean = row::MeanOfRowErrors(lanes, row_errors + c * rows, rows, cols);
  if (lanes.leader()) errors[c] = mean;
}

bool FitsOneLaunch(int64_t candidates, int64_t rows) {
  return candidates <= kMaxWarps / rows;
}

absl::Status TooLarge(const char* op, int64_t candidates, int64_t rows) {
  return absl::InvalidArgumentError(absl::StrCat(op, ": ", candidates, " candidates × ", rows,
                                                 " rows exceed one launch"));
}

// The row sums → errors, then waits for the stream.
absl::Status ReduceAndSync(const double* row_errors, int64_t candidates, int64_t rows,
                           int64_t cols, float* errors, cudaStream_t stream) {
  MeanOfRowsKernel<<<BlocksForWarps(candidates), kThreadsPerBlock, 0, stream>>>(
      row_errors, candidates, rows, cols, errors);
  BINQ_CUDA_RETURN_IF_ERROR(cudaGetLastError());
  BINQ_CUDA_RETURN_IF_ERROR(cudaStreamSynchronize(stream));
  return absl::OkStatus();
}

}  // namespace

bool CudaSupports(const SalientSearchParams& params) {
  return ValidateSalientSearchParams(params, "SalientSearchErrorsCuda").ok() &&
         FitsOneLaunch(params.up_lim - 1, params.rows);
}

bool CudaSupports(const SplitSearchParams& params) {
  return ValidateSplitSearchParams(params, "SplitSearchErrorsCuda").ok() &&
         FitsOneLaunch(params.n_thresholds, params.rows);
}

absl::Status SalientSearchErrorsCuda(const SalientSearchParams& p) {
  constexpr const char* kOp = "SalientSearchErrorsCuda";
  BINQ_RETURN_IF_ERROR(ValidateSalientSearchParams(p, kOp));
  const int64_t candidates = p.up_lim - 1;
  if (candidates == 0) return absl::OkStatus();
  if (!FitsOneLaunch(candidates, p.rows)) return TooLarge(kOp, candidates, p.rows);
  const auto stream = static_cast<cudaStream_t>(p.stream);

  // The column order is tiny: check it on the host, upload the column ranks.
  std::vector<int64_t> order(static_cast<size_t>(p.up_lim));
  BINQ_CUDA_RETURN_IF_ERROR(cudaMemcpyAsync(order.data(), p.column_order,
                                            order.size() * sizeof(int64_t), cudaMemcpyDefault,
                                            stream));
  BINQ_CUDA_RETURN_IF_ERROR(cudaStreamSynchronize(stream));
  BINQ_ASSIGN_OR_RETURN(const std::vector<int32_t> ranks,
                        ColumnRanks(order.data(), p.up_lim, p.cols, kOp));

  DeviceBuffer<int32_t> device_ranks(stream);
  DeviceBuffer<double> row_errors(stream);
  BINQ_CUDA_RETURN_IF_ERROR(device_ranks.Allocate(ranks.size()));
  BINQ_CUDA_RETURN_IF_ERROR(row_errors.Allocate(static_cast<size_t>(candidates * p.rows)));
  BINQ_CUDA_RETURN_IF_ERROR(cudaMemcpyAsync(device_ranks.get(), ranks.data(),
                                            ranks.size() * sizeof(int32_t),
                                            cudaMemcpyHostToDevice, stream));
  SalientRowErrorsKernel<<<BlocksForWarps(candidates * p.rows), kThreadsPerBlock, 0, stream>>>(
      p.target, p.ld, p.rows, p.cols, device_ranks.get(), candidates, row_errors.get());
  BINQ_CUDA_RETURN_IF_ERROR(cudaGetLastError());
  return WithContext(
      ReduceAndSync(row_errors.get(), candidates, p.rows, p.cols, p.errors, stream), kOp);
}

absl::Status SplitSearchErrorsCuda(const SplitSearchParams& p) {
  constexpr const char* kOp = "SplitSearchErrorsCuda";
  BINQ_RETURN_IF_ERROR(ValidateSplitSearchParams(p, kOp));
  const int64_t candidates = p.n_thresholds;
  if (candidates == 0) return absl::OkStatus();
  if (!FitsOneLaunch(candidates, p.rows)) return TooLarge(kOp, candidates, p.rows);
  const auto stream = static_cast<cudaStream_t>(p.stream);

  DeviceBuffer<row::ResidualFit<1>> fits(stream);
  DeviceBuffer<double> row_errors(stream);
  BINQ_CUDA_RETURN_IF_ERROR(fits.Allocate(static_cast<size_t>(p.rows)));
  BINQ_CUDA_RETURN_IF_ERROR(row_errors.Allocate(static_cast<size_t>(candidates * p.rows)));
  SalientPartKernel<<<BlocksForWarps(p.rows), kThreadsPerBlock, 0, stream>>>(
      p.target, p.ld, p.rows, p.cols, p.salient_columns, fits.get());
  BINQ_CUDA_RETURN_IF_ERROR(cudaGetLastError());
  SplitRowErrorsKernel<<<BlocksForWarps(candidates * p.rows), kThreadsPerBlock, 0, stream>>>(
      p.target, p.ld, p.rows, p.cols, p.salient_columns, fits.get(), p.thresholds, candidates,
      row_errors.get());
  BINQ_CUDA_RETURN_IF_ERROR(cudaGetLastError());
  return WithContext(
      ReduceAndSync(row_errors.get(), candidates, p.rows, p.cols, p.errors, stream), kOp);
}

}  // namespace binq::kernels
