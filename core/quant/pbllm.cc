#include "core/quant/pbllm.h"

#include <algorithm>
#include <cmath>

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "core/base/status_macros.h"
#include "core/quant/activation_saliency.h"
#include "core/quant/gptq_solver.h"
#include "core/quant/inverse_hessian.h"
#include "core/quant/layer_checks.h"
#include "core/quant/stopwatch.h"
#include "core/torch/torch_call.h"

namespace binq::core {
namespace {

using at::indexing::Slice;

// Bits per low-bit weight as the levels count them (the reference's "4bit"
// has 8 levels, so 3 bits).
int LowBits(PbllmLowMethod method) {
  switch (method) {
    case PbllmLowMethod::kXnor:
    case PbllmLowMethod::kSign: return 1;
    case PbllmLowMethod::k2Bit: return 2;
    case PbllmLowMethod::k4Bit: return 3;
  }
  return 1;
}

at::Tensor Saliency(const at::Tensor& w, const at::Tensor& u, const at::Tensor& hessian,
                    const PbllmParams& params) {
  switch (params.salient_metric) {
    case PbllmSalientMetric::kMagnitude: return w.abs();
    case PbllmSalientMetric::kHessian:
      return w.pow(2) / u.diagonal().reshape({1, -1}).pow(2);
    case PbllmSalientMetric::kActivation:
      return ActivationSaliency(w, hessian, params.activation_nsamples);
  }
  return w.abs();
}

// U for the layer; `w` gets its dead columns zeroed either way.
absl::StatusOr<InverseHessianFactor> Factor(const LayerProblem& problem, at::Tensor& w,
                                            const PbllmParams& params) {
  if (!problem.inverse_factor.defined()) {
    return FactorInverseHessian(problem.hessian, w, params.percdamp, params.max_damping_retries);
  }
  InverseHessianFactor factor;
  const at::Tensor dead = problem.hessian.diagonal() == 0;
  factor.dead_columns = dead.sum().item<int64_t>();
  w.index_put_({Slice(), dead}, 0);
  factor.u = problem.inverse_factor.to(w.device(), at::kFloat);
  return factor;
}

}  // namespace

absl::StatusOr<PbllmLowMethod> ParsePbllmLowMethod(absl::string_view name) {
  const std::string lower = absl::AsciiStrToLower(name);
  if (lower == "xnor") return PbllmLowMethod::kXnor;
  if (lower == "sign") return PbllmLowMethod::kSign;
  if (lower == "2bit") return PbllmLowMethod::k2Bit;
  if (lower == "4bit") return PbllmLowMethod::k4Bit;
  return absl::InvalidArgumentError(
      absl::StrCat("low_quant_method: unknown '", name, "' (expected xnor, sign, 2bit or 4bit)"));
}

absl::StatusOr<PbllmSalientMetric> ParsePbllmSalientMetric(absl::string_view name) {
  const std::string lower = absl::AsciiStrToLower(name);
  if (lower == "hessian") return PbllmSalientMetric::kHessian;
  if (lower == "magnitude") return PbllmSalientMetric::kMagnitude;
  if (lower == "activation") return PbllmSalientMetric::kActivation;
  return absl::InvalidArgumentError(absl::StrCat(
      "salient_metric: unknown '", name, "' (expected hessian, magnitude or activation)"));
}

const char* PbllmLowMethodName(PbllmLowMethod method) {
  switch (method) {
    case PbllmLowMethod::kXnor: return "xnor";
    case PbllmLowMethod::kSign: return "sign";
    case PbllmLowMethod::k2Bit: return "2bit";
    case PbllmLowMethod::k4Bit: return "4bit";
  }
  return "?";
}

const char* PbllmSalientMetricName(PbllmSalientMetric metric) {
  switch (metric) {
    case PbllmSalientMetric::kHessian: return "hessian";
    case PbllmSalientMetric::kMagnitude: return "magnitude";
    case PbllmSalientMetric::kActivation: return "activation";
  }
  return "?";
}

LowBitQuantizer CalibrateLowBit(PbllmLowMethod method, const at::Tensor& masked) {
  LowBitQuantizer q;
  q.method = method;
  switch (method) {
    case PbllmLowMethod::kXnor:
      q.mean = masked.mean(-1).view({-1, 1});
      q.scale = (masked - q.mean).abs().mean(-1).view({-1, 1});
      break;
    case PbllmLowMethod::kSign:
      q.scale = at::relu(masked).mean(-1).view({-1, 1});
      break;
    case PbllmLowMethod::k2Bit:
    case PbllmLowMethod::k4Bit: {
      q.maxq = method == PbllmLowMethod::k2Bit ? 3 : 7;
      const RowRange range = MinMaxRowRange(masked, /*sym=*/false);
      q.scale = ((range.xmax - range.xmin) / static_cast<double>(q.maxq)).view({-1, 1});
      // The reference indexes its per-row scale with the group index 0: every
      // row's zero uses row 0's step (§9.2 step 4; reproduced on purpose).
      q.zero = at::round(-range.xmin / q.scale[0]).view({-1, 1});
      break;
    }
  }
  return q;
}

at::Tensor QuantizeLowBit(const LowBitQuantizer& q, const at::Tensor& w) {
  switch (q.method) {
    case PbllmLowMethod::kXnor: return q.mean + q.scale * at::sign(w - q.mean);
    case PbllmLowMethod::kSign: return (w > 0).to(w.scalar_type()) * q.scale;
    case PbllmLowMethod::k2Bit:
    case PbllmLowMethod::k4Bit: {
      const at::Tensor levels =
          at::clamp(at::round(w / q.scale) + q.zero, 0, static_cast<double>(q.maxq));
      return q.scale * (levels - q.zero);
    }
  }
  return w;
}

at::Tensor PbllmBinarizedMask(const at::Tensor& saliency, double low_frac) {
  const at::Tensor flat = saliency.flatten();
  const int64_t numel = flat.numel();
  // Python's int(numel * low_frac): the double product, truncated.
  const int64_t index =
      std::min(static_cast<int64_t>(static_cast<double>(numel) * low_frac), numel - 1);
  const at::Tensor threshold = std::get<0>(at::kthvalue(flat, index + 1));
  return saliency <= threshold;
}

absl::Status ValidatePbllmParams(const PbllmParams& p) {
  if (!(p.low_frac >= 0 && p.low_frac <= 1)) {
    return absl::InvalidArgumentError(
        absl::StrCat("low_frac: must be in [0, 1], got ", p.low_frac));
  }
  if (p.high_bit < 2 || p.high_bit > 8) {
    return absl::InvalidArgumentError(
        absl::StrCat("high_bit: must be in 2..8, got ", p.high_bit));
  }
  if (p.activation_nsamples < 1) {
    return absl::InvalidArgumentError(absl::StrCat(
        "activation_nsamples: must be >= 1, got ", p.activation_nsamples));
  }
  return ValidateSolverParams(p.blocksize, p.percdamp, p.max_damping_retries);
}

absl::StatusOr<PbllmOutput> QuantizePbllm(const LayerProblem& problem, const PbllmParams& params) {
  BINQ_RETURN_IF_ERROR(ValidatePbllmParams(params));
  return TorchCall("pbllm", [&]() -> absl::StatusOr<PbllmOutput> {
    BINQ_RETURN_IF_ERROR(CheckLayerProblem(problem, /*needs_hessian=*/true));
    Stopwatch total(problem.weight.device());
    Stopwatch stage(problem.weight.device());
    PbllmOutput out;
    LayerResult& r = out.layer;
    at::Tensor w = problem.weight.to(at::kFloat, /*non_blocking=*/false, /*copy=*/true);
    out.high = FindMinMaxParams(w, (int64_t{1} << params.high_bit) - 1, /*sym=*/false);
    BINQ_ASSIGN_OR_RETURN(InverseHessianFactor factor, Factor(problem, w, params));
    r.dead_columns = factor.dead_columns;
    r.damping_retries = factor.damping_retries;
    r.factor_seconds = stage.Lap();

    const at::Tensor mask =
        PbllmBinarizedMask(Saliency(w, factor.u, problem.hessian, params), params.low_frac);
    out.low = CalibrateLowBit(params.low_method, w * mask);
    r.search_seconds = stage.Lap();

    ColumnSolve loop = SolveColumnwise(
        w, factor.u, params.blocksize, [&](int64_t j, const at::Tensor& column) {
          const at::Tensor x = column.unsqueeze(1);
          const at::Tensor high = MinMaxDequantize(MinMaxCodes(x, out.high), out.high).flatten();
          const at::Tensor low = QuantizeLowBit(out.low, x).flatten();
          return at::where(mask.select(1, j), low, high);
        });
    r.binarize_seconds = loop.quantize_seconds;
    r.solver_seconds = loop.solver_seconds;
    r.loss = loop.losses.sum().item<double>();
    r.quantized = loop.quantized;
    out.binarized = mask;
    out.handed = loop.handed;

    r.backend = "aten";
    r.relative_output_error = RelativeOutputError(problem.weight, r.quantized, problem.hessian);
    const double numel = static_cast<double>(mask.numel());
    const double binarized = static_cast<double>(mask.sum().item<int64_t>());
    // PB-LLM's count (0.9·1 + 0.1·8 = "1.7 bits"): the bitmap is not counted.
    r.wbits_paper = (binarized * LowBits(params.low_method) +
                     (numel - binarized) * params.high_bit) / numel;
    r.salient_columns = 0;  // PB-LLM's salient set is element-wise, not columns
    r.total_seconds = total.Lap();
    return out;
  });
}

}  // namespace binq::core
