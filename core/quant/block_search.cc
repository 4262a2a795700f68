#include "core/quant/block_search.h"

#include <algorithm>
#include <cmath>
#include <limits>

#include "core/base/status_macros.h"
#include "core/quant/binarizers.h"
#include "core/quant/quantile.h"

namespace binq::core {
namespace {

using at::indexing::Slice;

float Mse(const at::Tensor& target, const at::Tensor& approx) {
  return (target - approx).pow(2).mean().item<float>();
}

class AtenErrors final : public SearchErrorFunctions {
 public:
  absl::StatusOr<std::vector<float>> SalientErrors(const at::Tensor& target,
                                                   const at::Tensor& order) const override {
    std::vector<float> errors;
    for (int64_t k = 1; k < order.size(0); ++k) {
      const at::Tensor salient = ColumnMask(target, order.index({Slice(0, k)}));
      const at::Tensor approx =
          HighOrderResidual(target, salient, 2) + HighOrderResidual(target, ~salient, 2);
      errors.push_back(Mse(target, approx));
    }
    return errors;
  }

  absl::StatusOr<std::vector<float>> SplitErrors(
      const at::Tensor& target, const at::Tensor& salient,
      const std::vector<float>& thresholds) const override {
    const at::Tensor non_salient = ~salient;
    const at::Tensor magnitude = (target * non_salient).abs();
    const at::Tensor salient_part = HighOrderResidual(target, salient, 2);
    std::vector<float> errors;
    for (const float p : thresholds) {
      const at::Tensor high = (magnitude >= p) & non_salient;
      const at::Tensor low = (magnitude < p) & non_salient;
      const at::Tensor approx =
          HighOrderResidual(target, low, 1) + HighOrderResidual(target, high, 1) + salient_part;
      errors.push_back(Mse(target, approx));
    }
    return errors;
  }
};

}  // namespace

at::Tensor ColumnMask(const at::Tensor& like, const at::Tensor& columns) {
  at::Tensor cols = at::zeros({like.size(1)}, like.options().dtype(at::kBool));
  cols.index_fill_(0, columns, true);
  return cols.unsqueeze(0).expand_as(like);
}

int64_t FirstMinimum(const std::vector<float>& errors) {
  int64_t best = -1;
  float best_value = std::numeric_limits<float>::infinity();
  for (size_t i = 0; i < errors.size(); ++i) {
    if (errors[i] < best_value) {
      best_value = errors[i];
      best = static_cast<int64_t>(i);
    }
  }
  return best;
}

const SearchErrorFunctions& AtenSearchErrors() {
  static const AtenErrors* const kErrors = new AtenErrors();
  return *kErrors;
}

at::Tensor SaliencyTarget(const at::Tensor& block, const at::Tensor& u_diag, SalientMetric metric) {
  if (metric == SalientMetric::kMagnitude) return block;
  return block.pow(2) / u_diag.pow(2).reshape({1, -1});
}

absl::StatusOr<SalientColumns> SearchSalientColumns(const at::Tensor& target,
                                                    const at::Tensor& scores, int64_t up_lim,
                                                    const SearchErrorFunctions& errors) {
  SalientColumns salient;
  const int64_t limit = std::min(up_lim, target.size(1));
  int64_t k_best = 1;
  if (limit >= 2) {
    const at::Tensor order = std::get<1>(at::topk(scores, limit));
    BINQ_ASSIGN_OR_RETURN(salient.errors, errors.SalientErrors(target, order));
    const int64_t best = FirstMinimum(salient.errors);
    if (best < 0) {
      salient.fallback = true;  // CRB-current's fallback: up_lim // 3
      k_best = std::max<int64_t>(1, std::min(up_lim / 3, limit - 1));
    } else {
      k_best = best + 1;
    }
  }
  salient.count = k_best;
  salient.mask = ColumnMask(target, std::get<1>(at::topk(scores, k_best)));
  return salient;
}

std::vector<double> BreakPointCandidates(const at::Tensor& sample) {
  if (sample.numel() == 0) return {};
  const at::Tensor sorted = std::get<0>(sample.flatten().to(at::kCPU).sort()).contiguous();
  return NumpyLinearQuantiles(sorted.data_ptr<float>(), sorted.numel(), BreakPointLevels());
}

absl::StatusOr<BlockMasks> SearchBlockMasks(const at::Tensor& target, int64_t up_lim,
                            const SearchErrorFunctions& errors) {
  BlockMasks masks;
  const at::Tensor scores = target.abs().sum(0);

  // Salient-column count (§4.3).
  BINQ_ASSIGN_OR_RETURN(SalientColumns salient,
                        SearchSalientColumns(target, scores, up_lim, errors));
  masks.salient_errors = std::move(salient.errors);
  masks.fallback = salient.fallback;
  masks.n_salient = salient.count;
  masks.salient = salient.mask;

  // Break-point between the two non-salient groups (§4.4): percentiles of
  // |T ⊙ ¬M₂| (salient columns stay in the sample as zeros), on the CPU.
  const at::Tensor non_salient = ~masks.salient;
  const at::Tensor magnitude = (target * non_salient).abs();
  masks.candidates = BreakPointCandidates(magnitude);
  std::vector<float> thresholds;
  for (const double c : masks.candidates) thresholds.push_back(static_cast<float>(c));
  BINQ_ASSIGN_OR_RETURN(masks.split_errors, errors.SplitErrors(target, masks.salient, thresholds));
  int64_t split_best = FirstMinimum(masks.split_errors);
  if (split_best < 0) {
    masks.fallback = true;  // CRB-current's fallback: the median candidate
    split_best = static_cast<int64_t>(thresholds.size() / 2);
  }
  masks.split = masks.candidates[split_best];
  const float p = thresholds[split_best];
  masks.high = (magnitude >= p) & non_salient;
  masks.low = (magnitude < p) & non_salient;
  return masks;
}

}  // namespace binq::core
