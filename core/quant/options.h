// What a technique's Quantize reads: the technique's own options as resolved
// from its catalog row (technique_options — where a new technique reads its
// options), the fields the braq family and its kernels read directly (filled
// from the same row by MakeQuantOptions), and run-time knobs that are not
// job options (backend, damping retries, layer-tool ablations). Reference
// defaults: BiLLM/CRB run.py and bigptq.py; ALGORITHMS.md §1 and §3.
#ifndef BINQ_CORE_QUANT_OPTIONS_H_
#define BINQ_CORE_QUANT_OPTIONS_H_

#include <cstdint>
#include <string>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "core/base/technique_catalog.h"

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
  // Every option of the technique's catalog row, validated, defaults filled
  // (core/base/technique_catalog.h). A technique reads its own options here:
  // BINQ_ASSIGN_OR_RETURN(const int64_t g, options.technique_options.Int("groupsize")).
  // Empty (every lookup INTERNAL) unless made by MakeQuantOptions.
  TechniqueOptions technique_options;

  // Filled by MakeQuantOptions from the row's options of the same key, for the
  // code that reads them directly (block_search, binarizers, kernels).
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

// The options `technique` runs with when a job (or `binq-run layer`) gives
// `given`: technique_options resolved against the catalog row, and the direct
// fields above set from the row's options of the same key (salient_metric
// only when it names a SalientMetric; a technique with other metrics reads
// its own from technique_options). INVALID_ARGUMENT as TechniqueOptions::Resolve.
[[nodiscard]] absl::StatusOr<QuantOptions> MakeQuantOptions(absl::string_view technique,
                                                            const OptionValues& given);

// INVALID_ARGUMENT naming the first option out of range: each direct field
// that `technique`'s catalog row has, against the row's range (one range per
// option, the catalog's), and the run-time knobs.
[[nodiscard]] absl::Status ValidateOptions(const QuantOptions& options, absl::string_view technique);

}  // namespace binq::core

#endif  // BINQ_CORE_QUANT_OPTIONS_H_
