#include "core/quant/quantile.h"

#include <cmath>

#include <ATen/ATen.h>

namespace binq::core {

std::vector<double> NumpyLinearQuantiles(const float* sorted, int64_t n,
                                         const std::vector<float>& levels) {
  std::vector<double> out;
  out.reserve(levels.size());
  const bool fp32_index = (n - 1) <= 65535;
  for (const float q : levels) {
    const double v = fp32_index ? static_cast<double>(static_cast<float>(n - 1) * q)
                                : static_cast<double>(n - 1) * static_cast<double>(q);
    if (v >= static_cast<double>(n - 1)) {
      out.push_back(sorted[n - 1]);
      continue;
    }
    const double lower = std::floor(v);
    const int64_t i = static_cast<int64_t>(lower);
    const double g = v - lower;
    const double below = sorted[i];
    const double above = sorted[i + 1];
    const double diff = static_cast<float>(sorted[i + 1] - sorted[i]);
    out.push_back(g < 0.5 ? below + diff * g : above - diff * (1.0 - g));
  }
  return out;
}

std::vector<float> BreakPointLevels() {
  const at::Tensor levels = at::linspace(0.10, 0.90, 81, at::TensorOptions().dtype(at::kFloat));
  const float* p = levels.data_ptr<float>();
  return std::vector<float>(p, p + levels.numel());
}

}  // namespace binq::core
