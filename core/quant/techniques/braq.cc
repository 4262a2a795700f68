// braq — BiLLM's residual binarization (ALGORITHMS.md §4): order-2 residual
// binarization of salient columns, order-1 of the two non-salient groups.
#include "core/quant/binarizers.h"
#include "core/quant/residual_binarization.h"

namespace binq::core {
namespace {

class Braq final : public ResidualBinarizationTechnique {
 public:
  std::string name() const override { return "braq"; }

 protected:
  at::Tensor BinarizeAten(const at::Tensor& x, const at::Tensor& mask, int64_t order,
                          const QuantOptions&) const override {
    return HighOrderResidual(x, mask, order);
  }
  std::optional<kernels::BinarizeMethod> KernelMethod(const QuantOptions&) const override {
    return kernels::BinarizeMethod::kBraq;
  }
};

BINQ_REGISTER_TECHNIQUE(Braq);

}  // namespace
}  // namespace binq::core
