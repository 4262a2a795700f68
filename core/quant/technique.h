// A quantization technique turns one linear layer's weight (and, for most, the
// Hessian of its inputs) into de-quantized weights plus figures. Techniques are
// looked up by case-insensitive name in one registry; adding one is one row in
// the technique catalog (core/base/technique_catalog.cc: name, help, whether it
// needs a Hessian, its options) plus one file under core/quant/techniques/
// that ends with BINQ_REGISTER_TECHNIQUE (docs/adding-a-technique.md).
#ifndef BINQ_CORE_QUANT_TECHNIQUE_H_
#define BINQ_CORE_QUANT_TECHNIQUE_H_

#include <cmath>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include <ATen/ATen.h>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "core/quant/options.h"
#include "core/quant/packing.h"

namespace binq::core {

// One layer to quantize. Tensors are on one device; neither is modified.
struct LayerProblem {
  at::Tensor weight;   // [rows, cols], F32/F16/BF16 (math is fp32 whatever the dtype)
  at::Tensor hessian;  // fp32 [cols, cols] accumulated (before dead-column fix and
                       // damping); may be undefined for techniques that need none
  at::Tensor inverse_factor;  // optional fp32 [cols, cols]: U to use instead of factoring
                              // the damped Hessian (parity diagnostics: a reference's own U)
  // Optional fp32 [cols, cols]: S = mean over calibration sequences of XᵀX
  // (ARB-X's calibration matrix; only its diagonal blocks are read). When
  // undefined, ARB-X uses hessian / 2, the same matrix: the running-average
  // Hessian is (2/n)·ΣXᵀX (ALGORITHMS.md §2.5, §9.3).
  at::Tensor input_gram;
};

// What quantizing one layer produced.
struct LayerResult {
  at::Tensor quantized;            // fp32 [rows, cols], de-quantized weights
  double loss = 0;                 // reference's error: Σ ½(w−q)²/U_jj² (0 without GPTQ)
  double relative_output_error = std::nan("");  // ‖WXᵀ−ŴXᵀ‖²/‖WXᵀ‖² via tr(ΔW H ΔWᵀ)/tr(W H Wᵀ)
  int64_t salient_columns = 0;     // summed over blocks
  at::Tensor partition;            // uint8 [rows, cols]: 0 low, 1 high, 2 salient (braq/CRB family)
  std::vector<int64_t> salient_per_block;
  std::vector<double> split_per_block;
  // Further per-block search results by name (e.g. ARB's "cgb_split",
  // HBLLM's "band_split"), concatenated over blocks in order.
  std::map<std::string, std::vector<double>> block_diagnostics;
  double wbits_paper = 0;          // BiLLM's N_param: 1 + salient columns / cols (§7.1)
  PackingScheme packing;           // how binq.safetensors stores this technique's output
  double storage_bits = 0;         // bits per weight of that packed layout (core/quant/packing.h),
                                   // fp16 levels, exceptions not counted
  int64_t dead_columns = 0;
  int damping_retries = 0;
  int search_fallbacks = 0;        // blocks where no search error was finite
  std::string backend;             // "aten" or "kernels-cpu"/"kernels-cuda"
  // Wall time of the stages, seconds.
  double factor_seconds = 0;       // damping + Cholesky inverse
  double search_seconds = 0;       // salient and break-point searches
  double binarize_seconds = 0;     // partition values
  double solver_seconds = 0;       // error propagation (inter-block GEMMs)
  double total_seconds = 0;
};

class Technique {
 public:
  virtual ~Technique() = default;
  virtual std::string name() const = 0;  // canonical spelling, e.g. "CRB": its catalog row's name
  // From the catalog row of name(): its help line and needs_calibration.
  std::string description() const;
  bool needs_hessian() const;
  // `options` were made by MakeQuantOptions(name(), …): a technique reads its
  // own options from options.technique_options.
  // INVALID_ARGUMENT for bad shapes/options, DATA_LOSS for non-finite
  // weights, FAILED_PRECONDITION for a Hessian that cannot be factored.
  [[nodiscard]] virtual absl::StatusOr<LayerResult> Quantize(const LayerProblem& problem,
                                                             const QuantOptions& options) const = 0;
};

// Process-wide registry. Registration happens during static initialization;
// lookups afterwards are read-only and thread-safe.
class TechniqueRegistry {
 public:
  static TechniqueRegistry& Global();
  // Returns false (and keeps the first) when the name is taken.
  bool Register(std::unique_ptr<Technique> technique);
  // Case-insensitive, by name or catalog alias ("fp16" finds none).
  // INVALID_ARGUMENT listing the known names otherwise.
  [[nodiscard]] absl::StatusOr<const Technique*> Find(absl::string_view name) const;
  std::vector<const Technique*> All() const;  // sorted by name
  std::string NamesForHelp() const;           // "braq, CRB, CRBOG, rtn, sign"

 private:
  std::map<std::string, std::unique_ptr<Technique>> by_lower_name_;
};

}  // namespace binq::core

#define BINQ_REGISTER_TECHNIQUE(Class)                                           \
  static const bool binq_registered_##Class [[maybe_unused]] =                   \
      ::binq::core::TechniqueRegistry::Global().Register(std::make_unique<Class>())

#endif  // BINQ_CORE_QUANT_TECHNIQUE_H_
