// OwnOptions: the options a technique reads inside Quantize. For a job or
// `binq-run layer` they were resolved from the technique's catalog row by
// MakeQuantOptions; for a QuantOptions built by hand (tests, benchmarks) they
// are the row's defaults, so `QuantOptions{}` works for every technique.
#ifndef BINQ_CORE_QUANT_OWN_OPTIONS_H_
#define BINQ_CORE_QUANT_OWN_OPTIONS_H_

#include "absl/status/statusor.h"
#include "core/base/technique_catalog.h"
#include "core/quant/options.h"
#include "core/quant/technique.h"

namespace binq::core {

// options.technique_options when resolved for `technique`; the catalog
// defaults of `technique` when unresolved; INTERNAL when resolved for another
// technique (a caller passed one technique's options to another).
[[nodiscard]] absl::StatusOr<TechniqueOptions> OwnOptions(const Technique& technique,
                                                         const QuantOptions& options);

}  // namespace binq::core

#endif  // BINQ_CORE_QUANT_OWN_OPTIONS_H_
