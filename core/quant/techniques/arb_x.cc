// arb-x — ARB-X (ALGORITHMS.md §9.3): ARB, then closed-form mean/scale updates under
// S = mean XᵀX of the calibration inputs (H/2 of the same pass); with
// --order2_group it is the paper's ARB-LLM_X.
#include "core/base/status_macros.h"
#include "core/quant/arb.h"
#include "core/quant/technique.h"

namespace binq::core {
namespace {

class ArbX final : public Technique {
 public:
  std::string name() const override { return "arb-x"; }

  absl::StatusOr<LayerResult> Quantize(const LayerProblem& problem,
                                       const QuantOptions& options) const override {
    BINQ_ASSIGN_OR_RETURN(const ArbParams params, ArbParamsFromOptions(ArbMethod::kArbX, options));
    return QuantizeArbLayer(problem, options, params);
  }
};

BINQ_REGISTER_TECHNIQUE(ArbX);

}  // namespace
}  // namespace binq::core
