// NumPy 1.x `np.quantile(a, q, method="linear")` on a float32 sample with
// float32 levels, reproduced to the bit (ALGORITHMS.md §4.4 step 4): the
// virtual index is float32 when N−1 ≤ 65535 and float64 above (NumPy 1.x
// value-based casting), the interpolation is float64.
#ifndef BINQ_CORE_QUANT_QUANTILE_H_
#define BINQ_CORE_QUANT_QUANTILE_H_

#include <cstdint>
#include <vector>

namespace binq::core {

// `sorted` ascending, non-empty. Returns one float64 per level.
std::vector<double> NumpyLinearQuantiles(const float* sorted, int64_t n,
                                         const std::vector<float>& levels);

// The 81 break-point levels exactly as the references' torch 1.13 CPU
// linspace(0.10, 0.90, 81) gives them in fp32 (not 0.1 + 0.01·i, and not
// LibTorch 2.11's linspace, which differ in the last bit for some).
std::vector<float> BreakPointLevels();

}  // namespace binq::core

#endif  // BINQ_CORE_QUANT_QUANTILE_H_
