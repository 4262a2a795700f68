// rtn — n-bit round-to-nearest baseline (`--wbits`, default 2; `--groupsize`,
// `--sym`): GPTQ's quantizer (gptq --nearest; ALGORITHMS.md §9.1 "RTN
// baseline") per row, or per group of columns (binq's extension); no Hessian.
#include "core/base/status_macros.h"
#include "core/quant/layer_checks.h"
#include "core/quant/minmax_quantizer.h"
#include "core/quant/own_options.h"
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
    RtnParams p;
    p.wbits = options.wbits;
    BINQ_ASSIGN_OR_RETURN(const TechniqueOptions own, OwnOptions(*this, options));
    BINQ_ASSIGN_OR_RETURN(p.groupsize, own.Int("groupsize"));
    BINQ_ASSIGN_OR_RETURN(p.sym, own.Bool("sym"));
    return TorchCall("rtn", [&]() -> absl::StatusOr<LayerResult> {
      BINQ_RETURN_IF_ERROR(CheckLayerProblem(problem, /*needs_hessian=*/false));
      Stopwatch total(problem.weight.device());
      BINQ_ASSIGN_OR_RETURN(RtnOutput out, RoundToNearest(problem.weight, p));
      LayerResult r;
      r.quantized = out.quantized;
      r.backend = "aten";
      r.relative_output_error = RelativeOutputError(problem.weight, r.quantized, problem.hessian);
      r.wbits_paper = p.wbits;  // group scales and zeros not counted, as GPTQ's tables
      const int64_t cols = r.quantized.size(1);
      // 2^b levels per row and group.
      r.packing = {PackingScheme::Kind::kCodebook, p.groupsize == -1 ? cols : p.groupsize, p.wbits};
      r.storage_bits = PackedBitsPerWeight(r.packing, r.quantized.size(0), cols);
      r.total_seconds = total.Lap();
      return r;
    });
  }
};

BINQ_REGISTER_TECHNIQUE(Rtn);

}  // namespace
}  // namespace binq::core
