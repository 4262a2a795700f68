// Fused error evaluations of BiLLM's structural search for one block
// (ALGORITHMS.md §4.3, §4.4): the hot loops over 49 salient counts and 81
// break-point candidates. CPU twins always built; CUDA variants return
// UNIMPLEMENTED without CUDA. Pure functions over caller-owned buffers.
#ifndef BINQ_KERNELS_BLOCK_SEARCH_H_
#define BINQ_KERNELS_BLOCK_SEARCH_H_

#include <cstdint>

#include "absl/status/status.h"

namespace binq::kernels {

struct SalientSearchParams {
  const float* target = nullptr;        // saliency T [rows, cols], row stride ld
  int64_t ld = 0;
  int64_t rows = 0;
  int64_t cols = 0;
  const int64_t* column_order = nullptr;  // [up_lim] columns by descending score
  int64_t up_lim = 0;
  float* errors = nullptr;  // [up_lim − 1]: E_k = MSE(T, R₂(T,M_k) + R₂(T,¬M_k)), k = 1…
  void* stream = nullptr;
};

struct SplitSearchParams {
  const float* target = nullptr;          // saliency T [rows, cols], row stride ld
  int64_t ld = 0;
  int64_t rows = 0;
  int64_t cols = 0;
  const uint8_t* salient_columns = nullptr;  // [cols] 1 = salient column
  const float* thresholds = nullptr;         // [n_thresholds], fp32
  int64_t n_thresholds = 0;
  float* errors = nullptr;  // [n_thresholds]: MSE(T, R₁(T,M₀)+R₁(T,M₁)+R₂(T,M₂))
  void* stream = nullptr;
};

[[nodiscard]] absl::Status SalientSearchErrorsCpu(const SalientSearchParams& params);
[[nodiscard]] absl::Status SalientSearchErrorsCuda(const SalientSearchParams& params);
[[nodiscard]] absl::Status SplitSearchErrorsCpu(const SplitSearchParams& params);
[[nodiscard]] absl::Status SplitSearchErrorsCuda(const SplitSearchParams& params);

}  // namespace binq::kernels

#endif  // BINQ_KERNELS_BLOCK_SEARCH_H_
