// Per-row arithmetic of the binarizers and the search errors, written once
// for the CPU twins and the CUDA kernels (internal to binq::kernels).
//
// Every algorithm is a template over a `Lanes` policy that owns the row's
// reductions:
//   Sums<K> Sum<K>(f)  — Σ_j f(j) over j ∈ [0, n), K sums at once, in double,
//                        in a fixed order: partial[l] = Σ_{j ≡ l mod 32} f(j)
//                        in increasing j, then for off = 16, 8, 4, 2, 1:
//                        partial[l] += partial[l + off] for l < off;
//   void ForEach(f)    — f(j) for every j.
// SerialLanes (here) runs the 32 lanes one after the other on the host;
// WarpLanes (cuda/warp_lanes.cuh) is one CUDA warp, one lane per `l`, the tree
// done with shuffles. Both perform the same IEEE operations in the same
// order, so CPU and GPU results are bit-identical, provided neither side fuses
// multiply-adds (nvcc -fmad=false, g++ -ffp-contract=off; parity note 2).
//
// Element arithmetic is fp32 in the reference's order: multiply, then add,
// two roundings. A row sum is rounded to float once, and means are
// float(sum) / float(count) like PyTorch's sum-then-divide. The references
// sum in fp32 (cascade order), so against them the sums agree to ~1 ulp.
//
// Per-element intermediates (centred values, sign planes) are recomputed from
// a few per-row scalars instead of being stored: no scratch memory, any width.
#ifndef BINQ_KERNELS_ROW_MATH_H_
#define BINQ_KERNELS_ROW_MATH_H_

#include <cmath>
#include <cstdint>

#include "kernels/binarize.h"

#ifdef __CUDACC__
#define BINQ_HD __host__ __device__ __forceinline__
#else
#define BINQ_HD inline
#endif

namespace binq::kernels::row {

inline constexpr int kLanes = 32;

// K double accumulators.
template <int K>
struct Sums {
  double v[K];
  BINQ_HD double& operator[](int i) { return v[i]; }
  BINQ_HD double operator[](int i) const { return v[i]; }
};

// The 32 lanes of the canonical reduction order, run one after the other.
class SerialLanes {
 public:
  explicit SerialLanes(int64_t n) : n_(n) {}

  template <int K, class F>
  Sums<K> Sum(const F& f) const {
    double partial[K][kLanes] = {};
    for (int64_t base = 0; base < n_; base += kLanes) {
      const int lanes = n_ - base < kLanes ? static_cast<int>(n_ - base) : kLanes;
      for (int l = 0; l < lanes; ++l) {
        const Sums<K> v = f(base + l);
        for (int c = 0; c < K; ++c) partial[c][l] += v[c];
      }
    }
    Sums<K> out;
    for (int c = 0; c < K; ++c) {
      for (int off = kLanes / 2; off > 0; off >>= 1) {
        for (int l = 0; l < off; ++l) partial[c][l] += partial[c][l + off];
      }
      out[c] = partial[c][0];
    }
    return out;
  }

  template <class F>
  void ForEach(const F& f) const {
    for (int64_t j = 0; j < n_; ++j) f(j);
  }

 private:
  int64_t n_;
};

// torch.sign: sign(0) = 0 and sign(NaN) = 0 (parity note 1). Branch-free:
// the signs of centred data are unpredictable.
BINQ_HD float Sign(float v) {
  return static_cast<float>(static_cast<int>(v > 0.0f) - static_cast<int>(v < 0.0f));
}
BINQ_HD float Abs(float v) { return fabsf(v); }
BINQ_HD double AbsD(double v) { return v < 0.0 ? -v : v; }
BINQ_HD bool IsNan(float v) { return v != v; }
// Python's max(x, 0.0): x unless 0.0 > x, so a NaN x survives.
BINQ_HD double PyMaxZero(double x) { return 0.0 > x ? 0.0 : x; }
// torch.clamp(x, min=0) on fp32: NaN survives.
BINQ_HD float ClampZero(float x) { return x < 0.0f ? 0.0f : x; }
// A row sum rounded to float once.
BINQ_HD float F(double sum) { return static_cast<float>(sum); }

// ---------------------------------------------------------------------------
// braq R_K (§4.1), for G disjoint groups of one row at once.

template <int G>
struct ResidualFit {
  int order = 0;  // passes fitted so far
  float mu[2][G] = {};
  float alpha[2][G] = {};

