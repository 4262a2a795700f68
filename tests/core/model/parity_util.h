// Comparing binq's tensors with transformers' (model and perplexity parity
// tests).
//
// Tolerances. binq calls the same ATen ops as transformers' eager OPT, in the
// same order, on tensors of the same shape, dtype and device, with the same
// thread count (1), so on the CPU the results are expected to be identical
// bit for bit, and the tests report the largest difference they saw. What
// could still differ legitimately is the kernel a library picks for a shape
// (e.g. a different GEMM blocking), which changes rounding order only. So:
//  * fp32: |binq − HF| ≤ 1e-5 · max|HF| (≈ 100 ulp of fp32 at the largest
//    value: room for reordered sums of a few hundred terms, far below any
//    real bug, which shows up at 1e-2 and more);
//  * fp16 / bf16: ≤ 4 ulp of the format at max|HF| (fp16: 2^(e−10), bf16:
//    2^(e−7), e = floor(log2 max|HF|)). A reordered fp16 computation moves a
//    result by about one ulp per rounding, and the value passes through a
//    handful of roundings between the last two normalisations (measured:
//    scaling q·kᵀ instead of q moves the fp16 logits by 2 ulp at most). A
//    wrong op (a missing scale, a wrong position offset, a LayerNorm in the
//    wrong place) moves them by far more.
// The tests also check bit-exactness on the CPU separately
// (OptParityTest.BitExactOnTheCpu), which catches reorderings inside the
// tolerance.
#ifndef BINQ_TESTS_CORE_MODEL_PARITY_UTIL_H_
#define BINQ_TESTS_CORE_MODEL_PARITY_UTIL_H_

#include <algorithm>
#include <cmath>
#include <string>

#include <ATen/ATen.h>

#include "gtest/gtest.h"

namespace binq::testing {

struct TensorDiff {
  double max_abs = 0;  // max |got − want|
  double max_ref = 0;  // max |want|
  double tolerance = 0;
};

inline double ParityTolerance(at::ScalarType dtype, double max_ref) {
  if (dtype == at::kFloat) return 1e-5 * max_ref;
  const int mantissa = dtype == at::kHalf ? 10 : 7;
  const double e = std::floor(std::log2(std::max(max_ref, 1e-30)));
  return 4.0 * std::ldexp(1.0, static_cast<int>(e) - mantissa);
}

inline TensorDiff Diff(const at::Tensor& got, const at::Tensor& want) {
  const at::Tensor g = got.to(at::kCPU, at::kDouble);
  const at::Tensor w = want.to(at::kCPU, at::kDouble);
  TensorDiff d;
  d.max_abs = (g - w).abs().max().item<double>();
  d.max_ref = w.abs().max().item<double>();
  d.tolerance = ParityTolerance(want.scalar_type(), d.max_ref);
  return d;
}

// EXPECTs that `got` has `want`'s shape and dtype and lies within the
// tolerance above; returns the difference for reporting.
inline TensorDiff ExpectClose(const at::Tensor& got, const at::Tensor& want, const std::string& what) {
  EXPECT_EQ(got.sizes(), want.sizes()) << what;
  EXPECT_EQ(got.scalar_type(), want.scalar_type()) << what;
  if (got.sizes() != want.sizes()) return {};
  const TensorDiff d = Diff(got, want);
  EXPECT_LE(d.max_abs, d.tolerance) << what << ": max |binq − HF| = " << d.max_abs << ", max |HF| = " << d.max_ref;
  return d;
}

}  // namespace binq::testing

#endif  // BINQ_TESTS_CORE_MODEL_PARITY_UTIL_H_
