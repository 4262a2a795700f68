// Error evaluations of BiLLM's structural search for one block (ALGORITHMS.md
// §4.3, §4.4 step 5): the hot loops over up to 49 salient-column counts and
// 81 break-point candidates, each a mean squared error over the whole block
// of the saliency matrix T. The caller computes T, the column order, the
// thresholds and the argmins (first strict minimum). CPU twins are always
// built and are the specification; the CUDA variants exist in every build and
// return UNIMPLEMENTED without CUDA. This header includes neither LibTorch
// nor CUDA.
//
// Numerics: as kernels/binarize.h (braq's R₁/R₂ per row, double row sums in
// the fixed 32-lane order); each row's squared error (fp32 products) is
// summed in double, the rows are summed in double in the same 32-lane order,
// and E = float(total) / float(rows·cols). Against the references' fp32
// cascade means this agrees to ~1e-7 relative; CUDA and CPU agree bit for bit.
//
// Thread-safety: pure functions over caller-owned buffers.
#ifndef BINQ_KERNELS_BLOCK_SEARCH_H_
#define BINQ_KERNELS_BLOCK_SEARCH_H_

#include <cstdint>

#include "absl/status/status.h"
#include "kernels/device.h"

namespace binq::kernels {

// §4.3: E_k = mean over all rows·cols entries of
// (T − (R₂(T, M_k) + R₂(T, ¬M_k)))², M_k = every row of columns
// column_order[0..k), for k = 1 … up_lim − 1.
struct SalientSearchParams {
  const float* target = nullptr;          // T [rows, cols], row stride ld; finite
  int64_t ld = 0;
  int64_t rows = 0;
  int64_t cols = 0;
  const int64_t* column_order = nullptr;  // [up_lim] distinct columns, descending score
  int64_t up_lim = 0;                     // 1 … cols (BiLLM: 50)
  float* errors = nullptr;                // [up_lim − 1]; errors[k − 1] = E_k
  void* stream = nullptr;                 // CUDA variant: cudaStream_t; null = default
};

// §4.4 step 5: for each threshold p_k (already rounded to fp32),
// E'_k = mean over all rows·cols entries of
// (T − ((R₁(T, M₀) + R₁(T, M₁)) + R₂(T, M₂)))², where M₂ = the salient
// columns, M₁ = non-salient entries with |T| ≥ p_k, M₀ = those with |T| < p_k.
struct SplitSearchParams {
  const float* target = nullptr;             // T [rows, cols], row stride ld; finite
  int64_t ld = 0;
  int64_t rows = 0;
  int64_t cols = 0;
  const uint8_t* salient_columns = nullptr;  // [cols] non-zero = salient column (M₂)
  const float* thresholds = nullptr;         // [n_thresholds] p_k in fp32
  int64_t n_thresholds = 0;
  float* errors = nullptr;                   // [n_thresholds]; errors[k] = E'_k
  void* stream = nullptr;                    // CUDA variant: cudaStream_t; null = default
};

// Fill params.errors. INVALID_ARGUMENT (naming the op) for null pointers,
// rows < 1, cols < 1, ld < cols, up_lim ∉ [1, cols], n_thresholds < 0, or a
// column_order entry out of range or repeated.
[[nodiscard]] absl::Status SalientSearchErrorsCpu(const SalientSearchParams& params);
[[nodiscard]] absl::Status SplitSearchErrorsCpu(const SplitSearchParams& params);

// The same on the current CUDA device; every pointer is a device pointer
// (column_order is copied to the host once to be checked). Runs on
// params.stream and synchronizes it before returning. UNIMPLEMENTED without
// CUDA; INVALID_ARGUMENT as the CPU twins; otherwise the CUDA error mapped to
// a status (RESOURCE_EXHAUSTED, UNAVAILABLE, INTERNAL).
[[nodiscard]] absl::Status SalientSearchErrorsCuda(const SalientSearchParams& params);
[[nodiscard]] absl::Status SplitSearchErrorsCuda(const SplitSearchParams& params);

// Whether the CUDA variant handles these params (built with CUDA and valid
// sizes). Does not query the device: see CudaDeviceAvailable().
bool CudaSupports(const SalientSearchParams& params);
bool CudaSupports(const SplitSearchParams& params);

}  // namespace binq::kernels

#endif  // BINQ_KERNELS_BLOCK_SEARCH_H_
