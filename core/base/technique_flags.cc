#include "core/base/technique_flags.h"

#include <algorithm>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_replace.h"
#include "core/base/technique_catalog.h"

namespace binq {
namespace {

// "--corr_damp,--corr-damp" plus each alias the same way.
std::string FlagNames(const OptionSchema& s) {
  std::vector<std::string> keys = {s.key};
  keys.insert(keys.end(), s.aliases.begin(), s.aliases.end());
  std::vector<std::string> names;
  for (const std::string& k : keys) {
    names.push_back("--" + k);
    const std::string dashed = absl::StrReplaceAll(k, {{"_", "-"}});
    if (dashed != k) names.push_back("--" + dashed);
  }
  return absl::StrJoin(names, ",");
}

}  // namespace

std::string CatalogOptionSummary(const std::string& key) {
  // Techniques grouped by identical default and range, in catalog order.
  std::vector<std::pair<std::string, std::vector<std::string>>> groups;
  for (const TechniqueEntry& e : TechniqueCatalog()) {
    const OptionSchema* s = e.FindOption(key);
    if (s == nullptr || s->key != key) continue;
    const std::string what = absl::StrCat("default ", OptionValueText(s->default_value), ", ", s->RangeText());
    auto it = std::find_if(groups.begin(), groups.end(), [&](const auto& g) { return g.first == what; });
    if (it == groups.end()) {
      groups.push_back({what, {e.name}});
    } else {
      it->second.push_back(e.name);
    }
  }
  std::vector<std::string> parts;
  for (const auto& [what, names] : groups) parts.push_back(absl::StrCat(absl::StrJoin(names, ", "), ": ", what));
  return absl::StrCat("(", absl::StrJoin(parts, "; "), ")");
}

void TechniqueFlags::AddTo(CLI::App* app, const std::string& group) {
  for (const auto& [key, option] : AllCatalogOptions()) {
    const OptionSchema& s = *option.schema;
    auto flag = std::make_unique<Flag>();
    flag->type = s.type;
    const std::string help = absl::StrCat(s.help, " ", CatalogOptionSummary(key));
    if (s.type == OptionType::kBool) {
      flag->option = app->add_flag(FlagNames(s), flag->on, help);
    } else {
      flag->option = app->add_option(FlagNames(s), flag->text, help);
    }
    flag->option->group(group);
    flags_.emplace(key, std::move(flag));
  }
}

absl::StatusOr<OptionValues> TechniqueFlags::Given() const {
  OptionValues given;
  for (const auto& [key, flag] : flags_) {
    if (flag->option->count() == 0) continue;
    if (flag->type == OptionType::kBool) {
      given[key] = flag->on;
      continue;
    }
    auto value = ParseOptionAs(flag->type, key, flag->text);
    if (!value.ok()) return value.status();
    given[key] = *std::move(value);
  }
  return given;
}

}  // namespace binq
