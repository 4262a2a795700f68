// CRB — coupled residual binarization with two-way sign refinement
// (ALGORITHMS.md §6). Default: the CRB repository's current vectorized v7;
// crb_variant=paper2025 selects the per-row v7 of the paper's time.
#include "core/quant/binarizers.h"
#include "core/quant/residual_binarization.h"

namespace binq::core {
namespace {

CrbParams ToCrbParams(const QuantOptions& o) {
  return CrbParams{o.lam, o.corr_damp, o.skip_refinement, o.symmetric_damp};
}

class Crb final : public ResidualBinarizationTechnique {
 public:
  std::string name() const override { return "CRB"; }

 protected:
  at::Tensor BinarizeAten(const at::Tensor& x, const at::Tensor& mask, int64_t order,
                          const QuantOptions& options) const override {
    if (options.crb_variant == CrbVariant::kPaper2025) {
      return CoupledResidualPaper2025(x, mask, order, ToCrbParams(options));
    }
    return CoupledResidualStable(x, mask, order, ToCrbParams(options));
  }
  std::optional<kernels::BinarizeMethod> KernelMethod(const QuantOptions& options) const override {
    return options.crb_variant == CrbVariant::kPaper2025 ? kernels::BinarizeMethod::kCrbPaper2025
                                                         : kernels::BinarizeMethod::kCrb;
  }
};

BINQ_REGISTER_TECHNIQUE(Crb);

}  // namespace
}  // namespace binq::core
