#include "core/quant/options.h"

#include <cmath>

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"

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

absl::Status ValidateOptions(const QuantOptions& o) {
  if (o.blocksize < 1) {
    return absl::InvalidArgumentError(absl::StrCat("blocksize: must be >= 1, got ", o.blocksize));
  }
  if (!(o.percdamp > 0) || !std::isfinite(o.percdamp)) {
    return absl::InvalidArgumentError(absl::StrCat("percdamp: must be a positive number, got ", o.percdamp));
  }
  if (o.up_lim < 2) {
    return absl::InvalidArgumentError(absl::StrCat("up_lim: must be >= 2, got ", o.up_lim));
  }
  if (!(o.lam >= 0) || !std::isfinite(o.lam)) {
    return absl::InvalidArgumentError(absl::StrCat("lam: must be >= 0, got ", o.lam));
  }
  if (!(o.corr_damp >= 0 && o.corr_damp <= 1)) {
    return absl::InvalidArgumentError(absl::StrCat("corr_damp: must be in [0, 1], got ", o.corr_damp));
  }
  if (o.wbits < 1 || o.wbits > 8) {
    return absl::InvalidArgumentError(absl::StrCat("wbits: must be in 1..8, got ", o.wbits));
  }
  if (o.max_damping_retries < 0) {
    return absl::InvalidArgumentError("max_damping_retries: must be >= 0");
  }
  return absl::OkStatus();
}

}  // namespace binq::core
