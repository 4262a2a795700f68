#include "core/io/dtype.h"

#include <cstring>

#include "absl/strings/str_cat.h"

namespace binq::core {
namespace {

uint32_t FloatBits(float f) {
  uint32_t u;
  std::memcpy(&u, &f, sizeof u);
  return u;
}

float BitsToFloat(uint32_t u) {
  float f;
  std::memcpy(&f, &u, sizeof f);
  return f;
}

}  // namespace

const char* DTypeName(DType dtype) {
  switch (dtype) {
    case DType::kF64:
      return "F64";
    case DType::kF32:
      return "F32";
    case DType::kF16:
      return "F16";
    case DType::kBF16:
      return "BF16";
    case DType::kI64:
      return "I64";
    case DType::kI32:
      return "I32";
    case DType::kI16:
      return "I16";
    case DType::kI8:
      return "I8";
    case DType::kU8:
      return "U8";
    case DType::kBool:
      return "BOOL";
  }
  return "?";  // not reached for a valid enumerator
}

size_t DTypeSize(DType dtype) {
  switch (dtype) {
    case DType::kF64:
    case DType::kI64:
      return 8;
    case DType::kF32:
    case DType::kI32:
      return 4;
    case DType::kF16:
    case DType::kBF16:
    case DType::kI16:
      return 2;
    case DType::kI8:
    case DType::kU8:
    case DType::kBool:
      return 1;
  }
  return 0;  // not reached for a valid enumerator
}

absl::StatusOr<DType> ParseDType(absl::string_view name) {
  for (const DType dtype : kAllDTypes) {
    if (name == DTypeName(dtype)) return dtype;
  }
  return absl::InvalidArgumentError(absl::StrCat(
      "unknown dtype '", name,
      "' (binq reads F64, F32, F16, BF16, I64, I32, I16, I8, U8, BOOL)"));
}

float HalfToFloat(uint16_t h) {
  const uint32_t sign = static_cast<uint32_t>(h & 0x8000u) << 16;
  uint32_t exponent = (h >> 10) & 0x1fu;
  uint32_t mantissa = h & 0x3ffu;
  if (exponent == 0x1f) {  // inf or NaN
    return BitsToFloat(sign | 0x7f800000u | (mantissa << 13));
  }
  if (exponent == 0) {
    if (mantissa == 0) return BitsToFloat(sign);  // ±0
    // Subnormal half (mantissa · 2^-24 = mantissa/2^10 · 2^-14) is a normal
    // float: shift the leading one up to the implicit bit, one binade down
    // from 2^-14 per shift.
    exponent = 127 - 14;
    do {
      mantissa <<= 1;
      --exponent;
    } while ((mantissa & 0x400u) == 0);
    return BitsToFloat(sign | (exponent << 23) | ((mantissa & 0x3ffu) << 13));
  }
  return BitsToFloat(sign | ((exponent + 127 - 15) << 23) | (mantissa << 13));
}

float BFloat16ToFloat(uint16_t bits) {
  return BitsToFloat(static_cast<uint32_t>(bits) << 16);
}

uint16_t FloatToBFloat16(float value) {
  const uint32_t u = FloatBits(value);
  if ((u & 0x7fffffffu) > 0x7f800000u) {
    // Truncating could clear every payload bit left and make an inf: set the
    // quiet bit instead.
    return static_cast<uint16_t>((u >> 16) | 0x40u);
  }
  // Adding 0x7fff (+1 when the kept lsb is odd) carries into bit 16 exactly
  // when the dropped half is above one half, or one half with an odd lsb.
  // Finite values past the largest bfloat16 carry into the exponent: inf.
  const uint32_t rounding = 0x7fffu + ((u >> 16) & 1u);
  return static_cast<uint16_t>((u + rounding) >> 16);
}

uint16_t FloatToHalf(float value) {
  const uint32_t u = FloatBits(value);
  const uint16_t sign = static_cast<uint16_t>((u >> 16) & 0x8000u);
  const uint32_t abs = u & 0x7fffffffu;
  if (abs > 0x7f800000u) {  // NaN: quiet, keep the top of the payload
    return static_cast<uint16_t>(sign | 0x7e00u | ((abs >> 13) & 0x3ffu));
  }
  // 65520 (0x477ff000) is the tie between 65504 (odd mantissa) and 2^16: it
  // and everything above round to inf.
  if (abs >= 0x477ff000u) return static_cast<uint16_t>(sign | 0x7c00u);
  if (abs >= 0x38800000u) {  // ≥ 2^-14: a normal half
    // Rebase the exponent (bias 127 → 15) and drop 13 mantissa bits with
    // round-to-nearest-even; a carry out of the mantissa bumps the exponent.
    const uint32_t rebased = abs - ((127u - 15u) << 23);
    const uint32_t rounded = rebased + 0xfffu + ((rebased >> 13) & 1u);
    return static_cast<uint16_t>(sign | (rounded >> 13));
  }
  // Subnormal half (units of 2^-24) or zero. Float exponent e gives values in
  // [2^(e-127), 2^(e-126)); below e = 102 (2^-25) everything rounds to zero,
  // float subnormals included.
  const uint32_t e = abs >> 23;
  if (e < 102) return sign;
  const uint32_t mantissa =
      (abs & 0x7fffffu) | 0x800000u;  // value = mantissa · 2^(e-150)
  const uint32_t shift = 126 - e;     // 14..24
  uint32_t q = mantissa >> shift;
  const uint32_t rem = mantissa & ((1u << shift) - 1);
  const uint32_t half = 1u << (shift - 1);
  if (rem > half || (rem == half && (q & 1u))) {
    ++q;  // may become 0x400, the least normal
  }
  return static_cast<uint16_t>(sign | q);
}

}  // namespace binq::core
