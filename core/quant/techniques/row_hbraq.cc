// row-hbraq — HBLLM-row (ALGORITHMS.md §9.4): salient columns filled from their
// neighbours, the block binarized as Haar bands along rows, the salient
// columns' residual as Haar bands along columns.
#include "core/base/status_macros.h"
#include "core/quant/hbllm.h"
#include "core/quant/technique.h"

namespace binq::core {
namespace {

class RowHbraq final : public Technique {
 public:
  std::string name() const override { return "row-hbraq"; }

  absl::StatusOr<LayerResult> Quantize(const LayerProblem& problem,
                                       const QuantOptions& options) const override {
    BINQ_ASSIGN_OR_RETURN(const HbllmParams params, HbllmParamsFromOptions(HbllmMethod::kRow, options));
    return QuantizeHbllmLayer(problem, options, params);
  }
};

BINQ_REGISTER_TECHNIQUE(RowHbraq);

}  // namespace
}  // namespace binq::core
