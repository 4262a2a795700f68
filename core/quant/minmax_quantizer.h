// GPTQ's uniform min–max quantizer (IST-DASLab/gptq quant.py; ALGORITHMS.md
// §9.1) and the round-to-nearest baseline built on it. Per row of a slice:
// xmin = min(0, min), xmax = max(0, max); symmetric: xmax = max(|xmin|, xmax),
// xmin = −xmax where xmin < 0; all-zero rows use [−1, 1];
// scale = (xmax − xmin)/maxq; zero = round(−xmin/scale) or (maxq+1)/2 (sym);
// code = clamp(round(x/scale) + zero, 0, maxq); value = scale·(code − zero).
// LibTorch ops in the reference's order (bit parity). Call inside TorchCall.
#ifndef BINQ_CORE_QUANT_MINMAX_QUANTIZER_H_
#define BINQ_CORE_QUANT_MINMAX_QUANTIZER_H_

#include <cstdint>

#include <ATen/ATen.h>

#include "absl/status/status.h"
#include "absl/status/statusor.h"

namespace binq::core {

struct MinMaxParams {
  at::Tensor scale;  // fp32 [rows, 1]
  at::Tensor zero;   // fp32 [rows, 1]
  int64_t maxq = 0;  // 2^bits − 1
};

// Per-row range with 0 included and the all-zero-row fix ([−1, 1]); `sym`
// mirrors it as quant.py does. fp32 [rows] each.
struct RowRange {
  at::Tensor xmin;
  at::Tensor xmax;
};
RowRange MinMaxRowRange(const at::Tensor& x, bool sym);

// quant.py find_params(x, weight=True) on x [rows, k] (fp32).
MinMaxParams FindMinMaxParams(const at::Tensor& x, int64_t maxq, bool sym);

// Integer levels clamp(round(x/scale) + zero, 0, maxq) as fp32, x [rows, k].
at::Tensor MinMaxCodes(const at::Tensor& x, const MinMaxParams& params);
// scale·(codes − zero).
at::Tensor MinMaxDequantize(const at::Tensor& codes, const MinMaxParams& params);

// Round-to-nearest (gptq's --nearest), extended by binq with column groups:
// each group of `groupsize` consecutive columns (−1: the whole row) gets its
// own find_params. No Hessian.
struct RtnParams {
  int wbits = 4;           // 1 … 8
  int64_t groupsize = -1;  // −1 or ≥ 1
  bool sym = false;
};
struct RtnOutput {
  at::Tensor quantized;  // fp32 [rows, cols]
  at::Tensor scale;      // fp32 [groups, rows]
  at::Tensor zero;       // fp32 [groups, rows]
  at::Tensor codes;      // uint8 [rows, cols]
};

// INVALID_ARGUMENT naming wbits (1 … 8) or groupsize (−1 or ≥ 1).
[[nodiscard]] absl::Status ValidateRtnParams(const RtnParams& params);
// `weight` 2-D float, finite (checked by the caller). May throw c10::Error.
[[nodiscard]] absl::StatusOr<RtnOutput> RoundToNearest(const at::Tensor& weight,
                                                       const RtnParams& params);

}  // namespace binq::core

#endif  // BINQ_CORE_QUANT_MINMAX_QUANTIZER_H_
