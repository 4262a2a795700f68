// Options shared by every quantization technique, with the reference defaults
// (BiLLM/CRB run.py and bigptq.py; ALGORITHMS.md §1 and §3).
#ifndef BINQ_CORE_QUANT_OPTIONS_H_
#define BINQ_CORE_QUANT_OPTIONS_H_

#include <cstdint>
#include <string>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"

namespace binq::core {

// What the salient-column and break-point searches run on (§4.2).
enum class SalientMetric { kHessian, kMagnitude };

// Which function the CRB technique runs (§1.2): the CRB repository's current
// vectorized v7 (default) or the older per-row v7 of the paper's time.
enum class CrbVariant { kCurrent, kPaper2025 };

// Where the block search and binarizers run. kAten: LibTorch ops in the
// reference's order (bit-parity with the references on the same device);
// kKernels: binq's fused kernels (CPU twin or CUDA; agree to ~1 ulp in sums);
// kAuto: kAten on CPU, kKernels on CUDA when the kernels support the shape.
enum class Backend { kAuto, kAten, kKernels };

struct QuantOptions {
  int64_t blocksize = 128;     // columns per block (β)
  double percdamp = 0.01;      // δ = percdamp · mean(diag H)
  SalientMetric salient_metric = SalientMetric::kHessian;
  int64_t up_lim = 50;         // salient search limit (k = 1 … up_lim−1)
  bool disable_gptq = false;   // §3.4: masks and values per block, no compensation

  // CRB (§6). Reference defaults: --lam 1e-5, --corr_damp 0.1.
  double lam = 1e-5;
  double corr_damp = 0.1;
  bool skip_refinement = false;
  bool symmetric_damp = false;
  CrbVariant crb_variant = CrbVariant::kCurrent;

  // `rtn`: bits of the per-row asymmetric round-to-nearest baseline.
  int wbits = 2;

  // A Hessian that is not positive definite after damping is retried with
  // 1e-3·mean(diag H) more on the diagonal, at most this many times (the CRB
  // repository's behaviour; BiLLM would crash). 0 = fail at once.
  int max_damping_retries = 10;

  Backend backend = Backend::kAuto;
};

[[nodiscard]] absl::StatusOr<SalientMetric> ParseSalientMetric(absl::string_view name);
[[nodiscard]] absl::StatusOr<CrbVariant> ParseCrbVariant(absl::string_view name);
[[nodiscard]] absl::StatusOr<Backend> ParseBackend(absl::string_view name);
const char* SalientMetricName(SalientMetric metric);
const char* CrbVariantName(CrbVariant variant);
const char* BackendName(Backend backend);

// INVALID_ARGUMENT naming the first option out of range.
[[nodiscard]] absl::Status ValidateOptions(const QuantOptions& options);

}  // namespace binq::core

#endif  // BINQ_CORE_QUANT_OPTIONS_H_
