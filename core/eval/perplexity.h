// Perplexity of a CausalLM over evaluation windows, exactly as the references
// compute it (BiLLM eval_ppl_utils.py opt_eval / llama_eval; ALGORITHMS.md
// §8.5):
//
//   per window k (ids w_0 … w_{s-1}):
//     logits = model(w) in the model dtype, last position dropped
//     ℓ_k    = cross_entropy(logits, labels w_1 … w_{s-1}), mean, computed by
//              PyTorch on the model-dtype logits (fp16 for OPT)
//     nll_k  = fp32(ℓ_k) · s        (s, although s-1 tokens are scored)
//   PPL = exp( Σ_k nll_k / (K · s) )   in fp32
//
// The windows go through the model layer by layer like the calibration
// (all windows through the embeddings, then all through block 0, block 1 …,
// then the head one window at a time), because the weights, not the
// activations, are what does not fit a GPU: a 66b model is 132 GB in fp16,
// while 140 WikiText-2 windows of [2048, 9216] fp16 hidden states are 5.3 GB.
// Each part is moved to the device once per evaluation (window by window
// would move every block K times). Each window still runs on its own (batch
// 1), as in the reference, so GEMM shapes and results are the reference's.
// Hidden states are kept on the device by default (as the reference); with
// `hidden_on_host` they wait in CPU memory and each window is moved to the
// device for its pass (for K·s·h that does not fit beside a block).
#ifndef BINQ_CORE_EVAL_PERPLEXITY_H_
#define BINQ_CORE_EVAL_PERPLEXITY_H_

#include <cstdint>
#include <functional>
#include <vector>

#include <ATen/ATen.h>

#include "absl/status/statusor.h"
#include "core/base/cancel_token.h"
#include "core/model/causal_lm.h"

namespace binq::core {

struct PerplexityOptions {
  at::Device device = at::Device(at::kCPU);  // where every part runs
  bool hidden_on_host = false;               // keep the K windows' hidden states in CPU memory
};

// Where an evaluation is. A "pass" is one window through one part
// (embeddings, a block, or the head with the loss): passes_total =
// K · (num_blocks + 2). windows_done counts windows whose loss is known
// (they complete only in the last stage).
struct PerplexityProgress {
  int64_t passes_done = 0;
  int64_t passes_total = 0;
  int64_t windows_done = 0;
  int64_t windows_total = 0;
};

struct PerplexityResult {
  double perplexity = 0;             // the fp32 value, widened
  std::vector<float> window_losses;  // fp32(ℓ_k), one per window
  int64_t windows = 0;               // K
  int64_t seqlen = 0;                // s
  int64_t tokens = 0;                // K · s, the reference's denominator
};

// Evaluates `model` on `windows` (K ≥ 1 windows of the same length s, 2 ≤ s ≤
// the model's positions). Each part of the model is moved to options.device
// while it runs and back to where it was afterwards (also on errors).
// `progress` (may be empty) is called after every pass; `cancel` (may be
// null) is checked between windows and between parts.
// Errors: INVALID_ARGUMENT for no windows, windows of unequal or too short
// length, or ids outside the vocabulary; CANCELLED; RESOURCE_EXHAUSTED when
// the device runs out of memory; the model's errors otherwise.
[[nodiscard]] absl::StatusOr<PerplexityResult> EvaluatePerplexity(
    CausalLM& model, const std::vector<std::vector<int32_t>>& windows, const PerplexityOptions& options,
    const std::function<void(const PerplexityProgress&)>& progress = {}, const CancelToken* cancel = nullptr);

}  // namespace binq::core

#endif  // BINQ_CORE_EVAL_PERPLEXITY_H_
