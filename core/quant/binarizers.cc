#include "core/quant/binarizers.h"

#include <limits>
#include <utility>
#include <vector>

namespace binq::core {
namespace {

using at::indexing::Slice;

// Rows of `mask` grouped by their number of true entries: the per-row
// references operate on 1-D vectors of the masked entries; gathering rows of
// equal length into a matrix and reducing along dim 1 gives the same bits
// (row-wise reductions of a contiguous matrix equal 1-D reductions in ATen).
struct RowGroup {
  at::Tensor rows;     // int64 [g] row indices
  int64_t count;       // masked entries per row (D > 0)
};

std::vector<RowGroup> GroupRowsByCount(const at::Tensor& mask) {
  const at::Tensor counts = mask.sum(1).to(at::kCPU);
  const int64_t* c = counts.data_ptr<int64_t>();
  std::vector<std::vector<int64_t>> by_count(mask.size(1) + 1);
  for (int64_t r = 0; r < counts.size(0); ++r) by_count[c[r]].push_back(r);
  std::vector<RowGroup> groups;
  for (int64_t d = 1; d < static_cast<int64_t>(by_count.size()); ++d) {
    if (by_count[d].empty()) continue;
    groups.push_back({at::tensor(by_count[d], at::kLong).to(mask.device()), d});
  }
  return groups;
}

// Python's max(x, 0.0): returns x unless 0.0 > x, so NaN and -0.0 survive.
at::Tensor PyMaxZero(const at::Tensor& x) {
  return at::where(x < 0, at::zeros_like(x), x);
}

// Per-row masked values V [g, D] (column order) → the order-2 output values
// for those entries, by `row_fn`, then scattered back into a zero [m, B].
template <typename RowFn>
at::Tensor PerRowOrder2(const at::Tensor& x, const at::Tensor& mask, RowFn row_fn) {
  at::Tensor out = at::zeros_like(x);
  for (const RowGroup& group : GroupRowsByCount(mask)) {
    const at::Tensor sub_mask = mask.index_select(0, group.rows);
    const at::Tensor values =
        x.index_select(0, group.rows).masked_select(sub_mask).view({-1, group.count});
    const at::Tensor q = row_fn(values, static_cast<double>(group.count));
    at::Tensor sub_out = at::zeros_like(sub_mask, x.options());
    sub_out.masked_scatter_(sub_mask, q);
    out.index_copy_(0, group.rows, sub_out);
  }
  return out;
}

}  // namespace

at::Tensor HighOrderResidual(const at::Tensor& x, const at::Tensor& mask, int64_t order) {
  at::Tensor sum_order = at::zeros_like(x);
  const at::Tensor masked = x * mask;
  const at::Tensor nan = at::full({}, std::numeric_limits<float>::quiet_NaN(), x.options());
  for (int64_t pass = 0; pass < order; ++pass) {
    const at::Tensor residual = masked - sum_order;
    at::Tensor y = at::where(mask, residual, nan);
    at::Tensor mean = at::nanmean(y, {1});
    mean = at::where(at::isnan(mean), at::zeros_like(mean), mean);
    y -= mean.unsqueeze(1);
    at::Tensor scale = at::nanmean(y.abs(), {1});
    scale = at::where(at::isnan(scale), at::zeros_like(scale), scale);
    at::Tensor binary = at::sign(y);  // sgn(NaN) = 0 keeps masked-out entries finite
    binary *= scale.unsqueeze(1);
    binary += mean.unsqueeze(1);
    sum_order = sum_order + binary * mask;
  }
  return sum_order;
}

at::Tensor CoupledResidual(const at::Tensor& x, const at::Tensor& mask, int64_t order) {
  if (order == 1) return HighOrderResidual(x, mask, 1);
  return PerRowOrder2(x, mask, [](const at::Tensor& v, double d) {
    const at::Tensor mu = v.mean(1, /*keepdim=*/true);
    const at::Tensor c = v - mu;
    const at::Tensor b1 = at::sign(c);
    at::Tensor a1 = c.abs().mean(1, true);
    const at::Tensor rho = c - a1 * b1;
    const at::Tensor b2 = at::sign(rho);
    at::Tensor a2 = rho.abs().mean(1, true);
    // fp32 sums converted to double, then the solve in double (Python floats).
    const at::Tensor c12 = (b1 * b2).sum(1, true).to(at::kDouble);
    const at::Tensor c1w = (c * b1).sum(1, true).to(at::kDouble);
    const at::Tensor c2w = (c * b2).sum(1, true).to(at::kDouble);
    const at::Tensor det = (d * d) - c12 * c12;
    const at::Tensor solvable = det.abs() > 1e-12;
    const at::Tensor s1 = PyMaxZero((c1w * d - c2w * c12) / det).to(at::kFloat);
    const at::Tensor s2 = PyMaxZero((c2w * d - c1w * c12) / det).to(at::kFloat);
    a1 = at::where(solvable, s1, a1);
    a2 = at::where(solvable, s2, a2);
    return (mu + a1 * b1) + a2 * b2;
  });
}

namespace {

// CRB-current's Solve (§6.1): all fp32 per row, keepdim [m, 1] tensors.
std::pair<at::Tensor, at::Tensor> SolveCurrent(const at::Tensor& b1, const at::Tensor& b2,
                                               const at::Tensor& f, const at::Tensor& d,
                                               const at::Tensor& c1w, const at::Tensor& c2w,
                                               const CrbParams& p) {
  at::Tensor c12 = (b1 * b2 * f).sum(1, true);
  if (p.symmetric_damp) {
    c12 = c12 * (1.0 - p.corr_damp);
  } else {
    c12 = at::where(c12 > 0, c12 * (1.0 - p.corr_damp), c12);
  }
  const at::Tensor a = d + p.lam;
  const at::Tensor den = a * a - c12 * c12;
  const at::Tensor safe = den.abs() > 1e-12;
  const at::Tensor den_safe = at::where(safe, den, at::ones_like(den));
  at::Tensor a1 = at::clamp_min((a * c1w - c12 * c2w) / den_safe, 0);
  at::Tensor a2 = at::clamp_min((a * c2w - c12 * c1w) / den_safe, 0);
  a1 = at::where(safe, a1, at::zeros_like(a1));
  a2 = at::where(safe, a2, at::zeros_like(a2));
  return {a1, a2};
}

// Σ(v ⊙ F)/D̂ per row, keepdim.
at::Tensor MaskedMean(const at::Tensor& v, const at::Tensor& f, const at::Tensor& d_hat) {
  return (v * f).sum(1, true) / d_hat;
}

}  // namespace

at::Tensor CoupledResidualStable(const at::Tensor& x, const at::Tensor& mask, int64_t order,
                                 const CrbParams& p) {
  const at::Tensor f = mask.to(x.scalar_type());
  const at::Tensor d = f.sum(1, true);
  const at::Tensor d_hat = at::clamp_min(d, 1);
  if (order == 1) {
    const at::Tensor mu = MaskedMean(x, f, d_hat);
    const at::Tensor c = (x - mu) * f;
    const at::Tensor b = at::sign(c) * f;
    const at::Tensor alpha = MaskedMean(c.abs(), f, d_hat);
    return (mu + alpha * b) * f;
  }
  const at::Tensor a_in = x * f;
  const at::Tensor mu = MaskedMean(a_in, f, d_hat);
  const at::Tensor c = (a_in - mu) * f;
  at::Tensor b1 = at::sign(c) * f;
  const at::Tensor a1_greedy = MaskedMean(c.abs(), f, d_hat);
  const at::Tensor rho = (c - a1_greedy * b1) * f;
  const at::Tensor rho_bar = MaskedMean(rho, f, d_hat);
  at::Tensor b2 = at::sign((rho - rho_bar) * f) * f;
  at::Tensor c1w = (c * b1).sum(1, true);
  at::Tensor c2w = (c * b2).sum(1, true);
  auto [a1, a2] = SolveCurrent(b1, b2, f, d, c1w, c2w, p);
  if (!p.skip_refinement) {
    // Plane 2 given plane 1, then plane 1 given plane 2; re-solve after each.
    const at::Tensor t = (c - a1 * b1) * f;
    b2 = at::sign((t - MaskedMean(t, f, d_hat)) * f) * f;
    c2w = (c * b2).sum(1, true);
    std::tie(a1, a2) = SolveCurrent(b1, b2, f, d, c1w, c2w, p);
    const at::Tensor u = (c - a2 * b2) * f;
    b1 = at::sign((u - MaskedMean(u, f, d_hat)) * f) * f;
    c1w = (c * b1).sum(1, true);
    std::tie(a1, a2) = SolveCurrent(b1, b2, f, d, c1w, c2w, p);
  }
  const at::Tensor approx = (a1 * b1 + a2 * b2) * f;
  const at::Tensor delta_mu = MaskedMean(c - approx, f, d_hat);
  return ((mu + delta_mu) + a1 * b1 + a2 * b2) * f;
}

at::Tensor CoupledResidualPaper2025(const at::Tensor& x, const at::Tensor& mask, int64_t order,
                                    const CrbParams& p) {
  if (order == 1) return HighOrderResidual(x, mask, 1);
  return PerRowOrder2(x, mask, [&p](const at::Tensor& v, double d) {
    const at::Tensor mu = v.mean(1, true);
    const at::Tensor c = v - mu;
    at::Tensor b1 = at::sign(c);
    const at::Tensor a1_greedy = c.abs().mean(1, true);
    const at::Tensor rho = c - a1_greedy * b1;
    at::Tensor b2 = at::sign(rho - rho.mean(1, true));
    at::Tensor c1w = (c * b1).sum(1, true).to(at::kDouble);
    at::Tensor c2w = (c * b2).sum(1, true).to(at::kDouble);
    // Solve₆₄: Python doubles; α rounded to fp32 where it multiplies a plane.
    auto solve = [&]() {
      at::Tensor c12 = (b1 * b2).sum(1, true).to(at::kDouble);
      c12 = at::where(c12 > 0, c12 * (1.0 - p.corr_damp), c12);
      const double a = d + p.lam;
      const at::Tensor den = (a * a) - c12 * c12;
      const at::Tensor ok = den.abs() > 1e-12;
      const at::Tensor zero = at::zeros_like(den);
      at::Tensor s1 = at::where(ok, PyMaxZero((a * c1w - c12 * c2w) / den), zero);
      at::Tensor s2 = at::where(ok, PyMaxZero((a * c2w - c12 * c1w) / den), zero);
      return std::make_pair(s1.to(at::kFloat), s2.to(at::kFloat));
    };
    auto [a1, a2] = solve();
    b2 = at::sign(c - a1 * b1);
    c2w = (c * b2).sum(1, true).to(at::kDouble);
    std::tie(a1, a2) = solve();
    b1 = at::sign(c - a2 * b2);
    c1w = (c * b1).sum(1, true).to(at::kDouble);
    std::tie(a1, a2) = solve();
    return (mu + a1 * b1) + a2 * b2;
  });
}

}  // namespace binq::core
