// Masked residual binarizers over the rows of one block: the value step of
// braq (ALGORITHMS.md §4.1), CRBOG (§5), CRB-current (§6.1) and CRB-paper2025
// (§6.2). BinarizeRowsCpu is always built and is the specification;
// BinarizeRowsCuda exists in every build and returns UNIMPLEMENTED without
// CUDA. This header includes neither LibTorch nor CUDA.
//
// Semantics shared by all methods: every row is binarized on its own, over
// the entries whose mask byte is non-zero; the output is exactly +0.0 outside
// the mask (the references give ±0.0 there; compare with ==), and a row with
// no masked entry is all zeros. sign(0) = 0, so an entry equal to its group
// mean gets the mean and a one-element group is reproduced exactly. Entries
// outside the mask are never read for CRBOG/CRB; braq skips NaN inside the
// mask as torch.nanmean does (the other methods propagate it, as their
// references do).
//
// Numerics: fp32 element arithmetic in the reference's order (multiply, then
// add: two roundings); every row sum is accumulated in double in a fixed
// order (32 strided partial sums, then a pairwise tree: the order of one CUDA
// warp) and rounded to float once; means are float(sum) / float(count). The
// references sum in fp32 with PyTorch's cascade, so the CPU twin matches them
// to ~1 ulp in the sums (not bit for bit), and the CUDA kernel matches the
// CPU twin bit for bit.
//
// Thread-safety: pure functions over caller-owned buffers; concurrent calls
// on disjoint outputs are safe.
#ifndef BINQ_KERNELS_BINARIZE_H_
#define BINQ_KERNELS_BINARIZE_H_

#include <cstdint>

#include "absl/status/status.h"
#include "kernels/device.h"

namespace binq::kernels {

enum class BinarizeMethod {
  kBraq,          // high_order_residual R_K (§4.1)
  kCrbog,         // coupled_residual_binarization (§5); order 1 = braq R₁
  kCrb,           // CRB-current, vectorized v7 (§6.1): fp32 2×2 solve
  kCrbPaper2025,  // CRB per-row v7 (§6.2): double solve; order 1 = braq R₁
};

struct BinarizeParams {
  const float* x = nullptr;       // [rows, cols] block, row stride ldx
  int64_t ldx = 0;
  const uint8_t* mask = nullptr;  // [rows, cols] group membership (0/1), row stride ldm
  int64_t ldm = 0;
  float* out = nullptr;           // [rows, cols] values, row stride ldo; 0 outside the mask
  int64_t ldo = 0;
  int64_t rows = 0;
  int64_t cols = 0;
  BinarizeMethod method = BinarizeMethod::kBraq;
  int order = 1;                  // 1 or 2
  double lam = 1e-5;              // CRB, CRB-paper2025: ridge λ
  double corr_damp = 0.1;         // CRB, CRB-paper2025: damping γ of positive c₁₂
  bool skip_refinement = false;   // CRB-current only: no sign refinement
  bool symmetric_damp = false;    // CRB-current only: damp c₁₂ of either sign
  void* stream = nullptr;         // CUDA variant: cudaStream_t; null = default stream
};

// Writes params.out. INVALID_ARGUMENT (naming the op) for null pointers,
// negative sizes, strides < cols or order ∉ {1, 2}; rows = 0 or cols = 0 is
// a no-op.
[[nodiscard]] absl::Status BinarizeRowsCpu(const BinarizeParams& params);

// The same on the current CUDA device: x, mask and out are device pointers.
// Runs on params.stream and synchronizes it before returning, so the output
// is ready. UNIMPLEMENTED in a build without CUDA; INVALID_ARGUMENT as the
// CPU twin; otherwise the CUDA error mapped to a status (RESOURCE_EXHAUSTED
// for out of memory, UNAVAILABLE without a usable device, INTERNAL else).
[[nodiscard]] absl::Status BinarizeRowsCuda(const BinarizeParams& params);

// Whether BinarizeRowsCuda handles these params (built with CUDA and valid
// params). Does not query the device: see CudaDeviceAvailable().
bool CudaSupports(const BinarizeParams& params);

}  // namespace binq::kernels

#endif  // BINQ_KERNELS_BINARIZE_H_
