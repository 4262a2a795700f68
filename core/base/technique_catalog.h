// The technique catalog: every quantization technique binq knows, as data —
// name, aliases, one-line help, whether it needs calibration inputs (a
// Hessian), and the schema of its options. binqd validates submissions
// against it without LibTorch; binq-run and binqctl generate their flags and
// help from it; the worker resolves a job's options through it into the
// TechniqueOptions each technique reads. A test checks the catalog against
// the worker's TechniqueRegistry (core/quant/technique.h): the same names.
//
// Adding a technique = one row in technique_catalog.cc plus one file under
// core/quant/techniques/ (docs/adding-a-technique.md).
#ifndef BINQ_CORE_BASE_TECHNIQUE_CATALOG_H_
#define BINQ_CORE_BASE_TECHNIQUE_CATALOG_H_

#include <cstdint>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "core/base/option_schema.h"

namespace binq {

struct TechniqueEntry {
  std::string name;                  // canonical spelling, e.g. "CRB"
  std::vector<std::string> aliases;  // other accepted names, e.g. "fp16" for none
  std::string help;                  // one line for --help and `binqctl techniques`
  bool needs_calibration = true;     // needs calibration inputs (the layer's Hessian)
  std::vector<OptionSchema> options;

  // The option with this key or alias (dashes and underscores alike, any
  // case), or nullptr.
  const OptionSchema* FindOption(absl::string_view key) const;
};

// The technique that evaluates the model as loaded (no calibration, no
// quantization); "fp16" is its alias.
inline constexpr char kNoQuantization[] = "none";

// Every technique, in display order (sorted by lower-case name).
const std::vector<TechniqueEntry>& TechniqueCatalog();

// The entry whose name or alias is `name`, any case; INVALID_ARGUMENT
// "technique: unknown 'x' (known: braq, CRB, …)" otherwise.
[[nodiscard]] absl::StatusOr<const TechniqueEntry*> FindTechniqueEntry(absl::string_view name);

// "braq, CRB, CRBOG, none, rtn, sign": the canonical names for help texts.
std::string TechniqueNamesForHelp();

// Every option key of any technique, each once, in sorted order, with the
// first schema that defines it (a key has one type across the catalog; its
// default, range or choices may differ per technique).
struct CatalogOption {
  const OptionSchema* schema;              // the first definition
  std::vector<std::string> techniques;     // canonical names that have it
};
const std::vector<std::pair<std::string, CatalogOption>>& AllCatalogOptions();

// Options that were JobSpec fields before technique_options existed (and are
// still accepted at the top level of old spec files and as deprecated proto
// fields): blocksize, salient_metric, percdamp, crb_variant, lam, corr_damp,
// wbits.
const std::vector<std::string>& LegacyOptionKeys();

// Adds each `legacy` value to `options` when the technique has that option
// and `options` does not set it already; drops it otherwise (before
// technique_options, every job carried all of them and a technique ignored
// those it did not use). An unknown technique keeps them all, for the
// technique's own error to be reported first.
void MergeLegacyOptions(absl::string_view technique, const OptionValues& legacy, OptionValues& options);

// The options one technique runs with, validated once: every option of its
// catalog row, canonical keys, the given value or the default.
class TechniqueOptions {
 public:
  TechniqueOptions() = default;  // resolved for no technique: every lookup fails

  // INVALID_ARGUMENT for an unknown technique, an option it does not have
  // ("foo: not an option of CRB (its options: blocksize, …)"), a value of
  // the wrong type or out of range ("corr_damp: must be in [0, 1), got 2").
  [[nodiscard]] static absl::StatusOr<TechniqueOptions> Resolve(absl::string_view technique,
                                                               const OptionValues& given);

  const std::string& technique() const { return technique_; }  // canonical name
  const OptionValues& values() const { return values_; }
  bool Has(absl::string_view key) const;

  // The value of one of the technique's options. INTERNAL when the key is not
  // in its catalog row or has another type (a broken invariant: the row and
  // the technique's code disagree).
  [[nodiscard]] absl::StatusOr<int64_t> Int(absl::string_view key) const;
  [[nodiscard]] absl::StatusOr<double> Double(absl::string_view key) const;
  [[nodiscard]] absl::StatusOr<bool> Bool(absl::string_view key) const;
  [[nodiscard]] absl::StatusOr<std::string> Enum(absl::string_view key) const;

 private:
  template <typename T>
  absl::StatusOr<T> Get(absl::string_view key, const char* type) const;

  std::string technique_;
  OptionValues values_;
};

}  // namespace binq

#endif  // BINQ_CORE_BASE_TECHNIQUE_CATALOG_H_
