#include "core/quant/options.h"

#include <cmath>
#include <variant>

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "core/base/status_macros.h"

namespace binq::core {

absl::StatusOr<SalientMetric> ParseSalientMetric(absl::string_view name) {
  const std::string lower = absl::AsciiStrToLower(name);
  if (lower == "hessian") return SalientMetric::kHessian;
  if (lower == "magnitude") return SalientMetric::kMagnitude;
  return absl::InvalidArgumentError(
      absl::StrCat("salient_metric: unknown '", name, "' (expected hessian or magnitude)"));
}

absl::StatusOr<CrbVariant> ParseCrbVariant(absl::string_view name) {
  const std::string lower = absl::AsciiStrToLower(name);
  if (lower == "current") return CrbVariant::kCurrent;
  if (lower == "paper2025") return CrbVariant::kPaper2025;
  return absl::InvalidArgumentError(
      absl::StrCat("crb_variant: unknown '", name, "' (expected current or paper2025)"));
}

absl::StatusOr<Backend> ParseBackend(absl::string_view name) {
  const std::string lower = absl::AsciiStrToLower(name);
  if (lower == "auto") return Backend::kAuto;
  if (lower == "aten") return Backend::kAten;
  if (lower == "kernels") return Backend::kKernels;
  return absl::InvalidArgumentError(
      absl::StrCat("backend: unknown '", name, "' (expected auto, aten or kernels)"));
}

const char* SalientMetricName(SalientMetric metric) {
  return metric == SalientMetric::kHessian ? "hessian" : "magnitude";
}
const char* CrbVariantName(CrbVariant variant) {
  return variant == CrbVariant::kCurrent ? "current" : "paper2025";
}
const char* BackendName(Backend backend) {
  switch (backend) {
    case Backend::kAuto: return "auto";
    case Backend::kAten: return "aten";
    case Backend::kKernels: return "kernels";
  }
  return "?";
}

absl::StatusOr<QuantOptions> MakeQuantOptions(absl::string_view technique, const OptionValues& given) {
  BINQ_ASSIGN_OR_RETURN(TechniqueOptions resolved, TechniqueOptions::Resolve(technique, given));
  // Resolve gives each option its schema's type, so std::get cannot fail here.
  const OptionValues& v = resolved.values();
  QuantOptions q;
  if (auto it = v.find("blocksize"); it != v.end()) q.blocksize = std::get<int64_t>(it->second);
  if (auto it = v.find("percdamp"); it != v.end()) q.percdamp = std::get<double>(it->second);
  if (auto it = v.find("salient_metric"); it != v.end()) {
    if (auto m = ParseSalientMetric(std::get<std::string>(it->second)); m.ok()) q.salient_metric = *m;
  }
  if (auto it = v.find("crb_variant"); it != v.end()) {
    BINQ_ASSIGN_OR_RETURN(q.crb_variant, ParseCrbVariant(std::get<std::string>(it->second)));
  }
  if (auto it = v.find("lam"); it != v.end()) q.lam = std::get<double>(it->second);
  if (auto it = v.find("corr_damp"); it != v.end()) q.corr_damp = std::get<double>(it->second);
  if (auto it = v.find("wbits"); it != v.end()) q.wbits = static_cast<int>(std::get<int64_t>(it->second));
  q.technique_options = std::move(resolved);
  return q;
}

absl::Status ValidateOptions(const QuantOptions& o, absl::string_view technique) {
  BINQ_ASSIGN_OR_RETURN(const TechniqueEntry* entry, FindTechniqueEntry(technique));
  // The direct fields, each against the row's schema of the same key.
  const std::pair<const char*, OptionValue> fields[] = {
      {"blocksize", OptionValue(o.blocksize)},
      {"percdamp", OptionValue(o.percdamp)},
      {"lam", OptionValue(o.lam)},
      {"corr_damp", OptionValue(o.corr_damp)},
      {"wbits", OptionValue(static_cast<int64_t>(o.wbits))},
  };
  for (const auto& [key, value] : fields) {
    if (const OptionSchema* schema = entry->FindOption(key)) {
      BINQ_RETURN_IF_ERROR(CheckValue(*schema, value).status());
    }
  }
  if (o.up_lim < 2) {
    return absl::InvalidArgumentError(absl::StrCat("up_lim: must be ≥ 2, got ", o.up_lim));
  }
  if (o.max_damping_retries < 0) {
    return absl::InvalidArgumentError(
        absl::StrCat("max_damping_retries: must be ≥ 0, got ", o.max_damping_retries));
  }
  return absl::OkStatus();
}

}  // namespace binq::core