  // S after `order` passes for an element x of group g:
  // S ← S + (sgn((x − S) − μ_p)·α_p + μ_p), from S = 0.
  BINQ_HD float Value(float x, int g) const {
    float s = 0.0f;
    for (int p = 0; p < order; ++p) {
      const float y = (x - s) - mu[p][g];
      s = s + (Sign(y) * alpha[p][g] + mu[p][g]);
    }
    return s;
  }
};

// Fits `order` passes of R_K to every group: group(j) ∈ [0, G), or −1 for an
// entry in no group. Means are nansum / count like torch.nanmean (a NaN
// residual is left out of sums and counts); an empty group gets μ = α = 0.
template <int G, class Lanes, class Group>
BINQ_HD ResidualFit<G> FitResidual(const Lanes& lanes, const float* x, const Group& group,
                                   int order) {
  ResidualFit<G> fit;
  for (int p = 0; p < order; ++p) {
    // Σ residual and count per group.
    const Sums<2 * G> s = lanes.template Sum<2 * G>([&](int64_t j) {
      Sums<2 * G> v;
      const int g = group(j);
      const float r = g >= 0 ? x[j] - fit.Value(x[j], g) : 0.0f;
      const bool counted = g >= 0 && !IsNan(r);
      for (int c = 0; c < G; ++c) {
        v[c] = counted && g == c ? r : 0.0;
        v[G + c] = counted && g == c ? 1.0 : 0.0;
      }
      return v;
    });
    for (int g = 0; g < G; ++g) {
      const float mu = F(s[g]) / static_cast<float>(s[G + g]);
      fit.mu[p][g] = IsNan(mu) ? 0.0f : mu;
    }
    // Σ |residual − μ| per group.
    const Sums<G> a = lanes.template Sum<G>([&](int64_t j) {
      Sums<G> v;
      const int g = group(j);
      const float y = g >= 0 ? (x[j] - fit.Value(x[j], g)) - fit.mu[p][g] : 0.0f;
      const bool counted = g >= 0 && !IsNan(y);
      for (int c = 0; c < G; ++c) v[c] = counted && g == c ? Abs(y) : 0.0;
      return v;
    });
    for (int g = 0; g < G; ++g) {
      const float alpha = F(a[g]) / static_cast<float>(s[G + g]);
      fit.alpha[p][g] = IsNan(alpha) ? 0.0f : alpha;
    }
    fit.order = p + 1;
  }
  return fit;
}

// ---------------------------------------------------------------------------
// CRBOG order 2 (§5).

struct CrbogFit {
  float mu = 0, alpha1_greedy = 0;  // define the planes
  float alpha1 = 0, alpha2 = 0;     // the output scales

