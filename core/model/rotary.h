// Rotary position embeddings as transformers 5.23 computes them
// (modeling_rope_utils.py and each family's RotaryEmbedding.forward), with
// the same ATen ops in the same order so the tables match bit for bit.
#ifndef BINQ_CORE_MODEL_ROTARY_H_
#define BINQ_CORE_MODEL_ROTARY_H_

#include <cstdint>

#include <ATen/ATen.h>

#include "core/model_config/model_config.h"

namespace binq::core {

// inv_freq [head_dim/2] in fp32 on the CPU, as the rope init function of
// `rope.rope_type` returns it at model construction ("dynamic" at its
// initial length, max_position_embeddings). attention_scaling is 1 for every
// supported type. Throws (c10::Error) like any ATen call; call in TorchCall.
at::Tensor RopeInverseFrequencies(const RopeParameters& rope, int64_t head_dim, int64_t max_position_embeddings);

// cos and sin [1, 1, s, head_dim] in `dtype` on inv_freq's device for
// positions 0 … s−1 (the family's RotaryEmbedding.forward, unsqueezed for
// [b, heads, s, d] states).
std::pair<at::Tensor, at::Tensor> RopeCosSin(const at::Tensor& inv_freq, int64_t s, at::ScalarType dtype);

// x·cos + rotate_half(x)·sin (apply_rotary_pos_emb for one of q, k).
at::Tensor ApplyRope(const at::Tensor& x, const at::Tensor& cos, const at::Tensor& sin);

}  // namespace binq::core

#endif  // BINQ_CORE_MODEL_ROTARY_H_
