#include "core/quant/quantile.h"

#include <cmath>
#include <cstdint>
#include <cstring>

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
  // torch 1.13's CPU linspace(0.10, 0.90, 81) in fp32, as bit patterns
  // (ALGORITHMS.md §4.4). LibTorch 2.11's linspace kernel differs in the last
  // bit for 33 of them, so the references' values are kept here.
  static constexpr uint32_t kBits[81] = {
      0x3dcccccd, 0x3de147ae, 0x3df5c290, 0x3e051eb8, 0x3e0f5c29, 0x3e19999a, 0x3e23d70a,
      0x3e2e147b, 0x3e3851ec, 0x3e428f5d, 0x3e4ccccd, 0x3e570a3e, 0x3e6147ae, 0x3e6b851f,
      0x3e75c290, 0x3e800000, 0x3e851eb8, 0x3e8a3d70, 0x3e8f5c29, 0x3e947ae1, 0x3e999999,
      0x3e9eb852, 0x3ea3d70a, 0x3ea8f5c2, 0x3eae147b, 0x3eb33333, 0x3eb851ec, 0x3ebd70a4,
      0x3ec28f5c, 0x3ec7ae14, 0x3ecccccd, 0x3ed1eb85, 0x3ed70a3d, 0x3edc28f5, 0x3ee147ae,
      0x3ee66666, 0x3eeb851e, 0x3ef0a3d6, 0x3ef5c28f, 0x3efae147, 0x3f000000, 0x3f028f5c,
      0x3f051eb8, 0x3f07ae14, 0x3f0a3d71, 0x3f0ccccd, 0x3f0f5c29, 0x3f11eb85, 0x3f147ae1,
      0x3f170a3d, 0x3f199999, 0x3f1c28f5, 0x3f1eb852, 0x3f2147ae, 0x3f23d70a, 0x3f266666,
      0x3f28f5c2, 0x3f2b851e, 0x3f2e147a, 0x3f30a3d6, 0x3f333333, 0x3f35c28f, 0x3f3851eb,
      0x3f3ae147, 0x3f3d70a4, 0x3f400000, 0x3f428f5c, 0x3f451eb8, 0x3f47ae15, 0x3f4a3d71,
      0x3f4ccccd, 0x3f4f5c29, 0x3f51eb85, 0x3f547ae1, 0x3f570a3d, 0x3f599999, 0x3f5c28f6,
      0x3f5eb852, 0x3f6147ae, 0x3f63d70a, 0x3f666666};
  std::vector<float> levels(81);
  std::memcpy(levels.data(), kBits, sizeof kBits);
  return levels;
}

}  // namespace binq::core
