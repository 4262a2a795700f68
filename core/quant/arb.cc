#include "core/quant/arb.h"

#include <algorithm>
#include <limits>
#include <utility>

#include "absl/strings/str_cat.h"
#include "core/base/status_macros.h"
#include "core/quant/binarizers.h"
#include "core/quant/block_search.h"
#include "core/quant/stopwatch.h"

namespace binq::core {
namespace {

using at::indexing::Slice;

// The reference's denominators: ARB scales 1e-8, ARB-X's quadratic forms 1e-10.
constexpr double kScaleEps = 1e-8;
constexpr double kGramEps = 1e-10;
// Rows per chunk of ARB-X's [rows, B, B] quadratic-form products (memory).
constexpr int64_t kQuadRowChunk = 256;

at::Tensor NanLike(const at::Tensor& x) {
  return at::full({}, std::numeric_limits<float>::quiet_NaN(), x.options());
}

// nanmean along `dim`, 0 where the slice has no number.
at::Tensor NanMeanOrZero(const at::Tensor& y, int64_t dim) {
  const at::Tensor mean = at::nanmean(y, {dim});
  return at::where(at::isnan(mean), at::zeros_like(mean), mean);
}

at::Tensor Col(const at::Tensor& v) { return v.unsqueeze(1); }
at::Tensor Row(const at::Tensor& v) { return v.unsqueeze(0); }

// One braq pass on residual r within mask: mean μ, scale α, signs (0 outside).
struct Plane {
  at::Tensor mean;
  at::Tensor scale;
  at::Tensor sign;
};
Plane BraqPass(const at::Tensor& r, const at::Tensor& mask) {
  at::Tensor y = at::where(mask, r, NanLike(r));
  const at::Tensor mean = NanMeanOrZero(y, 1);
  y = y - Col(mean);
  const at::Tensor scale = NanMeanOrZero(y.abs(), 1);
  return {mean, scale, at::sign(y)};
}

// ARB's scale update: an fp32 reciprocal times a sum, not a division (§9.3).
at::Tensor ReciprocalTimesSum(const at::Tensor& bm, const at::Tensor& t) {
  return (bm.pow(2).sum(1) + kScaleEps).reciprocal() * (bm * t).sum(1);
}

// Σ_jk S_jk u_rj v_rk per row, as (S ⊙ u⊗v).sum over (j, k) — the
// reference's reduction order; rows in chunks to bound memory.
at::Tensor Quad(const at::Tensor& u, const at::Tensor& gram, const at::Tensor& v, bool exact) {
  if (!exact) return (u.matmul(gram) * v).sum(1);
  std::vector<at::Tensor> parts;
  for (int64_t r = 0; r < u.size(0); r += kQuadRowChunk) {
    const int64_t e = std::min(r + kQuadRowChunk, u.size(0));
    const at::Tensor uc = u.index({Slice(r, e)});
    const at::Tensor vc = v.index({Slice(r, e)});
    parts.push_back((gram.unsqueeze(0) * (uc.unsqueeze(2) * vc.unsqueeze(1))).sum({1, 2}));
  }
  return at::cat(parts);
}

// The nearest of {−a1−a2, −a1+a2, a1−a2, a1+a2} (first on ties) as two ±1
// planes; `levels_dim` is where the four levels are stacked.
std::pair<at::Tensor, at::Tensor> NearestOfFour(const at::Tensor& v, const at::Tensor& a1,
                                                const at::Tensor& a2, bool per_entry) {
  const at::Tensor levels = at::stack({-a1 - a2, -a1 + a2, a1 - a2, a1 + a2}, per_entry ? 2 : 1);
  const at::Tensor distance =
      per_entry ? (v.unsqueeze(2) - levels).abs() : (v.unsqueeze(2) - levels.unsqueeze(1)).abs();
  const at::Tensor idx = distance.argmin(2);
  const at::Tensor plus = at::ones_like(v);
  const at::Tensor minus = -plus;
  return {at::where(idx >= 2, plus, minus), at::where(idx.remainder(2) == 1, plus, minus)};
}

// ARB order 1 state after the alternating rounds.
struct ArbState1 {
  at::Tensor mean, scale, sign;
};
ArbState1 Arb1State(const at::Tensor& x, const at::Tensor& mask, int iterations) {
  const at::Tensor mf = mask.to(x.scalar_type());
  Plane p = BraqPass(x * mask, mask);
  at::Tensor mean = p.mean, scale = p.scale, sign = p.sign;
  const at::Tensor xm = x * mf;
  at::Tensor approx = (sign * Col(scale) + Col(mean)) * mf;
  for (int it = 0; it < iterations; ++it) {
    mean = mean + NanMeanOrZero(at::where(mask, xm - approx, NanLike(x)), 1);
    const at::Tensor bm = sign * mf;
    scale = ReciprocalTimesSum(bm, (x - Col(mean)) * mf);
    sign = at::sign(xm - Col(mean) * mf);
    approx = (sign * Col(scale) + Col(mean)) * mf;
  }
  return {mean, scale, sign};
}

// ARB order 2 state: shared mean, two scales, two ±1 planes.
struct ArbState2 {
  at::Tensor mean, scale1, scale2, sign1, sign2;
};
ArbState2 Arb2State(const at::Tensor& x, const at::Tensor& mask, int iterations) {
  const at::Tensor mf = mask.to(x.scalar_type());
  const at::Tensor xm = x * mf;
  const Plane p1 = BraqPass(xm, mask);
  const at::Tensor s1 = (p1.sign * Col(p1.scale) + Col(p1.mean)) * mf;
  const Plane p2 = BraqPass(xm - s1, mask);
  at::Tensor approx = s1 + (p2.sign * Col(p2.scale) + Col(p2.mean)) * mf;
  ArbState2 s{p1.mean + p2.mean, p1.scale, p2.scale, p1.sign, p2.sign};
  for (int it = 0; it < iterations; ++it) {
    s.mean = s.mean + NanMeanOrZero(at::where(mask, xm - approx, NanLike(x)), 1);
    const at::Tensor b1m = s.sign1 * mf;
    const at::Tensor b2m = s.sign2 * mf;
    s.scale1 = ReciprocalTimesSum(b1m, xm - Col(s.mean) * mf - Col(s.scale2) * b2m);
    s.scale2 = ReciprocalTimesSum(b2m, xm - Col(s.mean) * mf - Col(s.scale1) * b1m);
    std::tie(s.sign1, s.sign2) =
        NearestOfFour((x - Col(s.mean)) * mf, s.scale1, s.scale2, /*per_entry=*/false);
    approx = (Col(s.scale1) * s.sign1 + Col(s.scale2) * s.sign2 + Col(s.mean)) * mf;
  }
  return s;
}

// ARB-RC's start for one plane: α^r = mean_M|x|, α^c = column mean of |x/α^r|.
struct RcPlane {
  at::Tensor row, col, sign;
};
RcPlane RcInit(const at::Tensor& x, const at::Tensor& mask) {
  const at::Tensor y = at::where(mask, x, NanLike(x));
  const at::Tensor row = NanMeanOrZero(y.abs(), 1);
  const at::Tensor col = NanMeanOrZero((y / Col(row)).abs(), 0);
  return {row, col, at::sign(y)};
}

// Row then column scale of `plane` fitted to `target` (true divisions).
void RcFit(RcPlane& plane, const at::Tensor& target, const at::Tensor& mf) {
  at::Tensor t = (Row(plane.col) * plane.sign) * mf;
  plane.row = (t * target).sum(1) / (t.pow(2).sum(1) + kScaleEps);
  t = (Col(plane.row) * plane.sign) * mf;
  plane.col = (t * target).sum(0) / (t.pow(2).sum(0) + kScaleEps);
}

at::Tensor RcOuter(const RcPlane& p) { return Col(p.row) * Row(p.col); }

at::Tensor ArbRcOrder2(const at::Tensor& x, const at::Tensor& mask, int iterations) {
  const at::Tensor mf = mask.to(x.scalar_type());
  const at::Tensor xm = x * mf;
  RcPlane p1 = RcInit(x, mask);
  RcPlane p2 = RcInit(xm - (RcOuter(p1) * p1.sign) * mf, mask);
  for (int it = 0; it < iterations; ++it) {
    RcFit(p1, xm - (RcOuter(p2) * p2.sign) * mf, mf);
    RcFit(p2, xm - (RcOuter(p1) * p1.sign) * mf, mf);
    std::tie(p1.sign, p2.sign) = NearestOfFour(xm, RcOuter(p1), RcOuter(p2), /*per_entry=*/true);
  }
  return (RcOuter(p1) * p1.sign + RcOuter(p2) * p2.sign) * mf;
}

float MeanSquare(const at::Tensor& target, const at::Tensor& approx) {
  return (target - approx).pow(2).mean().item<float>();
}

// arb-x's split error ⟨EᵀE, S⟩ / (2048·4096·128) (a power of two: exact).
float GramError(const at::Tensor& target, const at::Tensor& approx, const at::Tensor& gram) {
  const at::Tensor e = target - approx;
  const double sum = (e.t().matmul(e) * gram).sum().item<float>();
  return static_cast<float>(sum / (2048.0 * 4096.0 * 128.0));
}

std::vector<float> ToFloat(const std::vector<double>& values) {
  return std::vector<float>(values.begin(), values.end());
}

// CGB (§9.3 step 2): the salient columns' threshold between two groups.
void SearchCgb(const at::Tensor& target, ArbBlockMasks& masks) {
  const at::Tensor& salient = masks.salient;
  const at::Tensor magnitude = (target * salient).abs();
  masks.cgb_candidates = BreakPointCandidates(magnitude.masked_select(magnitude != 0));
  const std::vector<float> thresholds = ToFloat(masks.cgb_candidates);
  const at::Tensor raw_rest = target * ~salient;
  std::vector<float> errors;
  for (const float p : thresholds) {
    const at::Tensor high = (magnitude >= p) & salient;
    const at::Tensor low = (magnitude < p) & salient;
    const at::Tensor approx =
        HighOrderResidual(target, low, 2) + HighOrderResidual(target, high, 2) + raw_rest;
    errors.push_back(MeanSquare(target, approx));
  }
  int64_t best = FirstMinimum(errors);
  // No non-zero salient value: every salient entry goes to the high group.
  float p = 0;
  if (!thresholds.empty()) {
    if (best < 0) {
      masks.fallback = true;
      best = 0;
    }
    p = thresholds[best];
    masks.cgb_split = masks.cgb_candidates[best];
  }
  masks.salient_high = (magnitude >= p) & salient;
  masks.salient_low = (magnitude < p) & salient;
}

}  // namespace

const char* ArbMethodName(ArbMethod method) {
  switch (method) {
    case ArbMethod::kArb: return "arb";
    case ArbMethod::kArbX: return "arb-x";
    case ArbMethod::kArbRc: return "arb-rc";
  }
  return "?";
}

absl::Status ValidateArbParams(const ArbParams& params) {
  if (params.iterations < 1 || params.iterations > 1000) {
    return absl::InvalidArgumentError(
        absl::StrCat("arb_iterations: ", params.iterations, " is outside [1, 1000]"));
  }
  if (params.x_iterations < 0 || params.x_iterations > 1000) {
    return absl::InvalidArgumentError(
        absl::StrCat("arb_x_iterations: ", params.x_iterations, " is outside [0, 1000]"));
  }
  return absl::OkStatus();
}

at::Tensor ArbResidual(const at::Tensor& x, const at::Tensor& mask, int64_t order,
                       int iterations) {
  const at::Tensor mf = mask.to(x.scalar_type());
  if (order == 1) {
    const ArbState1 s = Arb1State(x, mask, iterations);
    return (s.sign * Col(s.scale) + Col(s.mean)) * mf;
  }
  const ArbState2 s = Arb2State(x, mask, iterations);
  return (Col(s.scale1) * s.sign1 + Col(s.scale2) * s.sign2 + Col(s.mean)) * mf;
}

at::Tensor ArbXResidual(const at::Tensor& x, const at::Tensor& mask, int64_t order,
                        const at::Tensor& gram, int iterations, int x_iterations,
                        bool exact_gram_order) {
  const at::Tensor mf = mask.to(x.scalar_type());
  auto quad = [exact_gram_order](const at::Tensor& u, const at::Tensor& s, const at::Tensor& v) {
    return Quad(u, s, v, exact_gram_order);
  };
  const at::Tensor mean_den = quad(mf, gram, mf) + kGramEps;
  if (order == 1) {
    ArbState1 s = Arb1State(x, mask, iterations);
    const at::Tensor bm = s.sign * mf;
    const at::Tensor scale_den = quad(bm, gram, bm) + kGramEps;
    for (int it = 0; it < x_iterations; ++it) {
      s.mean = quad((x - Col(s.scale) * s.sign) * mf, gram, mf) / mean_den;
      s.scale = quad(bm, gram, (x - Col(s.mean)) * mf) / scale_den;
    }
    return (s.sign * Col(s.scale) + Col(s.mean)) * mf;
  }
  ArbState2 s = Arb2State(x, mask, iterations);
  const at::Tensor b1m = s.sign1 * mf;
  const at::Tensor b2m = s.sign2 * mf;
  const at::Tensor den1 = quad(b1m, gram, b1m) + kGramEps;
  const at::Tensor den2 = quad(b2m, gram, b2m) + kGramEps;
  for (int it = 0; it < x_iterations; ++it) {
    const at::Tensor planes = Col(s.scale1) * s.sign1 + Col(s.scale2) * s.sign2;
    s.mean = quad((x - planes) * mf, gram, mf) / mean_den;
    s.scale1 = quad(b1m, gram, (x - Col(s.mean) - Col(s.scale2) * s.sign2) * mf) / den1;
    s.scale2 = quad(b2m, gram, (x - Col(s.mean) - Col(s.scale1) * s.sign1) * mf) / den2;
  }
  return (Col(s.scale1) * s.sign1 + Col(s.scale2) * s.sign2 + Col(s.mean)) * mf;
}

at::Tensor ArbRcResidual(const at::Tensor& x, const at::Tensor& mask, int64_t order,
                         int iterations) {
  if (order != 1) return ArbRcOrder2(x, mask, iterations);
  const at::Tensor mf = mask.to(x.scalar_type());
  const at::Tensor xm = x * mf;
  RcPlane p = RcInit(x, mask);
  for (int it = 0; it < iterations; ++it) RcFit(p, xm, mf);
  return (RcOuter(p) * p.sign) * mf;
}

at::Tensor ArbBinarize(const ArbParams& params, const at::Tensor& x, const at::Tensor& mask,
                       int64_t order, const at::Tensor& gram) {
  switch (params.method) {
    case ArbMethod::kArbX:
      return ArbXResidual(x, mask, order, gram, params.iterations, params.x_iterations,
                          params.exact_gram_order);
    case ArbMethod::kArbRc: return ArbRcResidual(x, mask, order, params.iterations);
    case ArbMethod::kArb: break;
  }
  return ArbResidual(x, mask, order, params.iterations);
}

absl::StatusOr<ArbBlockMasks> SearchArbMasks(const at::Tensor& target, const ArbParams& params,
                                             const at::Tensor& gram, int64_t up_lim) {
  ArbBlockMasks masks;
  BINQ_ASSIGN_OR_RETURN(
      SalientColumns salient,
      SearchSalientColumns(target, target.abs().sum(0), up_lim, AtenSearchErrors()));
  masks.salient = salient.mask;
  masks.n_salient = salient.count;
  masks.fallback = salient.fallback;
  if (params.order2_group) SearchCgb(target, masks);

  // Non-salient break-point: braq's candidates and order-1 groups; the
  // salient part by ARB (ARB-RC for arb-rc) order 2 over all salient columns.
  const at::Tensor non_salient = ~masks.salient;
  const at::Tensor magnitude = (target * non_salient).abs();
  masks.candidates = BreakPointCandidates(magnitude);
  const std::vector<float> thresholds = ToFloat(masks.candidates);
  const at::Tensor salient_part = params.method == ArbMethod::kArbRc
                                      ? ArbRcResidual(target, masks.salient, 2, params.iterations)
                                      : ArbResidual(target, masks.salient, 2, params.iterations);
  for (const float p : thresholds) {
    const at::Tensor high = (magnitude >= p) & non_salient;
    const at::Tensor low = (magnitude < p) & non_salient;
    const at::Tensor approx =
        HighOrderResidual(target, low, 1) + HighOrderResidual(target, high, 1) + salient_part;
    masks.split_errors.push_back(params.method == ArbMethod::kArbX
                                     ? GramError(target, approx, gram)
                                     : MeanSquare(target, approx));
  }
  int64_t best = FirstMinimum(masks.split_errors);
  if (best < 0) {
    masks.fallback = true;  // the reference's fallback: the first threshold
    best = 0;
  }
  masks.split = masks.candidates[best];
  masks.high = (magnitude >= thresholds[best]) & non_salient;
  masks.low = (magnitude < thresholds[best]) & non_salient;
  return masks;
}

at::Tensor ArbPartitionCodes(const ArbBlockMasks& masks) {
  at::Tensor codes = masks.high.to(at::kByte);
  if (masks.salient_low.defined()) {
    return codes + masks.salient_low.to(at::kByte) * 2 + masks.salient_high.to(at::kByte) * 3;
  }
  return codes + masks.salient.to(at::kByte) * 2;
}

BlockQuantizer ArbBlockQuantizer(const ArbParams& params, const QuantOptions& options,
                                 const at::Tensor& gram, bool gram_is_hessian) {
  return [params, options, gram,
          gram_is_hessian](const BlockInput& in) -> absl::StatusOr<BlockOutcome> {
    Stopwatch stage(in.block.device());
    BlockOutcome outcome;
    at::Tensor gram_block;
    if (params.method == ArbMethod::kArbX) {
      gram_block = gram.index({Slice(in.start, in.end), Slice(in.start, in.end)})
                       .to(in.block.device(), at::kFloat)
                       .contiguous();
      // The running-average Hessian is (2/n)·ΣXᵀX = 2S (halving is exact).
      if (gram_is_hessian) gram_block = gram_block / 2;
    }
    const at::Tensor target = SaliencyTarget(in.block, in.u_diag, options.salient_metric);
    BINQ_ASSIGN_OR_RETURN(ArbBlockMasks masks,
                          SearchArbMasks(target, params, gram_block, options.up_lim));
    outcome.search_seconds = stage.Lap();

    std::vector<std::pair<at::Tensor, int64_t>> partitions;
    if (params.order2_group) {
      partitions = {{masks.salient_high, 2}, {masks.salient_low, 2}, {masks.high, 1}, {masks.low, 1}};
    } else {
      partitions = {{masks.salient, 2}, {masks.high, 1}, {masks.low, 1}};
    }
    at::Tensor q = at::zeros_like(in.block);
    for (const auto& [mask, order] : partitions) {
      q = q + ArbBinarize(params, in.block, mask, order, gram_block) * mask;
    }
    outcome.binarize_seconds = stage.Lap();
    outcome.quantized = q;
    outcome.partition = ArbPartitionCodes(masks);
    outcome.n_salient = masks.n_salient;
    outcome.split = masks.split;
    outcome.fallback = masks.fallback;
    if (params.order2_group) outcome.diagnostics["cgb_split"] = {masks.cgb_split};
    return outcome;
  };
}

absl::StatusOr<ArbParams> ArbParamsFromOptions(ArbMethod method, const QuantOptions& options) {
  ArbParams params;
  params.method = method;
  BINQ_ASSIGN_OR_RETURN(params.order2_group, options.technique_options.Bool("order2_group"));
  return params;
}

absl::StatusOr<LayerResult> QuantizeArbLayer(const LayerProblem& problem,
                                             const QuantOptions& options,
                                             const ArbParams& params) {
  BINQ_RETURN_IF_ERROR(ValidateOptions(options, ArbMethodName(params.method)));
  BINQ_RETURN_IF_ERROR(ValidateArbParams(params));
  at::Tensor gram;
  if (params.method == ArbMethod::kArbX) {
    const at::Tensor& s = problem.input_gram;
    if (s.defined()) {
      const int64_t cols = problem.weight.defined() && problem.weight.dim() == 2
                               ? problem.weight.size(1) : -1;
      if (s.dim() != 2 || s.size(0) != cols || s.size(1) != cols) {
        return absl::InvalidArgumentError(
            absl::StrCat("input_gram: expected [", cols, ", ", cols, "] for arb-x"));
      }
      gram = s;
    } else if (problem.hessian.defined()) {
      gram = problem.hessian;  // S = H/2, per block
    } else {
      return absl::InvalidArgumentError("hessian: required by this technique");
    }
  }
  const bool from_hessian = params.method == ArbMethod::kArbX && !problem.input_gram.defined();
  ArbParams run = params;
  run.exact_gram_order = options.backend == Backend::kAten;
  const BlockQuantizer quantize_block = ArbBlockQuantizer(run, options, gram, from_hessian);
  BINQ_ASSIGN_OR_RETURN(LayerResult result,
                        QuantizeBlockwise(problem, options, ArbMethodName(params.method),
                                          quantize_block));
  result.backend = run.method == ArbMethod::kArbX && !run.exact_gram_order ? "aten-gemm" : "aten";
  // Stored de-quantized (fp16): binq's packed layouts do not hold ARB's
  // levels yet (CGB's four partitions, ARB-RC's per-column scales).
  result.packing = {PackingScheme::Kind::kNone, options.blocksize, 0};
  result.storage_bits =
      PackedBitsPerWeight(result.packing, result.quantized.size(0), result.quantized.size(1));
  return result;
}

}  // namespace binq::core
