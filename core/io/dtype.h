// Element types of tensors in checkpoint files, by their safetensors names.
#ifndef BINQ_CORE_IO_DTYPE_H_
#define BINQ_CORE_IO_DTYPE_H_

#include <cstddef>
#include <cstdint>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"

namespace binq::core {

enum class DType { kF64, kF32, kF16, kBF16, kI64, kI32, kI16, kI8, kU8, kBool };

// INVALID_ARGUMENT naming `name` when it is not a safetensors dtype we read.
[[nodiscard]] absl::StatusOr<DType> ParseDType(absl::string_view name);
const char* DTypeName(DType dtype);
size_t DTypeSize(DType dtype);

// IEEE half / bfloat16 bit patterns to and from float (round to nearest even).
float HalfToFloat(uint16_t bits);
float BFloat16ToFloat(uint16_t bits);
uint16_t FloatToHalf(float value);
uint16_t FloatToBFloat16(float value);

}  // namespace binq::core

#endif  // BINQ_CORE_IO_DTYPE_H_
