// Typed command-line flags generated from the technique catalog, for
// `binq-run MODEL DATASET TECHNIQUE`, `binq-run layer|compare` and
// `binqctl submit`: one flag per option key of any technique (--corr_damp and
// --corr-damp alike, and every alias: --order2_group, --cgb), bool options as
// presence flags (--sym; --sym=false also works). Which technique an option
// belongs to, and its range, is checked once later (TechniqueOptions::Resolve);
// here a value is only parsed by its type. Header-only CLI11 plus the catalog:
// no LibTorch, nothing of binq's server or worker.
#ifndef BINQ_CORE_BASE_TECHNIQUE_FLAGS_H_
#define BINQ_CORE_BASE_TECHNIQUE_FLAGS_H_

#include <map>
#include <memory>
#include <string>

#include <CLI/CLI.hpp>

#include "absl/status/statusor.h"
#include "core/base/option_schema.h"

namespace binq {

class TechniqueFlags {
 public:
  // Adds the flags to `app` under `group` (the --help section). Call once per
  // app; the object must outlive parsing.
  void AddTo(CLI::App* app, const std::string& group = "Technique options");

  // The options given on the command line, by canonical key, typed by the
  // catalog. INVALID_ARGUMENT naming the option for text that is not of its
  // type ("lam: must be a number, got 'x'").
  [[nodiscard]] absl::StatusOr<OptionValues> Given() const;

 private:
  struct Flag {
    OptionType type;
    std::string text;   // non-bool options
    bool on = false;    // bool options
    CLI::Option* option = nullptr;
  };
  std::map<std::string, std::unique_ptr<Flag>> flags_;  // by canonical key
};

// "(braq, CRB, CRBOG: default hessian, hessian | magnitude)": which
// techniques have the key, with their defaults and ranges.
std::string CatalogOptionSummary(const std::string& key);

}  // namespace binq

#endif  // BINQ_CORE_BASE_TECHNIQUE_FLAGS_H_
