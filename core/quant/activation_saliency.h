// binq's own activation-aware saliency (ALGORITHMS.md §9.2, "Smart
// Binarization"; not a reproduction): Wanda's score S_ij = |W_ij|·‖X_j‖₂, with
// the input-channel norm taken from the accumulated Hessian, which by §2.5 is
// H = (2/nsamples)·Σ x xᵀ, so ‖X_j‖₂ = sqrt((nsamples/2)·H_jj). Shared by the
// techniques that rank weights (PB-LLM; later braq/CRBOG/CRB).
#ifndef BINQ_CORE_QUANT_ACTIVATION_SALIENCY_H_
#define BINQ_CORE_QUANT_ACTIVATION_SALIENCY_H_

#include <cstdint>

#include <ATen/ATen.h>

namespace binq::core {

// ‖X_j‖₂ per input channel, fp32 [cols], from `hessian` [cols, cols] as
// accumulated (before the dead-column fix and damping; dead channels give 0).
at::Tensor InputChannelNorms(const at::Tensor& hessian, int64_t nsamples);

// S = |W| · ‖X_j‖₂ (fp32 [rows, cols]); `weight` is the working copy (dead
// columns already zeroed). For nsamples = 128 the common factor is 8, a power
// of two, so the ranking equals that of |W_ij|·sqrt(H_jj) exactly.
at::Tensor ActivationSaliency(const at::Tensor& weight, const at::Tensor& hessian,
                              int64_t nsamples);

}  // namespace binq::core

#endif  // BINQ_CORE_QUANT_ACTIVATION_SALIENCY_H_
