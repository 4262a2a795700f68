// Element types of tensors in checkpoint files, by their safetensors names,
// and software conversions between float and the 16-bit float formats.
//
// Everything here is a pure function of its arguments: thread-safe.
#ifndef BINQ_CORE_IO_DTYPE_H_
#define BINQ_CORE_IO_DTYPE_H_

#include <cstddef>
#include <cstdint>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"

namespace binq::core {

// The safetensors element types binq reads and writes. Others that the format
// allows (U16, U32, U64, F8_*) are rejected by ParseDType.
enum class DType { kF64, kF32, kF16, kBF16, kI64, kI32, kI16, kI8, kU8, kBool };

// Every DType, in declaration order (for tables and tests).
inline constexpr DType kAllDTypes[] = {
    DType::kF64, DType::kF32, DType::kF16, DType::kBF16, DType::kI64,
    DType::kI32, DType::kI16, DType::kI8,  DType::kU8,   DType::kBool};

// The safetensors name ("F64", "F32", "F16", "BF16", "I64", "I32", "I16", "I8",
// "U8", "BOOL"). Names are case-sensitive, as the format defines them.
const char* DTypeName(DType dtype);

// Bytes per element (BOOL is one byte per element).
size_t DTypeSize(DType dtype);

// INVALID_ARGUMENT naming `name` (and the accepted names) when it is not one
// of the names above.
[[nodiscard]] absl::StatusOr<DType> ParseDType(absl::string_view name);

// IEEE 754 binary16 ("half") and bfloat16 bit patterns to float. Exact: every
// value of both formats is a float; NaN stays NaN with its sign and the top of
// its payload.
float HalfToFloat(uint16_t bits);
float BFloat16ToFloat(uint16_t bits);

// float to binary16 / bfloat16 bits, rounding to nearest with ties to even,
// done with integer arithmetic (independent of the FPU rounding mode).
// Overflow gives ±inf, underflow gives ±0 or a subnormal, NaN gives a quiet
// NaN of the same sign.
uint16_t FloatToHalf(float value);
uint16_t FloatToBFloat16(float value);

}  // namespace binq::core

#endif  // BINQ_CORE_IO_DTYPE_H_
