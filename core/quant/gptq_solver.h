// GPTQ's column-by-column solve with error compensation (IST-DASLab/gptq
// fasterquant's block loop; ALGORITHMS.md §9.1 step 5), shared by GPTQ and
// PB-LLM: per column j of a block, q = quantize(j, w_j); the loss (w−q)²/d²;
// the error (w−q)/d spread over the rest of the block through row j of U
// (intra-block); after the block one GEMM spreads its errors over the later
// columns (inter-block). LibTorch ops in the reference's order.
#ifndef BINQ_CORE_QUANT_GPTQ_SOLVER_H_
#define BINQ_CORE_QUANT_GPTQ_SOLVER_H_

#include <cstdint>
#include <functional>

#include <ATen/ATen.h>

#include "absl/status/status.h"

namespace binq::core {

// Returns the quantized value [rows] of column `j` (processing order) given
// its compensated value `column` [rows]. May read the global working weights
// (GPTQ's dynamic groups do) and record extras (codes).
using ColumnQuantizer = std::function<at::Tensor(int64_t j, const at::Tensor& column)>;

struct ColumnSolve {
  at::Tensor quantized;  // fp32 [rows, cols], processing order
  at::Tensor handed;     // each column as handed to the quantizer
  at::Tensor losses;     // ½(w − q)²/d² per entry; the reference's error is their sum
  double quantize_seconds = 0;
  double solver_seconds = 0;  // inter-block GEMMs
};

// `w` fp32 [rows, cols] is the working copy, updated in place (inter-block
// compensation only: at return it holds the block-start values of each block);
// `u` the upper factor [cols, cols]. May throw c10::Error.
ColumnSolve SolveColumnwise(at::Tensor& w, const at::Tensor& u, int64_t blocksize,
                            const ColumnQuantizer& quantize);

// The solver's own parameters, checked alike for GPTQ and PB-LLM:
// INVALID_ARGUMENT naming the first one out of range.
[[nodiscard]] absl::Status ValidateSolverParams(int64_t blocksize, double percdamp,
                                                int max_damping_retries);

}  // namespace binq::core

#endif  // BINQ_CORE_QUANT_GPTQ_SOLVER_H_
