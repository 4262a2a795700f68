// CRBOG — CRB's base version (ALGORITHMS.md §5): braq's masks, salient values
// from the greedy planes re-weighted by a 2×2 least-squares solve.
#include "core/quant/binarizers.h"
#include "core/quant/residual_binarization.h"

namespace binq::core {
namespace {

class Crbog final : public ResidualBinarizationTechnique {
 public:
  std::string name() const override { return "CRBOG"; }

 protected:
  at::Tensor BinarizeAten(const at::Tensor& x, const at::Tensor& mask, int64_t order,
                          const QuantOptions&) const override {
    return CoupledResidual(x, mask, order);
  }
  std::optional<kernels::BinarizeMethod> KernelMethod(const QuantOptions&) const override {
    return kernels::BinarizeMethod::kCrbog;
  }
};

BINQ_REGISTER_TECHNIQUE(Crbog);

}  // namespace
}  // namespace binq::core
