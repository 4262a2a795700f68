#include "core/quant/technique.h"

#include <algorithm>

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "core/base/technique_catalog.h"

namespace binq::core {

std::string Technique::description() const {
  const auto entry = FindTechniqueEntry(name());
  return entry.ok() ? (*entry)->help : "(no catalog row)";
}

bool Technique::needs_hessian() const {
  const auto entry = FindTechniqueEntry(name());
  return !entry.ok() || (*entry)->needs_calibration;
}

TechniqueRegistry& TechniqueRegistry::Global() {
  static TechniqueRegistry* const kRegistry = new TechniqueRegistry();
  return *kRegistry;
}

bool TechniqueRegistry::Register(std::unique_ptr<Technique> technique) {
  const std::string key = absl::AsciiStrToLower(technique->name());
  return by_lower_name_.emplace(key, std::move(technique)).second;
}

absl::StatusOr<const Technique*> TechniqueRegistry::Find(absl::string_view name) const {
  auto it = by_lower_name_.find(absl::AsciiStrToLower(name));
  if (it == by_lower_name_.end()) {  // an alias of the catalog ("fp16" for none)?
    if (const auto entry = FindTechniqueEntry(name); entry.ok()) {
      it = by_lower_name_.find(absl::AsciiStrToLower((*entry)->name));
    }
  }
  if (it == by_lower_name_.end()) {
    return absl::InvalidArgumentError(
        absl::StrCat("technique: unknown '", name, "' (known: ", NamesForHelp(), ")"));
  }
  return it->second.get();
}

std::vector<const Technique*> TechniqueRegistry::All() const {
  std::vector<const Technique*> all;
  for (const auto& [key, technique] : by_lower_name_) all.push_back(technique.get());
  return all;
}

std::string TechniqueRegistry::NamesForHelp() const {
  std::vector<std::string> names;
  for (const Technique* t : All()) names.push_back(t->name());
  return absl::StrJoin(names, ", ");
}

}  // namespace binq::core
