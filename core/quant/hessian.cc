#include "core/quant/hessian.h"

#include <cmath>

#include "absl/strings/str_cat.h"
#include "core/torch/torch_call.h"

namespace binq::core {

HessianAccumulator::HessianAccumulator(int64_t columns, at::Device device)
    : hessian_(at::zeros({columns, columns}, at::TensorOptions().dtype(at::kFloat).device(device))) {}

absl::Status HessianAccumulator::AddBatch(const at::Tensor& inputs) {
  const int64_t columns = hessian_.size(0);
  if ((inputs.dim() != 2 && inputs.dim() != 3) || inputs.size(-1) != columns) {
    return absl::InvalidArgumentError(
        absl::StrCat("hessian inputs: expected [t, seq, ", columns, "] or [seq, ", columns,
                     "], got ", inputs.dim(), "-d tensor with last dim ",
                     inputs.dim() ? inputs.size(-1) : 0));
  }
  return TorchCall("accumulating the Hessian", [&] {
    const int64_t t = inputs.dim() == 3 ? inputs.size(0) : 1;
    const at::Tensor x = inputs.reshape({-1, columns}).t().to(hessian_.device());
    hessian_.mul_(static_cast<double>(nsamples_) / static_cast<double>(nsamples_ + t));
    nsamples_ += t;
    const at::Tensor scaled = std::sqrt(2.0 / static_cast<double>(nsamples_)) * x.to(at::kFloat);
    hessian_.add_(scaled.matmul(scaled.t()));
  });
}

}  // namespace binq::core
