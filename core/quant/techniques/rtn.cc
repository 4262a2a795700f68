// rtn — n-bit round-to-nearest baseline (`--wbits`, default 2): GPTQ's
// quantizer per row over the whole row, asymmetric min-max including 0
// (ALGORITHMS.md §9.1 "RTN baseline"); no Hessian, no groups.
#include "core/base/status_macros.h"
#include "core/quant/layer_checks.h"
#include "core/quant/stopwatch.h"
#include "core/quant/technique.h"
#include "core/torch/torch_call.h"

namespace binq::core {
namespace {

class Rtn final : public Technique {
 public:
  std::string name() const override { return "rtn"; }

  absl::StatusOr<LayerResult> Quantize(const LayerProblem& problem,
                                       const QuantOptions& options) const override {
    BINQ_RETURN_IF_ERROR(ValidateOptions(options, name()));
    return TorchCall("rtn", [&]() -> absl::StatusOr<LayerResult> {
      BINQ_RETURN_IF_ERROR(CheckLayerProblem(problem, /*needs_hessian=*/false));
      Stopwatch total(problem.weight.device());
      const at::Tensor w = problem.weight.to(at::kFloat);
      const double maxq = static_cast<double>((1 << options.wbits) - 1);
      at::Tensor xmin = at::clamp_max(std::get<0>(w.min(1, true)), 0);
      at::Tensor xmax = at::clamp_min(std::get<0>(w.max(1, true)), 0);
      const at::Tensor flat = (xmin == 0) & (xmax == 0);  // all-zero rows use [−1, 1]
      xmin = at::where(flat, at::full_like(xmin, -1), xmin);
      xmax = at::where(flat, at::full_like(xmax, 1), xmax);
      const at::Tensor scale = (xmax - xmin) / maxq;
      const at::Tensor zero = at::round(-xmin / scale);
      const at::Tensor levels = at::clamp(at::round(w / scale) + zero, 0, maxq);
      LayerResult r;
      r.quantized = scale * (levels - zero);
      r.backend = "aten";
      r.relative_output_error = RelativeOutputError(problem.weight, r.quantized, problem.hessian);
      r.wbits_paper = options.wbits;
      r.packing = {PackingScheme::Kind::kCodebook, w.size(1), options.wbits};  // 2^b levels per row
      r.storage_bits = PackedBitsPerWeight(r.packing, w.size(0), w.size(1));
      r.total_seconds = total.Lap();
      return r;
    });
  }
};

BINQ_REGISTER_TECHNIQUE(Rtn);

}  // namespace
}  // namespace binq::core
