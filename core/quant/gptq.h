// GPTQ n-bit (IST-DASLab/gptq `GPTQ.fasterquant`; ALGORITHMS.md §9.1): the
// min–max quantizer (core/quant/minmax_quantizer.h) applied column by column,
// each column's rounding error spread over the later columns of its block
// through the upper Cholesky factor U of the damped inverse Hessian
// (intra-block), and each block's errors over the later blocks (one GEMM).
// Optional act-order (columns by descending H_jj), column groups with their
// own parameters (dynamic, or static: computed up front), symmetric levels.
#ifndef BINQ_CORE_QUANT_GPTQ_H_
#define BINQ_CORE_QUANT_GPTQ_H_

#include <cstdint>

#include <ATen/ATen.h>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "core/quant/technique.h"

namespace binq::core {

struct GptqParams {
  int wbits = 4;               // 2, 3, 4 or 8
  int64_t groupsize = -1;      // −1: one group per row; else columns per group (≥ 1)
  bool sym = false;
  bool act_order = false;      // process columns by descending diag(H)
  bool static_groups = false;  // group parameters from the dead-fixed W, before any update
  int64_t blocksize = 128;
  double percdamp = 0.01;
  int max_damping_retries = 10;  // see FactorInverseHessian; the reference has none (0)
};

// The quantized layer and what the reference's diagnostics record.
struct GptqOutput {
  LayerResult layer;
  at::Tensor scale;   // fp32 [groups, rows]; group k = processed columns k·g … (act-order:
                      // of the permuted order; static groups: of the original order)
  at::Tensor zero;    // fp32 [groups, rows]
  at::Tensor codes;   // uint8 [rows, cols] integer levels, original column order
  at::Tensor handed;  // fp32 [rows, cols]: each column as handed to the quantizer
                      // (after compensation), original column order
  at::Tensor perm;    // int64 [cols] processing position → original column (act-order only)
};

// INVALID_ARGUMENT naming the first bad field and its allowed range.
[[nodiscard]] absl::Status ValidateGptqParams(const GptqParams& params);

// `problem.hessian` is required; `problem.inverse_factor`, when given, is U in
// the processing order (permuted for act-order) and replaces the
// factorization. Errors as Technique::Quantize.
[[nodiscard]] absl::StatusOr<GptqOutput> QuantizeGptq(const LayerProblem& problem,
                                                      const GptqParams& params);

}  // namespace binq::core

#endif  // BINQ_CORE_QUANT_GPTQ_H_
