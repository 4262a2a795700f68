// PB-LLM partial binarization (hahnyuan/PB-LLM `gptq_pb`, LowHighGPT;
// ALGORITHMS.md §9.2): one mask for the whole matrix keeps the most salient
// (1 − low_frac) of the weights at `high_bit` bits (GPTQ's per-row asymmetric
// min–max quantizer) and hands the rest to a low-bit quantizer (xnor, sign,
// 2bit, 4bit); then GPTQ's column loop with intra-block compensation
// (core/quant/gptq_solver.h).
#ifndef BINQ_CORE_QUANT_PBLLM_H_
#define BINQ_CORE_QUANT_PBLLM_H_

#include <cstdint>

#include <ATen/ATen.h>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "core/quant/minmax_quantizer.h"
#include "core/quant/technique.h"

namespace binq::core {

// The reference's `low_quant_method`.
enum class PbllmLowMethod { kXnor, kSign, k2Bit, k4Bit };
// How weights are ranked: |W|, W²/U_jj² (Cholesky diagonal), or binq's
// activation-aware |W|·‖X_j‖₂ (core/quant/activation_saliency.h).
enum class PbllmSalientMetric { kHessian, kMagnitude, kActivation };

[[nodiscard]] absl::StatusOr<PbllmLowMethod> ParsePbllmLowMethod(absl::string_view name);
[[nodiscard]] absl::StatusOr<PbllmSalientMetric> ParsePbllmSalientMetric(absl::string_view name);
const char* PbllmLowMethodName(PbllmLowMethod method);
const char* PbllmSalientMetricName(PbllmSalientMetric metric);

struct PbllmParams {
  PbllmLowMethod low_method = PbllmLowMethod::kXnor;
  double low_frac = 0.9;  // fraction handed to the low-bit quantizer, [0, 1]
  int high_bit = 8;       // bits of the salient weights, 2 … 8
  PbllmSalientMetric salient_metric = PbllmSalientMetric::kHessian;
  int64_t activation_nsamples = 128;  // sequences behind the Hessian (activation metric)
  int64_t blocksize = 128;
  double percdamp = 0.01;
  int max_damping_retries = 10;
};

// The low-bit quantizer, calibrated per row on W⊙mask over all columns.
struct LowBitQuantizer {
  PbllmLowMethod method = PbllmLowMethod::kXnor;
  at::Tensor scale;  // fp32 [rows, 1]: α (xnor, sign) or the step (2bit, 4bit)
  at::Tensor mean;   // fp32 [rows, 1]: μ (xnor)
  at::Tensor zero;   // fp32 [rows, 1] (2bit, 4bit): round(−xmin_r / scale_0), row 0's step
  int64_t maxq = 0;  // 3 (2bit) or 7 (4bit: 8 levels, as the reference)
};
// `masked` = W⊙mask [rows, cols] fp32.
LowBitQuantizer CalibrateLowBit(PbllmLowMethod method, const at::Tensor& masked);
// The low-bit value of every entry of `w` [rows, k] (the caller applies the mask).
at::Tensor QuantizeLowBit(const LowBitQuantizer& quantizer, const at::Tensor& w);

// Bool [rows, cols], true = binarized: S ≤ the element at index
// floor(numel·low_frac) of the ascending-sorted S (ties included), i.e.
// floor(numel·low_frac) + 1 entries plus ties. low_frac = 1 (where the
// reference indexes past the end) binarizes everything.
at::Tensor PbllmBinarizedMask(const at::Tensor& saliency, double low_frac);

struct PbllmOutput {
  LayerResult layer;
  at::Tensor binarized;  // bool [rows, cols], true = low-bit
  at::Tensor handed;     // fp32 [rows, cols], each column as handed to the quantizers
  MinMaxParams high;     // the high-bit quantizer (calibrated on W before the dead fix)
  LowBitQuantizer low;
};

[[nodiscard]] absl::Status ValidatePbllmParams(const PbllmParams& params);

// `problem.hessian` required; `problem.inverse_factor` optionally replaces the
// factorization. Any width works (the reference asserts cols % 128 == 0 with
// its default groupsize −1; binq's mask covers the whole matrix either way and
// a narrower last block is solved like any other).
[[nodiscard]] absl::StatusOr<PbllmOutput> QuantizePbllm(const LayerProblem& problem,
                                                        const PbllmParams& params);

}  // namespace binq::core

#endif  // BINQ_CORE_QUANT_PBLLM_H_
