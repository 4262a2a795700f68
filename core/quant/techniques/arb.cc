// arb — ARB-LLM's alternating refined binarization (ALGORITHMS.md §9.3): BiLLM's
// masks and block framework, each partition's mean, scale and signs refined
// alternately (15 rounds); --order2_group (CGB) splits the salient columns.
#include "core/base/status_macros.h"
#include "core/quant/arb.h"
#include "core/quant/technique.h"

namespace binq::core {
namespace {

class Arb final : public Technique {
 public:
  std::string name() const override { return "arb"; }

  absl::StatusOr<LayerResult> Quantize(const LayerProblem& problem,
                                       const QuantOptions& options) const override {
    BINQ_ASSIGN_OR_RETURN(const ArbParams params, ArbParamsFromOptions(ArbMethod::kArb, options));
    return QuantizeArbLayer(problem, options, params);
  }
};

BINQ_REGISTER_TECHNIQUE(Arb);

}  // namespace
}  // namespace binq::core
