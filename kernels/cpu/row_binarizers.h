// One-row masked binarizers shared by the CPU twins (kernels/cpu/*.cc).
// Arithmetic per element in fp32 with the references' order (multiply, then
// add: two roundings); row sums accumulated in double and rounded to float
// once — within ~1 ulp of PyTorch's cascade sums, not bit-identical.
#ifndef BINQ_KERNELS_CPU_ROW_BINARIZERS_H_
#define BINQ_KERNELS_CPU_ROW_BINARIZERS_H_

#include <cstdint>

namespace binq::kernels::cpu {

// braq's R_K on one row: out[j] for mask[j] != 0, 0 elsewhere.
void ResidualRow(const float* x, const uint8_t* mask, int64_t n, int order, float* out);
// CRBOG order 2 (§5).
void CoupledRow(const float* x, const uint8_t* mask, int64_t n, float* out);
// CRB-current order 1 and 2 (§6.1).
void CoupledStableRow(const float* x, const uint8_t* mask, int64_t n, int order, double lam,
                      double corr_damp, bool skip_refinement, bool symmetric_damp, float* out);
// CRB-paper2025 order 2 (§6.2).
void CoupledPaper2025Row(const float* x, const uint8_t* mask, int64_t n, double lam,
                         double corr_damp, float* out);

}  // namespace binq::kernels::cpu

#endif  // BINQ_KERNELS_CPU_ROW_BINARIZERS_H_
