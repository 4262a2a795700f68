#include "core/quant/hbllm.h"

#include <algorithm>
#include <limits>
#include <set>

#include "absl/strings/str_cat.h"
#include "core/base/status_macros.h"
#include "core/quant/binarizers.h"
#include "core/quant/stopwatch.h"

namespace binq::core {
namespace {

using at::indexing::None;
using at::indexing::Slice;

constexpr int64_t kRowSplitCandidates = 41;
constexpr int64_t kFillRadius = 3;

at::Tensor NanLike(const at::Tensor& x) {
  return at::full({}, std::numeric_limits<float>::quiet_NaN(), x.options());
}

at::Tensor NanMeanOrZero(const at::Tensor& y) {
  const at::Tensor mean = at::nanmean(y, {1});
  return at::where(at::isnan(mean), at::zeros_like(mean), mean);
}

at::Tensor Col(const at::Tensor& v) { return v.unsqueeze(1); }

const std::vector<float>& RowSplitLevels() {
  static const std::vector<float>* const kLevels =
      new std::vector<float>(Torch113Linspace(0.1f, 0.9f, kRowSplitCandidates));
  return *kLevels;
}

// Low band, binarized; high band of what it leaves, binarized; inverse.
// An odd length along the transformed axis is padded by repeating the last
// column (rows) / row (columns), cropped again at the end.
using Transform = std::pair<at::Tensor, at::Tensor> (*)(const at::Tensor&);
using Inverse = at::Tensor (*)(const at::Tensor&, const at::Tensor&);
at::Tensor TwoBands(const at::Tensor& n, bool along_rows, bool partition_global, bool share_mean,
                    HbllmBlock& out) {
  const int64_t axis = along_rows ? 1 : 0;
  if (n.numel() == 0) return at::zeros_like(n);
  const int64_t length = n.size(axis);
  at::Tensor x = n;
  if (length % 2 == 1) x = at::cat({n, n.narrow(axis, length - 1, 1)}, axis);
  const Transform forward = along_rows ? &HaarRows : &HaarColumns;
  const Inverse inverse = along_rows ? &InverseHaarRows : &InverseHaarColumns;
  auto binarize = [&](const at::Tensor& band) {
    BandSplit split = partition_global ? GlobalOptimalSplit(band) : RowOptimalSplit(band, share_mean);
    out.band_splits.insert(out.band_splits.end(), split.splits.begin(), split.splits.end());
    out.band_lengths.push_back(static_cast<int32_t>(split.splits.size()));
    return split.quantized;
  };
  const at::Tensor low = binarize(forward(x).first);
  const at::Tensor high = binarize(forward(x - inverse(low, at::zeros_like(low))).second);
  at::Tensor restored = inverse(low, high);
  if (length % 2 == 1) restored = restored.narrow(axis, 0, length);
  return restored;
}

at::Tensor IndexTensor(const std::vector<int64_t>& columns, const at::Tensor& like) {
  return at::tensor(columns, at::kLong).to(like.device());
}

}  // namespace

const char* HbllmMethodName(HbllmMethod method) {
  return method == HbllmMethod::kRow ? "row-hbraq" : "col-hbraq";
}

std::pair<at::Tensor, at::Tensor> HaarRows(const at::Tensor& x) {
  const at::Tensor even = x.index({Slice(), Slice(0, None, 2)});
  const at::Tensor odd = x.index({Slice(), Slice(1, None, 2)});
  return {(even + odd) * kHaarForward, (even - odd) * kHaarForward};
}

at::Tensor InverseHaarRows(const at::Tensor& low, const at::Tensor& high) {
  const at::Tensor even = (low + high) * kHaarInverse;
  const at::Tensor odd = (low - high) * kHaarInverse;
  return at::stack({even, odd}, 2).reshape({low.size(0), 2 * low.size(1)});
}

std::pair<at::Tensor, at::Tensor> HaarColumns(const at::Tensor& x) {
  const at::Tensor even = x.index({Slice(0, None, 2)});
  const at::Tensor odd = x.index({Slice(1, None, 2)});
  return {(even + odd) * kHaarForward, (even - odd) * kHaarForward};
}

at::Tensor InverseHaarColumns(const at::Tensor& low, const at::Tensor& high) {
  const at::Tensor even = (low + high) * kHaarInverse;
  const at::Tensor odd = (low - high) * kHaarInverse;
  return at::stack({even, odd}, 1).reshape({2 * low.size(0), low.size(1)});
}

at::Tensor RmsResidual(const at::Tensor& x, const at::Tensor& mask, int64_t order) {
  at::Tensor sum_order = at::zeros_like(x);
  const at::Tensor masked = x * mask;
  for (int64_t pass = 0; pass < order; ++pass) {
    at::Tensor y = at::where(mask, masked - sum_order, NanLike(x));
    const at::Tensor mean = NanMeanOrZero(y);
    y = y - Col(mean);
    const at::Tensor scale = at::sqrt(NanMeanOrZero(y.pow(2)));
    sum_order = sum_order + (at::sign(y) * Col(scale) + Col(mean)) * mask;
  }
  return sum_order;
}

at::Tensor RmsSharedMean(const at::Tensor& x, const at::Tensor& mask, const at::Tensor& mean) {
  const at::Tensor y = at::where(mask, x * mask, NanLike(x)) - Col(mean);
  const at::Tensor scale = at::sqrt(NanMeanOrZero(y.pow(2)));
  return (at::sign(y) * Col(scale) + Col(mean)) * mask;
}

BandSplit RowOptimalSplit(const at::Tensor& band, bool share_mean) {
  const at::Tensor magnitude = band.abs();
  const at::Tensor levels = at::tensor(RowSplitLevels(), band.options());
  const at::Tensor candidates = at::quantile(magnitude, levels, 1, false, "linear");
  const at::Tensor mean = band.mean(1);
  at::Tensor best = at::full({band.size(0)}, std::numeric_limits<float>::infinity(), band.options());
  at::Tensor best_q = at::zeros_like(band);
  at::Tensor best_p = at::zeros({band.size(0)}, band.options());
  for (int64_t i = 0; i < candidates.size(0); ++i) {
    const at::Tensor p = candidates[i];
    const at::Tensor high = magnitude >= Col(p);
    const at::Tensor low = magnitude < Col(p);
    const at::Tensor q = share_mean ? RmsSharedMean(band, low, mean) + RmsSharedMean(band, high, mean)
                                    : RmsResidual(band, low, 1) + RmsResidual(band, high, 1);
    const at::Tensor sse = (band - q).pow(2).sum(1);
    const at::Tensor better = sse < best;
    best = at::where(better, sse, best);
    best_q = at::where(Col(better), q, best_q);
    best_p = at::where(better, p, best_p);
  }
  const at::Tensor p_cpu = best_p.to(at::kCPU, at::kDouble).contiguous();
  return {best_q, std::vector<double>(p_cpu.data_ptr<double>(),
                                      p_cpu.data_ptr<double>() + p_cpu.numel())};
}

BandSplit GlobalOptimalSplit(const at::Tensor& band) {
  const at::Tensor magnitude = band.abs();
  const std::vector<double> candidates = BreakPointCandidates(magnitude);
  std::vector<float> errors;
  std::vector<at::Tensor> values;
  for (const double c : candidates) {
    const float p = static_cast<float>(c);
    const at::Tensor q = RmsResidual(band, magnitude < p, 1) + RmsResidual(band, magnitude >= p, 1);
    errors.push_back((band - q).pow(2).mean().item<float>());
    values.push_back(q);
  }
  const int64_t best = std::max<int64_t>(FirstMinimum(errors), 0);  // none finite: the first
  return {values[best], {candidates[best]}};
}

std::vector<float> Torch113Linspace(float start, float end, int64_t steps) {
  if (steps <= 1) return steps == 1 ? std::vector<float>{start} : std::vector<float>{};
  constexpr int64_t kLanes = 8;
  const float step = (end - start) / static_cast<float>(steps - 1);
  const int64_t halfway = steps / 2;
  auto scalar = [&](int64_t idx) {
    return idx < halfway ? start + step * static_cast<float>(idx)
                         : end - step * static_cast<float>(steps - idx - 1);
  };
  std::vector<float> out(steps);
  const int64_t vectorized = steps / (2 * kLanes) * (2 * kLanes);
  for (int64_t idx = 0; idx < vectorized; idx += kLanes) {
    const float base = scalar(idx);
    for (int64_t j = 0; j < kLanes; ++j) out[idx + j] = base + static_cast<float>(j) * step;
  }
  for (int64_t idx = vectorized; idx < steps; ++idx) out[idx] = scalar(idx);
  return out;
}

at::Tensor FillSalientColumns(const at::Tensor& block, const std::vector<int64_t>& salient) {
  const std::set<int64_t> is_salient(salient.begin(), salient.end());
  const int64_t width = block.size(1);
  at::Tensor filled = block.clone();
  for (const int64_t j : salient) {
    std::vector<int64_t> window;
    for (int64_t k = std::max<int64_t>(0, j - kFillRadius);
         k < std::min(width, j + kFillRadius + 1); ++k) {
      if (!is_salient.count(k)) window.push_back(k);
    }
    if (!window.empty()) {
      filled.index_put_({Slice(), j}, block.index_select(1, IndexTensor(window, block)).mean(1));
      continue;
    }
    int64_t source = -1;
    for (int64_t k = j - 1; k >= 0 && source < 0; --k) {
      if (!is_salient.count(k)) source = k;
    }
    for (int64_t k = j + 1; k < width && source < 0; ++k) {
      if (!is_salient.count(k)) source = k;
    }
    if (source >= 0) filled.index_put_({Slice(), j}, block.index({Slice(), source}));
  }
  return filled;
}

HbllmBlock QuantizeHbllmBlock(const at::Tensor& block, const std::vector<int64_t>& salient,
                              const HbllmParams& params) {
  HbllmBlock out;
  const bool global = params.partition == HbllmGroupPartition::kGlobal;
  const bool share = params.share_mean && !global;
  at::Tensor salient_columns = at::zeros({block.size(1)}, block.options().dtype(at::kBool));
  salient_columns.index_fill_(0, IndexTensor(salient, block), true);
  const at::Tensor non_salient_columns = ~salient_columns;
  at::Tensor non_salient_q;
  if (params.method == HbllmMethod::kRow) {
    non_salient_q = TwoBands(FillSalientColumns(block, salient), /*along_rows=*/true, global,
                             share, out);
  } else {
    non_salient_q = at::zeros_like(block);
    non_salient_q.index_put_(
        {Slice(), non_salient_columns},
        TwoBands(block.index({Slice(), non_salient_columns}), /*along_rows=*/false, global, share,
                 out));
  }
  // The salient residual: per-group means always (no shared mean).
  const at::Tensor residual = (block - non_salient_q).index({Slice(), salient_columns});
  const at::Tensor salient_q = TwoBands(residual, /*along_rows=*/false, global, false, out);
  out.quantized = non_salient_q.clone();
  out.quantized.index_put_({Slice(), salient_columns},
                           non_salient_q.index({Slice(), salient_columns}) + salient_q);
  return out;
}

absl::StatusOr<SalientColumns> SearchHbllmSalient(const at::Tensor& target,
                                                  HbllmSalientScore score, int64_t up_lim) {
  const at::Tensor scores = score == HbllmSalientScore::kL2
                                ? at::linalg_vector_norm(target, 2, at::IntArrayRef{0})
                                : target.abs().sum(0);
  return SearchSalientColumns(target, scores, up_lim, AtenSearchErrors());
}

BlockQuantizer HbllmBlockQuantizer(const HbllmParams& params, const QuantOptions& options) {
  return [params, options](const BlockInput& in) -> absl::StatusOr<BlockOutcome> {
    Stopwatch stage(in.block.device());
    BlockOutcome outcome;
    const at::Tensor target = SaliencyTarget(in.block, in.u_diag, SalientMetric::kHessian);
    BINQ_ASSIGN_OR_RETURN(SalientColumns salient,
                          SearchHbllmSalient(target, params.score, options.up_lim));
    const at::Tensor columns = salient.mask.index({0}).nonzero().flatten().to(at::kCPU);
    const std::vector<int64_t> salient_list(columns.data_ptr<int64_t>(),
                                            columns.data_ptr<int64_t>() + columns.numel());
    outcome.search_seconds = stage.Lap();

    HbllmBlock block = QuantizeHbllmBlock(in.block, salient_list, params);
    outcome.binarize_seconds = stage.Lap();
    outcome.quantized = block.quantized;
    outcome.partition = salient.mask.to(at::kByte) * 2;
    outcome.n_salient = salient.count;
    outcome.fallback = salient.fallback;
    outcome.diagnostics["band_split"] = block.band_splits;
    outcome.diagnostics["band_split_len"] =
        std::vector<double>(block.band_lengths.begin(), block.band_lengths.end());
    return outcome;
  };
}

absl::StatusOr<HbllmParams> HbllmParamsFromOptions(HbllmMethod method,
                                                   const QuantOptions& options) {
  const TechniqueOptions& own = options.technique_options;
  HbllmParams params;
  params.method = method;
  BINQ_ASSIGN_OR_RETURN(const std::string score, own.Enum("salient_metric"));
  BINQ_ASSIGN_OR_RETURN(const std::string partition, own.Enum("group_partition"));
  BINQ_ASSIGN_OR_RETURN(params.share_mean, own.Bool("share_mean"));
  if (score != "l2" && score != "l1") {
    return absl::InvalidArgumentError(
        absl::StrCat("salient_metric: must be l2 or l1 for ", HbllmMethodName(method), ", got ", score));
  }
  if (partition != "row" && partition != "global") {
    return absl::InvalidArgumentError(
        absl::StrCat("group_partition: must be row or global, got ", partition));
  }
  params.score = score == "l2" ? HbllmSalientScore::kL2 : HbllmSalientScore::kL1;
  params.partition = partition == "row" ? HbllmGroupPartition::kRow : HbllmGroupPartition::kGlobal;
  return params;
}

absl::StatusOr<LayerResult> QuantizeHbllmLayer(const LayerProblem& problem,
                                               const QuantOptions& options,
                                               const HbllmParams& params) {
  BINQ_RETURN_IF_ERROR(ValidateOptions(options, HbllmMethodName(params.method)));
  BINQ_ASSIGN_OR_RETURN(LayerResult result,
                        QuantizeBlockwise(problem, options, HbllmMethodName(params.method),
                                          HbllmBlockQuantizer(params, options)));
  result.backend = "aten";
  if (params.method == HbllmMethod::kCol) result.wbits_paper = 1.0;
  // Stored de-quantized (fp16): binq's packed layouts hold no Haar-domain codes yet.
  result.packing = {PackingScheme::Kind::kNone, options.blocksize, 0};
  result.storage_bits =
      PackedBitsPerWeight(result.packing, result.quantized.size(0), result.quantized.size(1));
  return result;
}

}  // namespace binq::core