  BINQ_HD float Value(float x) const {
    const float c = x - mu;
    const float b1 = Sign(c);
    const float b2 = Sign(c - alpha1_greedy * b1);
    return (mu + alpha1 * b1) + alpha2 * b2;
  }
};

template <class Lanes, class InMask>
BINQ_HD CrbogFit FitCrbog(const Lanes& lanes, const float* x, const InMask& in) {
  CrbogFit fit;
  const Sums<2> s = lanes.template Sum<2>([&](int64_t j) {
    return in(j) ? Sums<2>{{x[j], 1.0}} : Sums<2>{{0.0, 0.0}};
  });
  if (s[1] == 0.0) return fit;  // empty row: no masked entry to write
  const double d = s[1];
  const float fd = static_cast<float>(d);
  fit.mu = F(s[0]) / fd;
  const Sums<1> abs_c = lanes.template Sum<1>([&](int64_t j) {
    return in(j) ? Sums<1>{{Abs(x[j] - fit.mu)}} : Sums<1>{{0.0}};
  });
  fit.alpha1_greedy = F(abs_c[0]) / fd;
  // Σ|ρ|, Σ B₁B₂, Σ c·B₁, Σ c·B₂ with ρ = c − α₁B₁, B₂ = sgn(ρ) (no re-centring).
  const Sums<4> t = lanes.template Sum<4>([&](int64_t j) {
    if (!in(j)) return Sums<4>{{0.0, 0.0, 0.0, 0.0}};
    const float c = x[j] - fit.mu;
    const float b1 = Sign(c);
    const float rho = c - fit.alpha1_greedy * b1;
    const float b2 = Sign(rho);
    return Sums<4>{{Abs(rho), b1 * b2, c * b1, c * b2}};
  });
  const float alpha2_greedy = F(t[0]) / fd;
  // fp32 sums converted to Python floats; the solve in double.
  const double c12 = F(t[1]), c1w = F(t[2]), c2w = F(t[3]);
  const double det = d * d - c12 * c12;
  if (AbsD(det) > 1e-12) {
    fit.alpha1 = static_cast<float>(PyMaxZero((c1w * d - c2w * c12) / det));
    fit.alpha2 = static_cast<float>(PyMaxZero((c2w * d - c1w * c12) / det));
  } else {
    fit.alpha1 = fit.alpha1_greedy;
    fit.alpha2 = alpha2_greedy;
  }
  return fit;
}

// ---------------------------------------------------------------------------
// CRB-current (§6.1): everything fp32 per row.

struct Alphas {
  float a1 = 0, a2 = 0;
};

// Tikhonov-regularized, correlation-damped 2×2 normal equations in fp32.
BINQ_HD Alphas SolveCurrent(float d, float c12, float c1w, float c2w, float lam, float keep,
                            bool symmetric_damp) {
  if (symmetric_damp || c12 > 0.0f) c12 = c12 * keep;
  const float a = d + lam;
  const float den = a * a - c12 * c12;
  if (!(Abs(den) > 1e-12f)) return {};  // singular: both scales 0 (a NaN den included)
  Alphas out;
  out.a1 = ClampZero((a * c1w - c12 * c2w) / den);
  out.a2 = ClampZero((a * c2w - c12 * c1w) / den);
  return out;
}

struct CrbFit {
  int order = 1;
  bool refined = false;
  float mu = 0;
  float alpha1_greedy = 0, rho_bar = 0;  // initial B₂
  float alpha1_t = 0, t_bar = 0;         // refined B₂
  float alpha2_u = 0, u_bar = 0;         // refined B₁
  float alpha1 = 0, alpha2 = 0, delta_mu = 0;

  // The sign planes of a centred value c after the fitted stages. `stage`
  // 0: initial planes; 1: B₂ re-signed; 2 (= all): B₁ re-signed too.
  BINQ_HD void Planes(float c, int stage, float* b1, float* b2) const {
    *b1 = Sign(c);
    *b2 = Sign((c - alpha1_greedy * *b1) - rho_bar);
    if (stage >= 1) *b2 = Sign((c - alpha1_t * *b1) - t_bar);
    if (stage >= 2) *b1 = Sign((c - alpha2_u * *b2) - u_bar);
  }

