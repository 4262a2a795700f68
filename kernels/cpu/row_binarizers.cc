#include "kernels/cpu/row_binarizers.h"

#include <algorithm>
#include <cmath>
#include <vector>

namespace binq::kernels::cpu {
namespace {

float Sign(float v) { return v > 0 ? 1.0f : (v < 0 ? -1.0f : 0.0f); }

// Python's max(x, 0.0): NaN survives.
double PyMaxZero(double x) { return 0.0 > x ? 0.0 : x; }

// Masked entries of a row, in column order.
struct Gathered {
  std::vector<float> v;
  std::vector<int64_t> at;
};
Gathered Gather(const float* x, const uint8_t* mask, int64_t n) {
  Gathered g;
  for (int64_t j = 0; j < n; ++j) {
    if (mask[j]) {
      g.v.push_back(x[j]);
      g.at.push_back(j);
    }
  }
  return g;
}

float Mean(const std::vector<float>& v) {
  double s = 0;
  for (float a : v) s += a;
  return static_cast<float>(s) / static_cast<float>(v.size());
}
float MeanAbs(const std::vector<float>& v) {
  double s = 0;
  for (float a : v) s += std::fabs(a);
  return static_cast<float>(s) / static_cast<float>(v.size());
}
float Dot(const std::vector<float>& a, const std::vector<float>& b) {
  double s = 0;
  for (size_t i = 0; i < a.size(); ++i) s += static_cast<double>(a[i] * b[i]);
  return static_cast<float>(s);
}

void Scatter(const Gathered& g, const std::vector<float>& values, int64_t n, float* out) {
  std::fill(out, out + n, 0.0f);
  for (size_t i = 0; i < values.size(); ++i) out[g.at[i]] = values[i];
}

}  // namespace

void ResidualRow(const float* x, const uint8_t* mask, int64_t n, int order, float* out) {
  // Allocation-free: `out` holds the running sum; residuals are recomputed.
  std::fill(out, out + n, 0.0f);
  int64_t count = 0;
  for (int64_t j = 0; j < n; ++j) count += mask[j] ? 1 : 0;
  if (count == 0) return;
  const float inv_count = static_cast<float>(count);
  for (int pass = 0; pass < order; ++pass) {
    double sum = 0;
    for (int64_t j = 0; j < n; ++j) {
      if (mask[j]) sum += x[j] - out[j];
    }
    const float mu = static_cast<float>(sum) / inv_count;
    double abs_sum = 0;
    for (int64_t j = 0; j < n; ++j) {
      if (mask[j]) abs_sum += std::fabs((x[j] - out[j]) - mu);
    }
    const float alpha = static_cast<float>(abs_sum) / inv_count;
    for (int64_t j = 0; j < n; ++j) {
      if (!mask[j]) continue;
      const float p = Sign((x[j] - out[j]) - mu) * alpha;
      out[j] = out[j] + (p + mu);
    }
  }
}

void CoupledRow(const float* x, const uint8_t* mask, int64_t n, float* out) {
  Gathered g = Gather(x, mask, n);
  if (g.v.empty()) {
    std::fill(out, out + n, 0.0f);
    return;
  }
  const size_t d = g.v.size();
  const float mu = Mean(g.v);
  std::vector<float> c(d), b1(d), rho(d), b2(d), q(d);
  for (size_t i = 0; i < d; ++i) c[i] = g.v[i] - mu;
  for (size_t i = 0; i < d; ++i) b1[i] = Sign(c[i]);
  float a1 = MeanAbs(c);
  for (size_t i = 0; i < d; ++i) rho[i] = c[i] - a1 * b1[i];
  for (size_t i = 0; i < d; ++i) b2[i] = Sign(rho[i]);
  float a2 = MeanAbs(rho);
  const double c12 = Dot(b1, b2), c1w = Dot(c, b1), c2w = Dot(c, b2);
  const double dd = static_cast<double>(d);
  const double det = dd * dd - c12 * c12;
  if (std::fabs(det) > 1e-12) {
    a1 = static_cast<float>(PyMaxZero((c1w * dd - c2w * c12) / det));
    a2 = static_cast<float>(PyMaxZero((c2w * dd - c1w * c12) / det));
  }
  for (size_t i = 0; i < d; ++i) q[i] = (mu + a1 * b1[i]) + a2 * b2[i];
  Scatter(g, q, n, out);
}

namespace {

struct Alphas {
  float a1, a2;
};

Alphas SolveCurrent(const std::vector<float>& b1, const std::vector<float>& b2, float d, float c1w,
                    float c2w, double lam, double corr_damp, bool symmetric) {
  float c12 = Dot(b1, b2);
  const float damp = static_cast<float>(1.0 - corr_damp);
  if (symmetric || c12 > 0) c12 = c12 * damp;
  const float a = d + static_cast<float>(lam);
  const float den = a * a - c12 * c12;
  if (!(std::fabs(den) > 1e-12f)) return {0.0f, 0.0f};
  float a1 = (a * c1w - c12 * c2w) / den;
  float a2 = (a * c2w - c12 * c1w) / den;
  if (a1 < 0) a1 = 0;
  if (a2 < 0) a2 = 0;
  return {a1, a2};
}

}  // namespace

void CoupledStableRow(const float* x, const uint8_t* mask, int64_t n, int order, double lam,
                      double corr_damp, bool skip_refinement, bool symmetric_damp, float* out) {
  Gathered g = Gather(x, mask, n);
  if (g.v.empty()) {
    std::fill(out, out + n, 0.0f);
    return;
  }
  const size_t d = g.v.size();
  const float df = static_cast<float>(d);
  const float mu = Mean(g.v);
  std::vector<float> c(d), b1(d), b2(d), t(d), q(d);
  for (size_t i = 0; i < d; ++i) c[i] = g.v[i] - mu;
  for (size_t i = 0; i < d; ++i) b1[i] = Sign(c[i]);
  const float a1_greedy = MeanAbs(c);
  if (order == 1) {
    for (size_t i = 0; i < d; ++i) q[i] = mu + a1_greedy * b1[i];
    Scatter(g, q, n, out);
    return;
  }
  // Plane 2 from the re-centred residual of plane 1.
  auto resign = [&](const std::vector<float>& plane, float alpha, std::vector<float>& into) {
    for (size_t i = 0; i < d; ++i) t[i] = c[i] - alpha * plane[i];
    const float tbar = Mean(t);
    for (size_t i = 0; i < d; ++i) into[i] = Sign(t[i] - tbar);
  };
  resign(b1, a1_greedy, b2);
  float c1w = Dot(c, b1), c2w = Dot(c, b2);
  Alphas al = SolveCurrent(b1, b2, df, c1w, c2w, lam, corr_damp, symmetric_damp);
  if (!skip_refinement) {
    resign(b1, al.a1, b2);
    c2w = Dot(c, b2);
    al = SolveCurrent(b1, b2, df, c1w, c2w, lam, corr_damp, symmetric_damp);
    resign(b2, al.a2, b1);
    c1w = Dot(c, b1);
    al = SolveCurrent(b1, b2, df, c1w, c2w, lam, corr_damp, symmetric_damp);
  }
  for (size_t i = 0; i < d; ++i) t[i] = c[i] - (al.a1 * b1[i] + al.a2 * b2[i]);
  const float delta_mu = Mean(t);
  for (size_t i = 0; i < d; ++i) q[i] = ((mu + delta_mu) + al.a1 * b1[i]) + al.a2 * b2[i];
  Scatter(g, q, n, out);
}

void CoupledPaper2025Row(const float* x, const uint8_t* mask, int64_t n, double lam,
                         double corr_damp, float* out) {
  Gathered g = Gather(x, mask, n);
  if (g.v.empty()) {
    std::fill(out, out + n, 0.0f);
    return;
  }
  const size_t d = g.v.size();
  const double dd = static_cast<double>(d);
  const float mu = Mean(g.v);
  std::vector<float> c(d), b1(d), b2(d), t(d), q(d);
  for (size_t i = 0; i < d; ++i) c[i] = g.v[i] - mu;
  for (size_t i = 0; i < d; ++i) b1[i] = Sign(c[i]);
  const float a1_greedy = MeanAbs(c);
  for (size_t i = 0; i < d; ++i) t[i] = c[i] - a1_greedy * b1[i];
  const float tbar = Mean(t);
  for (size_t i = 0; i < d; ++i) b2[i] = Sign(t[i] - tbar);
  double c1w = Dot(c, b1), c2w = Dot(c, b2);
  auto solve = [&]() -> Alphas {
    double c12 = Dot(b1, b2);
    if (c12 > 0) c12 = c12 * (1.0 - corr_damp);
    const double a = dd + lam;
    const double den = a * a - c12 * c12;
    if (!(std::fabs(den) > 1e-12)) return {0.0f, 0.0f};
    return {static_cast<float>(PyMaxZero((a * c1w - c12 * c2w) / den)),
            static_cast<float>(PyMaxZero((a * c2w - c12 * c1w) / den))};
  };
  Alphas al = solve();
  for (size_t i = 0; i < d; ++i) b2[i] = Sign(c[i] - al.a1 * b1[i]);
  c2w = Dot(c, b2);
  al = solve();
  for (size_t i = 0; i < d; ++i) b1[i] = Sign(c[i] - al.a2 * b2[i]);
  c1w = Dot(c, b1);
  al = solve();
  for (size_t i = 0; i < d; ++i) q[i] = (mu + al.a1 * b1[i]) + al.a2 * b2[i];
  Scatter(g, q, n, out);
}

}  // namespace binq::kernels::cpu
