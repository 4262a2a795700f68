#include "core/quant/activation_saliency.h"

namespace binq::core {

at::Tensor InputChannelNorms(const at::Tensor& hessian, int64_t nsamples) {
  // H_jj ≥ 0 for any accumulated Hessian; the clamp only guards hand-made ones.
  const at::Tensor diag = hessian.diagonal().to(at::kFloat).clamp_min(0);
  return at::sqrt(diag * (static_cast<double>(nsamples) / 2.0));
}

at::Tensor ActivationSaliency(const at::Tensor& weight, const at::Tensor& hessian,
                              int64_t nsamples) {
  return weight.to(at::kFloat).abs() * InputChannelNorms(hessian, nsamples).unsqueeze(0);
}

}  // namespace binq::core
