#include "core/model/rotary.h"

#include <cmath>

namespace binq::core {
namespace {

constexpr double kPi = 3.141592653589793;  // Python's math.pi

// 1.0 / (base ** (arange(0, dim, 2).float() / dim)): Python's `1.0 / t` is
// t.reciprocal() * 1.0 (an exact no-op multiply, skipped).
at::Tensor DefaultInverseFrequencies(double base, int64_t dim) {
  const at::Tensor exponents =
      at::arange(0, dim, 2, at::TensorOptions().dtype(at::kLong)).to(at::kFloat) / static_cast<double>(dim);
  return at::pow(at::Scalar(base), exponents).reciprocal();
}

// _compute_llama3_parameters after the default frequencies.
at::Tensor Llama3Frequencies(const RopeParameters& rope, const at::Tensor& inv_freq) {
  const double factor = rope.factor;
  const double low = rope.low_freq_factor;
  const double high = rope.high_freq_factor;
  const double old_context_len = static_cast<double>(rope.original_max_position_embeddings);
  const double low_freq_wavelen = old_context_len / low;
  const double high_freq_wavelen = old_context_len / high;
  // wavelen = 2π / inv_freq → inv_freq.reciprocal() · 2π.
  const at::Tensor wavelen = inv_freq.reciprocal() * (2 * kPi);
  at::Tensor inv_freq_llama = at::where(wavelen > low_freq_wavelen, inv_freq / factor, inv_freq);
  // (old_context_len / wavelen − low) / (high − low).
  const at::Tensor smooth = (wavelen.reciprocal() * old_context_len - low) / (high - low);
  const at::Tensor smoothed = at::rsub(smooth, 1) * inv_freq_llama / factor + smooth * inv_freq_llama;
  const at::Tensor is_medium = at::logical_not(wavelen < high_freq_wavelen) * at::logical_not(wavelen > low_freq_wavelen);
  return at::where(is_medium, smoothed, inv_freq_llama);
}

}  // namespace

at::Tensor RopeInverseFrequencies(const RopeParameters& rope, int64_t head_dim, int64_t max_position_embeddings) {
  const int64_t dim = head_dim;  // partial_rotary_factor 1 (the parser refuses others)
  if (rope.rope_type == "linear") {
    at::Tensor inv_freq = DefaultInverseFrequencies(rope.rope_theta, dim);
    inv_freq.div_(rope.factor);
    return inv_freq;
  }
  if (rope.rope_type == "dynamic") {
    // At construction seq_len = max_position_embeddings: the base changes by
    // ((factor·seq/max) − (factor − 1))^(dim/(dim−2)), in Python floats.
    const double seq_len = static_cast<double>(max_position_embeddings);
    const double base =
        rope.rope_theta * std::pow((rope.factor * seq_len / static_cast<double>(max_position_embeddings)) -
                                       (rope.factor - 1),
                                   static_cast<double>(dim) / static_cast<double>(dim - 2));
    return DefaultInverseFrequencies(base, dim);
  }
  at::Tensor inv_freq = DefaultInverseFrequencies(rope.rope_theta, dim);
  if (rope.rope_type == "llama3") return Llama3Frequencies(rope, inv_freq);
  return inv_freq;
}

std::pair<at::Tensor, at::Tensor> RopeCosSin(const at::Tensor& inv_freq, int64_t s, at::ScalarType dtype) {
  const at::Tensor positions = at::arange(s, at::TensorOptions().dtype(at::kLong).device(inv_freq.device()))
                                   .unsqueeze(0);  // position_ids [1, s]
  const at::Tensor freqs = positions.unsqueeze(-1).to(at::kFloat) * inv_freq.to(at::kFloat);
  const at::Tensor emb = at::cat({freqs, freqs}, -1);
  // · attention_scaling (1.0 for the supported types) is exact and skipped.
  return {emb.cos().to(dtype).unsqueeze(1), emb.sin().to(dtype).unsqueeze(1)};
}

at::Tensor ApplyRope(const at::Tensor& x, const at::Tensor& cos, const at::Tensor& sin) {
  const int64_t half = x.size(-1) / 2;
  const at::Tensor x1 = x.narrow(-1, 0, half);
  const at::Tensor x2 = x.narrow(-1, half, x.size(-1) - half);
  const at::Tensor rotated = at::cat({at::neg(x2), x1}, -1);
  return (x * cos) + (rotated * sin);
}

}  // namespace binq::core
