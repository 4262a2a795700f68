#include "core/quant/own_options.h"

#include "absl/strings/str_cat.h"

namespace binq::core {

absl::StatusOr<TechniqueOptions> OwnOptions(const Technique& technique, const QuantOptions& options) {
  const std::string& resolved_for = options.technique_options.technique();
  if (resolved_for.empty()) return TechniqueOptions::Resolve(technique.name(), {});
  if (resolved_for != technique.name()) {
    return absl::InternalError(absl::StrCat(technique.name(), ": given the options of ", resolved_for,
                                            " (make them with MakeQuantOptions(\"", technique.name(),
                                            "\", …))"));
  }
  return options.technique_options;
}

}  // namespace binq::core
