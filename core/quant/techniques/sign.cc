// sign — the plainest 1-bit baseline: per-row scaled sign, Ŵ = α_r·sgn(W),
// α_r = mean_j |W_rj| (the XNOR-Net scale; no Hessian, no search).
#include "core/base/status_macros.h"
#include "core/quant/layer_checks.h"
#include "core/quant/stopwatch.h"
#include "core/quant/technique.h"
#include "core/torch/torch_call.h"

namespace binq::core {
namespace {

class Sign final : public Technique {
 public:
  std::string name() const override { return "sign"; }

  absl::StatusOr<LayerResult> Quantize(const LayerProblem& problem,
                                       const QuantOptions& options) const override {
    BINQ_RETURN_IF_ERROR(ValidateOptions(options, name()));
    return TorchCall("sign", [&]() -> absl::StatusOr<LayerResult> {
      BINQ_RETURN_IF_ERROR(CheckLayerProblem(problem, /*needs_hessian=*/false));
      Stopwatch total(problem.weight.device());
      const at::Tensor w = problem.weight.to(at::kFloat);
      LayerResult r;
      r.quantized = at::sign(w) * w.abs().mean(1, /*keepdim=*/true);
      r.backend = "aten";
      r.relative_output_error = RelativeOutputError(problem.weight, r.quantized, problem.hessian);
      r.wbits_paper = 1;
      r.packing = {PackingScheme::Kind::kCodebook, w.size(1), 1};  // ±α per row
      r.storage_bits = PackedBitsPerWeight(r.packing, w.size(0), w.size(1));
      r.total_seconds = total.Lap();
      return r;
    });
  }
};

BINQ_REGISTER_TECHNIQUE(Sign);

}  // namespace
}  // namespace binq::core
