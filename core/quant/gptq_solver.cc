#include "core/quant/gptq_solver.h"

#include <algorithm>
#include <cmath>

#include "absl/strings/str_cat.h"

#include "core/quant/stopwatch.h"

namespace binq::core {

using at::indexing::Slice;

ColumnSolve SolveColumnwise(at::Tensor& w, const at::Tensor& u, int64_t blocksize,
                            const ColumnQuantizer& quantize) {
  const int64_t cols = w.size(1);
  ColumnSolve out{at::zeros_like(w), at::zeros_like(w), at::zeros_like(w)};
  Stopwatch stage(w.device());
  for (int64_t i1 = 0; i1 < cols; i1 += blocksize) {
    const int64_t i2 = std::min(i1 + blocksize, cols);
    const int64_t count = i2 - i1;
    at::Tensor w1 = w.index({Slice(), Slice(i1, i2)}).clone();
    const at::Tensor u1 = u.index({Slice(i1, i2), Slice(i1, i2)});
    at::Tensor q1 = at::zeros_like(w1), e1 = at::zeros_like(w1);
    at::Tensor l1 = at::zeros_like(w1), h1 = at::zeros_like(w1);
    for (int64_t i = 0; i < count; ++i) {
      const at::Tensor col = w1.select(1, i).clone();
      const at::Tensor d = u1[i][i];
      const at::Tensor q = quantize(i1 + i, col);
      h1.select(1, i).copy_(col);
      q1.select(1, i).copy_(q);
      l1.select(1, i).copy_((col - q).pow(2) / d.pow(2));
      const at::Tensor err = (col - q) / d;
      // An outer product: each entry one fp32 product, as the reference's matmul.
      w1.narrow(1, i, count - i)
          .sub_(err.unsqueeze(1).matmul(u1.select(0, i).narrow(0, i, count - i).unsqueeze(0)));
      e1.select(1, i).copy_(err);
    }
    out.quantized.index_put_({Slice(), Slice(i1, i2)}, q1);
    out.handed.index_put_({Slice(), Slice(i1, i2)}, h1);
    out.losses.index_put_({Slice(), Slice(i1, i2)}, l1 / 2);
    out.quantize_seconds += stage.Lap();
    if (i2 < cols) {
      w.index({Slice(), Slice(i2, cols)}) -= e1.matmul(u.index({Slice(i1, i2), Slice(i2, cols)}));
    }
    out.solver_seconds += stage.Lap();
  }
  return out;
}

absl::Status ValidateSolverParams(int64_t blocksize, double percdamp, int max_damping_retries) {
  if (blocksize < 1) {
    return absl::InvalidArgumentError(absl::StrCat("blocksize: must be >= 1, got ", blocksize));
  }
  if (!(percdamp > 0) || !std::isfinite(percdamp)) {
    return absl::InvalidArgumentError(
        absl::StrCat("percdamp: must be a positive number, got ", percdamp));
  }
  if (max_damping_retries < 0) {
    return absl::InvalidArgumentError("max_damping_retries: must be >= 0");
  }
  return absl::OkStatus();
}

}  // namespace binq::core
