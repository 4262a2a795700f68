// binq's DType and LibTorch's at::ScalarType, each way.
//
// Pure functions: thread-safe.
#ifndef BINQ_CORE_TORCH_DTYPE_TORCH_H_
#define BINQ_CORE_TORCH_DTYPE_TORCH_H_

#include <c10/core/ScalarType.h>

#include "absl/status/statusor.h"
#include "core/io/dtype.h"

namespace binq::core {

// Every DType has a ScalarType (F16 → at::kHalf, BF16 → at::kBFloat16, ...).
at::ScalarType ToScalarType(DType dtype);

// INVALID_ARGUMENT naming the type for a ScalarType no DType matches
// (complex, quantized, float8, unsigned 16/32/64-bit, ...).
[[nodiscard]] absl::StatusOr<DType> FromScalarType(at::ScalarType type);

}  // namespace binq::core

#endif  // BINQ_CORE_TORCH_DTYPE_TORCH_H_
