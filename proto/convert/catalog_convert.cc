#include "proto/convert/catalog_convert.h"

#include <cmath>

#include "proto/convert/option_value_convert.h"

namespace binq::api {
namespace {

v1::TechniqueOption::Type TypeToProto(OptionType type) {
  switch (type) {
    case OptionType::kInt: return v1::TechniqueOption::INT;
    case OptionType::kDouble: return v1::TechniqueOption::DOUBLE;
    case OptionType::kBool: return v1::TechniqueOption::BOOL;
    case OptionType::kEnum: return v1::TechniqueOption::ENUM;
  }
  return v1::TechniqueOption::TYPE_UNSPECIFIED;
}

}  // namespace

v1::TechniqueOption OptionSchemaToProto(const OptionSchema& s) {
  v1::TechniqueOption p;
  p.set_key(s.key);
  for (const std::string& a : s.aliases) p.add_aliases(a);
  p.set_type(TypeToProto(s.type));
  p.set_help(s.help);
  *p.mutable_default_value() = OptionToProto(s.default_value);
  p.set_range(s.RangeText());
  for (const std::string& c : s.choices) p.add_choices(c);
  if (std::isfinite(s.min)) p.set_min(s.min);
  if (std::isfinite(s.max)) p.set_max(s.max);
  p.set_min_open(s.min_open);
  p.set_max_open(s.max_open);
  return p;
}

v1::Technique TechniqueToProto(const TechniqueEntry& e) {
  v1::Technique p;
  p.set_name(e.name);
  for (const std::string& a : e.aliases) p.add_aliases(a);
  p.set_help(e.help);
  p.set_needs_calibration(e.needs_calibration);
  for (const OptionSchema& o : e.options) *p.add_options() = OptionSchemaToProto(o);
  return p;
}

v1::ListTechniquesResponse CatalogToProto() {
  v1::ListTechniquesResponse response;
  for (const TechniqueEntry& e : TechniqueCatalog()) *response.add_techniques() = TechniqueToProto(e);
  return response;
}

}  // namespace binq::api
