// none (alias fp16) — no quantization: the weights come back unchanged (in
// fp32). `binq-run MODEL DATASET none` skips calibration and quantization
// altogether and evaluates the model as loaded (job_runner.cc); here it is
// the identity for `binq-run layer` / `compare`, a reference row.
#include "core/base/status_macros.h"
#include "core/quant/layer_checks.h"
#include "core/quant/stopwatch.h"
#include "core/quant/technique.h"
#include "core/torch/torch_call.h"

namespace binq::core {
namespace {

class NoQuantization final : public Technique {
 public:
  std::string name() const override { return kNoQuantization; }

  absl::StatusOr<LayerResult> Quantize(const LayerProblem& problem,
                                       const QuantOptions& options) const override {
    BINQ_RETURN_IF_ERROR(ValidateOptions(options, name()));
    return TorchCall(kNoQuantization, [&]() -> absl::StatusOr<LayerResult> {
      BINQ_RETURN_IF_ERROR(CheckLayerProblem(problem, /*needs_hessian=*/false));
      Stopwatch total(problem.weight.device());
      LayerResult r;
      r.quantized = problem.weight.to(at::kFloat, /*non_blocking=*/false, /*copy=*/true);
      r.backend = "aten";
      r.relative_output_error = RelativeOutputError(problem.weight, r.quantized, problem.hessian);
      r.wbits_paper = 8.0 * static_cast<double>(problem.weight.element_size());  // as stored
      r.packing = {PackingScheme::Kind::kNone, problem.weight.size(1), 0};     // nothing to pack
      r.storage_bits = r.wbits_paper;
      r.total_seconds = total.Lap();
      return r;
    });
  }
};

BINQ_REGISTER_TECHNIQUE(NoQuantization);

}  // namespace
}  // namespace binq::core
