// col-hbraq — HBLLM-col (ALGORITHMS.md §9.4): the non-salient columns binarized as Haar
// bands along columns, the salient columns' residual likewise.
#include "core/base/status_macros.h"
#include "core/quant/hbllm.h"
#include "core/quant/technique.h"

namespace binq::core {
namespace {

class ColHbraq final : public Technique {
 public:
  std::string name() const override { return "col-hbraq"; }

  absl::StatusOr<LayerResult> Quantize(const LayerProblem& problem,
                                       const QuantOptions& options) const override {
    BINQ_ASSIGN_OR_RETURN(const HbllmParams params, HbllmParamsFromOptions(HbllmMethod::kCol, options));
    return QuantizeHbllmLayer(problem, options, params);
  }
};

BINQ_REGISTER_TECHNIQUE(ColHbraq);

}  // namespace
}  // namespace binq::core
