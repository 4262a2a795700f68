// arb-rc — ARB-RC (ALGORITHMS.md §9.3): row and column scales, no mean, refined
// alternately; with --order2_group it is the paper's ARB-LLM_RC.
#include "core/base/status_macros.h"
#include "core/quant/arb.h"
#include "core/quant/technique.h"

namespace binq::core {
namespace {

class ArbRc final : public Technique {
 public:
  std::string name() const override { return "arb-rc"; }

  absl::StatusOr<LayerResult> Quantize(const LayerProblem& problem,
                                       const QuantOptions& options) const override {
    BINQ_ASSIGN_OR_RETURN(const ArbParams params, ArbParamsFromOptions(ArbMethod::kArbRc, options));
    return QuantizeArbLayer(problem, options, params);
  }
};

BINQ_REGISTER_TECHNIQUE(ArbRc);

}  // namespace
}  // namespace binq::core
