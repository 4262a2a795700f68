// pbllm-xnor, pbllm-sign, pbllm-2bit, pbllm-4bit — PB-LLM partial
// binarization (hahnyuan/PB-LLM gptq_pb; ALGORITHMS.md §9.2) with the
// reference's `low_quant_method` as the technique: `--low_frac --high_bit
// --salient_metric hessian|magnitude|activation`; the math is in
// core/quant/pbllm.h. Aliases xnor, 2bit, 4bit (the Smart Binarization
// command lines); `sign` stays binq's own baseline.
#include "core/base/status_macros.h"
#include "core/quant/own_options.h"
#include "core/quant/pbllm.h"
#include "core/quant/technique.h"

namespace binq::core {
namespace {

// The activation metric's ‖X_j‖₂ = sqrt((nsamples/2)·H_jj) needs the number
// of calibration sequences, which a layer problem does not carry; binq's
// standard 128 is used. It only scales S (by 8 for 128), so the ranking is
// that of |W|·sqrt(H_jj) whatever nsamples the job used, up to fp32 ties.
constexpr int64_t kActivationNsamples = 128;

class PbllmTechnique : public Technique {
 public:
  PbllmTechnique(std::string name, PbllmLowMethod method) : name_(std::move(name)), method_(method) {}
  std::string name() const override { return name_; }

  absl::StatusOr<LayerResult> Quantize(const LayerProblem& problem,
                                       const QuantOptions& options) const override {
    BINQ_RETURN_IF_ERROR(ValidateOptions(options, name()));
    BINQ_ASSIGN_OR_RETURN(const TechniqueOptions own, OwnOptions(*this, options));
    PbllmParams p;
    p.low_method = method_;
    BINQ_ASSIGN_OR_RETURN(p.low_frac, own.Double("low_frac"));
    BINQ_ASSIGN_OR_RETURN(const int64_t high_bit, own.Int("high_bit"));
    p.high_bit = static_cast<int>(high_bit);
    BINQ_ASSIGN_OR_RETURN(const std::string metric, own.Enum("salient_metric"));
    BINQ_ASSIGN_OR_RETURN(p.salient_metric, ParsePbllmSalientMetric(metric));
    p.activation_nsamples = kActivationNsamples;
    p.blocksize = options.blocksize;
    p.percdamp = options.percdamp;
    p.max_damping_retries = options.max_damping_retries;
    BINQ_ASSIGN_OR_RETURN(PbllmOutput out, QuantizePbllm(problem, p));
    return std::move(out.layer);
  }

 private:
  std::string name_;
  PbllmLowMethod method_;
};

class PbllmXnor final : public PbllmTechnique {
 public:
  PbllmXnor() : PbllmTechnique("pbllm-xnor", PbllmLowMethod::kXnor) {}
};
class PbllmSign final : public PbllmTechnique {
 public:
  PbllmSign() : PbllmTechnique("pbllm-sign", PbllmLowMethod::kSign) {}
};
class Pbllm2Bit final : public PbllmTechnique {
 public:
  Pbllm2Bit() : PbllmTechnique("pbllm-2bit", PbllmLowMethod::k2Bit) {}
};
class Pbllm4Bit final : public PbllmTechnique {
 public:
  Pbllm4Bit() : PbllmTechnique("pbllm-4bit", PbllmLowMethod::k4Bit) {}
};

BINQ_REGISTER_TECHNIQUE(PbllmXnor);
BINQ_REGISTER_TECHNIQUE(PbllmSign);
BINQ_REGISTER_TECHNIQUE(Pbllm2Bit);
BINQ_REGISTER_TECHNIQUE(Pbllm4Bit);

}  // namespace
}  // namespace binq::core
