// gptq — IST-DASLab/gptq n-bit (ALGORITHMS.md §9.1): `--wbits 2|3|4|8
// --groupsize G --sym --act-order [--static_groups]`; the math is in
// core/quant/gptq.h.
#include "core/base/status_macros.h"
#include "core/quant/gptq.h"
#include "core/quant/own_options.h"
#include "core/quant/technique.h"

namespace binq::core {
namespace {

class Gptq final : public Technique {
 public:
  std::string name() const override { return "gptq"; }

  absl::StatusOr<LayerResult> Quantize(const LayerProblem& problem,
                                       const QuantOptions& options) const override {
    BINQ_RETURN_IF_ERROR(ValidateOptions(options, name()));
    BINQ_ASSIGN_OR_RETURN(const TechniqueOptions own, OwnOptions(*this, options));
    GptqParams p;
    BINQ_ASSIGN_OR_RETURN(const int64_t wbits, own.Int("wbits"));
    p.wbits = static_cast<int>(wbits);
    BINQ_ASSIGN_OR_RETURN(p.groupsize, own.Int("groupsize"));
    BINQ_ASSIGN_OR_RETURN(p.sym, own.Bool("sym"));
    BINQ_ASSIGN_OR_RETURN(p.act_order, own.Bool("act_order"));
    BINQ_ASSIGN_OR_RETURN(p.static_groups, own.Bool("static_groups"));
    p.blocksize = options.blocksize;
    p.percdamp = options.percdamp;
    p.max_damping_retries = options.max_damping_retries;
    BINQ_ASSIGN_OR_RETURN(GptqOutput out, QuantizeGptq(problem, p));
    return std::move(out.layer);
  }
};

BINQ_REGISTER_TECHNIQUE(Gptq);

}  // namespace
}  // namespace binq::core
