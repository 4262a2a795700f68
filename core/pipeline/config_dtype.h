// The de-quantized checkpoint's config.json must name the dtype its weights
// were written in: transformers loads a model in the config's dtype, so a
// bf16 checkpoint run (and written) with --dtype float16 would otherwise be
// loaded back as bf16.
#ifndef BINQ_CORE_PIPELINE_CONFIG_DTYPE_H_
#define BINQ_CORE_PIPELINE_CONFIG_DTYPE_H_

#include <string>

#include <ATen/ATen.h>

#include "absl/status/status.h"
#include "absl/status/statusor.h"

namespace binq::core {

// "float16", "bfloat16", "float32" as config.json spells them; INVALID_ARGUMENT
// for another dtype.
[[nodiscard]] absl::StatusOr<std::string> ConfigDTypeName(at::ScalarType dtype);

// Rewrites `config_path` with "dtype" (transformers ≥ 5) set to `dtype`, and
// "torch_dtype" too where the file has that older key; every other field
// and the key order stay. NOT_FOUND / UNAVAILABLE for a missing or unreadable
// file, INVALID_ARGUMENT when it is not a JSON object.
[[nodiscard]] absl::Status StampConfigDType(const std::string& config_path, at::ScalarType dtype);

}  // namespace binq::core

#endif  // BINQ_CORE_PIPELINE_CONFIG_DTYPE_H_