  BINQ_HD float Value(float x) const {
    const float c = x - mu;
    if (order == 1) return mu + alpha1 * Sign(c);
    float b1, b2;
    Planes(c, refined ? 2 : 0, &b1, &b2);
    return ((mu + delta_mu) + alpha1 * b1) + alpha2 * b2;
  }
};

template <class Lanes, class InMask>
BINQ_HD CrbFit FitCrb(const Lanes& lanes, const float* x, const InMask& in, int order,
                      double lam, double corr_damp, bool skip_refinement, bool symmetric_damp) {
  CrbFit fit;
  fit.order = order;
  const Sums<2> s = lanes.template Sum<2>([&](int64_t j) {
    return in(j) ? Sums<2>{{x[j], 1.0}} : Sums<2>{{0.0, 0.0}};
  });
  if (s[1] == 0.0) return fit;  // D = 0: every sum is 0, the row is 0
  const float d = static_cast<float>(s[1]);  // D ≥ 1, so D̂ = max(D, 1) = D
  fit.mu = F(s[0]) / d;
  // Mean of a per-element function over the mask, in fp32.
  auto mean = [&](auto f) {
    return F(lanes.template Sum<1>([&](int64_t j) {
      return in(j) ? Sums<1>{{f(x[j] - fit.mu)}} : Sums<1>{{0.0}};
    })[0]) / d;
  };
  fit.alpha1_greedy = mean([](float c) { return Abs(c); });
  if (order == 1) {
    fit.alpha1 = fit.alpha1_greedy;
    return fit;
  }
  const float lam_f = static_cast<float>(lam);
  const float keep = static_cast<float>(1.0 - corr_damp);
  // c₁w, c₂w, c₁₂ of the planes at `stage`.
  auto projections = [&](int stage) {
    return lanes.template Sum<3>([&](int64_t j) {
      if (!in(j)) return Sums<3>{{0.0, 0.0, 0.0}};
      const float c = x[j] - fit.mu;
      float b1, b2;
      fit.Planes(c, stage, &b1, &b2);
      return Sums<3>{{c * b1, c * b2, b1 * b2}};
    });
  };
  fit.rho_bar = mean([&](float c) { return c - fit.alpha1_greedy * Sign(c); });
  Sums<3> pr = projections(0);
  float c1w = F(pr[0]), c2w = F(pr[1]);
  Alphas al = SolveCurrent(d, F(pr[2]), c1w, c2w, lam_f, keep, symmetric_damp);
  if (!skip_refinement) {
    // Re-sign B₂ given B₁: t = c − α₁B₁, centred.
    fit.alpha1_t = al.a1;
    fit.t_bar = mean([&](float c) { return c - fit.alpha1_t * Sign(c); });
    pr = projections(1);
    c2w = F(pr[1]);
    al = SolveCurrent(d, F(pr[2]), c1w, c2w, lam_f, keep, symmetric_damp);
    // Re-sign B₁ given B₂: u = c − α₂B₂, centred.
    fit.alpha2_u = al.a2;
    fit.u_bar = mean([&](float c) {
      float b1, b2;
      fit.Planes(c, 1, &b1, &b2);
      return c - fit.alpha2_u * b2;
    });
    pr = projections(2);
    c1w = F(pr[0]);
    al = SolveCurrent(d, F(pr[2]), c1w, c2w, lam_f, keep, symmetric_damp);
    fit.refined = true;
  }
  fit.alpha1 = al.a1;
  fit.alpha2 = al.a2;
  // Mean correction δμ = mean(c − (α₁B₁ + α₂B₂)).
  const int stage = fit.refined ? 2 : 0;
  fit.delta_mu = mean([&](float c) {
    float b1, b2;
    fit.Planes(c, stage, &b1, &b2);
    return c - (fit.alpha1 * b1 + fit.alpha2 * b2);
  });
  return fit;
}

// ---------------------------------------------------------------------------
// CRB-paper2025 order 2 (§6.2): fp32 vectors, the 2×2 solve in double.

struct AlphasD {
  double a1 = 0, a2 = 0;
};

BINQ_HD AlphasD SolvePaper2025(double d, double c12, double c1w, double c2w, double lam,
                               double corr_damp) {
  if (c12 > 0) c12 = c12 * (1.0 - corr_damp);
  const double a = d + lam;
  const double den = a * a - c12 * c12;
  if (!(AbsD(den) > 1e-12)) return {};
  AlphasD out;
  out.a1 = PyMaxZero((a * c1w - c12 * c2w) / den);
  out.a2 = PyMaxZero((a * c2w - c12 * c1w) / den);
  return out;
}

struct Paper2025Fit {
  float mu = 0;
  float alpha1_greedy = 0, rho_bar = 0;  // initial B₂
  float alpha1_s = 0;                    // refined B₂ = sgn(c − α₁B₁)
  float alpha2_s = 0;                    // refined B₁ = sgn(c − α₂B₂)
  float alpha1 = 0, alpha2 = 0;

