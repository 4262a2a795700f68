// Fused masked residual binarizers over the rows of one block: the hot step of
// braq, CRBOG and CRB (ALGORITHMS.md §4.1, §5, §6). BinarizeRowsCpu is always
// built and is the specification; BinarizeRowsCuda exists in every build and
// returns UNIMPLEMENTED without CUDA. No LibTorch, no CUDA headers here.
// Thread-safety: pure functions over caller-owned buffers.
#ifndef BINQ_KERNELS_BINARIZE_H_
#define BINQ_KERNELS_BINARIZE_H_

#include <cstdint>

#include "absl/status/status.h"

namespace binq::kernels {

enum class BinarizeMethod { kBraq, kCrbog, kCrb, kCrbPaper2025 };

struct BinarizeParams {
  const float* x = nullptr;       // [rows, cols], row stride ldx
  int64_t ldx = 0;
  const uint8_t* mask = nullptr;  // [rows, cols] 0/1, row stride ldm
  int64_t ldm = 0;
  float* out = nullptr;           // [rows, cols], row stride ldo; 0 outside the mask
  int64_t ldo = 0;
  int64_t rows = 0;
  int64_t cols = 0;
  BinarizeMethod method = BinarizeMethod::kBraq;
  int order = 1;                  // 1 or 2
  double lam = 1e-5;              // CRB
  double corr_damp = 0.1;         // CRB
  bool skip_refinement = false;   // CRB-current
  bool symmetric_damp = false;    // CRB-current
  void* stream = nullptr;         // cudaStream_t for the CUDA variant; null = default
};

// INVALID_ARGUMENT for null pointers, bad sizes or order ∉ {1, 2}.
[[nodiscard]] absl::Status BinarizeRowsCpu(const BinarizeParams& params);
// Device pointers. UNIMPLEMENTED without CUDA; the CUDA error otherwise.
[[nodiscard]] absl::Status BinarizeRowsCuda(const BinarizeParams& params);
bool CudaSupports(const BinarizeParams& params);

// True when binq was built with CUDA and a device is visible.
bool CudaDeviceAvailable();

}  // namespace binq::kernels

#endif  // BINQ_KERNELS_BINARIZE_H_
