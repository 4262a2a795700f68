// Running-average Hessian of a linear layer's inputs, exactly as GPTQ/BiLLM's
// add_batch accumulates it (ALGORITHMS.md §2.5): per call with t sequences,
// H ← H·(n/(n+t)); n ← n+t; X̃ = sqrt(2/n)·X; H ← H + X̃X̃ᵀ, all fp32.
// Not thread-safe; one accumulator per layer.
#ifndef BINQ_CORE_QUANT_HESSIAN_H_
#define BINQ_CORE_QUANT_HESSIAN_H_

#include <cstdint>

#include <ATen/ATen.h>

#include "absl/status/status.h"

namespace binq::core {

class HessianAccumulator {
 public:
  HessianAccumulator(int64_t columns, at::Device device);

  // `inputs`: [t, seq, columns] (t sequences) or [seq, columns] (one
  // sequence), any float dtype. INVALID_ARGUMENT on a shape mismatch.
  [[nodiscard]] absl::Status AddBatch(const at::Tensor& inputs);

  const at::Tensor& hessian() const { return hessian_; }
  int64_t nsamples() const { return nsamples_; }

 private:
  at::Tensor hessian_;  // fp32 [columns, columns]
  int64_t nsamples_ = 0;
};

}  // namespace binq::core

#endif  // BINQ_CORE_QUANT_HESSIAN_H_