  // stage 0: initial planes; 1: B₂ re-signed; 2: B₁ re-signed too.
  BINQ_HD void Planes(float c, int stage, float* b1, float* b2) const {
    *b1 = Sign(c);
    *b2 = stage == 0 ? Sign((c - alpha1_greedy * *b1) - rho_bar) : Sign(c - alpha1_s * *b1);
    if (stage >= 2) *b1 = Sign(c - alpha2_s * *b2);
  }

  BINQ_HD float Value(float x) const {
    const float c = x - mu;
    float b1, b2;
    Planes(c, 2, &b1, &b2);
    return (mu + alpha1 * b1) + alpha2 * b2;
  }
};

template <class Lanes, class InMask>
BINQ_HD Paper2025Fit FitPaper2025(const Lanes& lanes, const float* x, const InMask& in,
                                  double lam, double corr_damp) {
  Paper2025Fit fit;
  const Sums<2> s = lanes.template Sum<2>([&](int64_t j) {
    return in(j) ? Sums<2>{{x[j], 1.0}} : Sums<2>{{0.0, 0.0}};
  });
  if (s[1] == 0.0) return fit;  // empty row: skipped
  const double d = s[1];
  const float fd = static_cast<float>(d);
  fit.mu = F(s[0]) / fd;
  auto mean = [&](auto f) {
    return F(lanes.template Sum<1>([&](int64_t j) {
      return in(j) ? Sums<1>{{f(x[j] - fit.mu)}} : Sums<1>{{0.0}};
    })[0]) / fd;
  };
  fit.alpha1_greedy = mean([](float c) { return Abs(c); });
  fit.rho_bar = mean([&](float c) { return c - fit.alpha1_greedy * Sign(c); });
  auto projections = [&](int stage) {
    return lanes.template Sum<3>([&](int64_t j) {
      if (!in(j)) return Sums<3>{{0.0, 0.0, 0.0}};
      const float c = x[j] - fit.mu;
      float b1, b2;
      fit.Planes(c, stage, &b1, &b2);
      return Sums<3>{{c * b1, c * b2, b1 * b2}};
    });
  };
  // fp32 sums, converted exactly to double.
  Sums<3> pr = projections(0);
  double c1w = F(pr[0]), c2w = F(pr[1]);
  AlphasD al = SolvePaper2025(d, F(pr[2]), c1w, c2w, lam, corr_damp);
  fit.alpha1_s = static_cast<float>(al.a1);
  pr = projections(1);
  c2w = F(pr[1]);
  al = SolvePaper2025(d, F(pr[2]), c1w, c2w, lam, corr_damp);
  fit.alpha2_s = static_cast<float>(al.a2);
  pr = projections(2);
  c1w = F(pr[0]);
  al = SolvePaper2025(d, F(pr[2]), c1w, c2w, lam, corr_damp);
  fit.alpha1 = static_cast<float>(al.a1);
  fit.alpha2 = static_cast<float>(al.a2);
  return fit;
}

// ---------------------------------------------------------------------------
// One row of BinarizeRows.

template <class Lanes, class Fit>
BINQ_HD void WriteRow(const Lanes& lanes, const float* x, const uint8_t* mask, const Fit& fit,
                      float* out) {
  lanes.ForEach([&](int64_t j) { out[j] = mask[j] ? fit.Value(x[j]) : 0.0f; });
}

// ResidualFit<1> seen as a one-group fit.
struct SingleGroup {
  ResidualFit<1> fit;
  BINQ_HD float Value(float x) const { return fit.Value(x, 0); }
};

template <class Lanes>
BINQ_HD void BinarizeRow(const Lanes& lanes, const BinarizeParams& p, int64_t r) {
  const float* x = p.x + r * p.ldx;
  const uint8_t* mask = p.mask + r * p.ldm;
  float* out = p.out + r * p.ldo;
  auto in = [mask](int64_t j) { return mask[j] != 0; };
  if (p.method == BinarizeMethod::kCrb) {
    WriteRow(lanes, x, mask,
             FitCrb(lanes, x, in, p.order, p.lam, p.corr_damp, p.skip_refinement,
                    p.symmetric_damp),
             out);
  } else if (p.order == 1 || p.method == BinarizeMethod::kBraq) {
    // CRBOG and CRB-paper2025 use braq's R₁ for order 1.
    auto group = [mask](int64_t j) { return mask[j] != 0 ? 0 : -1; };
    WriteRow(lanes, x, mask, SingleGroup{FitResidual<1>(lanes, x, group, p.order)}, out);
  } else if (p.method == BinarizeMethod::kCrbog) {
    WriteRow(lanes, x, mask, FitCrbog(lanes, x, in), out);
  } else {
    WriteRow(lanes, x, mask, FitPaper2025(lanes, x, in, p.lam, p.corr_damp), out);
  }
}

// ---------------------------------------------------------------------------
// Search errors of one row of T (finite).

// Σ_j (t − (R₂(t, M_k) + R₂(t, ¬M_k)))² for salient count k (§4.3); column j
// is salient iff ranks[j] < k. The part outside its mask is +0, so the sum of
// the two parts is the value of the entry's own part.
template <class Lanes>
BINQ_HD double SalientRowError(const Lanes& lanes, const float* t, const int32_t* ranks,
                               int64_t k) {
  auto group = [&](int64_t j) { return ranks[j] < k ? 0 : 1; };
  const ResidualFit<2> fit = FitResidual<2>(lanes, t, group, 2);
  return lanes.template Sum<1>([&](int64_t j) {
    const float e = t[j] - fit.Value(t[j], group(j));
    return Sums<1>{{e * e}};
  })[0];
}

// R₂ of the salient columns of one row: independent of the break-point.
template <class Lanes>
BINQ_HD ResidualFit<1> FitSalientPart(const Lanes& lanes, const float* t,
                                      const uint8_t* salient_columns) {
  auto group = [&](int64_t j) { return salient_columns[j] != 0 ? 0 : -1; };
  return FitResidual<1>(lanes, t, group, 2);
}

// Σ_j (t − ((R₁(t, M₀) + R₁(t, M₁)) + R₂(t, M₂)))² for one break-point (§4.4
// step 5): M₁ = non-salient with |t| ≥ threshold, M₀ = non-salient with
// |t| < threshold. Each entry is in exactly one part, the others give +0.
template <class Lanes>
BINQ_HD double SplitRowError(const Lanes& lanes, const float* t, const uint8_t* salient_columns,
                             const ResidualFit<1>& salient_fit, float threshold) {
  auto group = [&](int64_t j) {
    return salient_columns[j] != 0 ? -1 : (Abs(t[j]) >= threshold ? 1 : 0);
  };
  const ResidualFit<2> fit = FitResidual<2>(lanes, t, group, 1);
  return lanes.template Sum<1>([&](int64_t j) {
    const int g = group(j);
    const float q = g < 0 ? salient_fit.Value(t[j], 0) : fit.Value(t[j], g);
    const float e = t[j] - q;
    return Sums<1>{{e * e}};
  })[0];
}

// The mean of a candidate's error over the block, from its per-row sums.
template <class Lanes>
BINQ_HD float MeanOfRowErrors(const Lanes& lanes, const double* row_errors, int64_t rows,
                              int64_t cols) {
  const double total =
      lanes.template Sum<1>([&](int64_t r) { return Sums<1>{{row_errors[r]}}; })[0];
  return F(total) / static_cast<float>(rows * cols);
}

}  // namespace binq::kernels::row

#endif  // BINQ_KERNELS_ROW_MATH_H_
