#include "core/io/dtype.h"

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <cstring>
#include <limits>
#include <vector>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/testing/status_matchers.h"

namespace binq::core {
namespace {

using ::binq::testing::IsOkAndHolds;
using ::binq::testing::StatusIs;
using ::testing::Eq;
using ::testing::HasSubstr;

uint32_t Bits(float f) {
  uint32_t u;
  std::memcpy(&u, &f, sizeof u);
  return u;
}

float FromBits(uint32_t u) {
  float f;
  std::memcpy(&f, &u, sizeof f);
  return f;
}

TEST(DTypeTest, NamesAndSizesMatchTheSafetensorsFormat) {
  struct Row {
    DType dtype;
    const char* name;
    size_t size;
  };
  const Row rows[] = {{DType::kF64, "F64", 8}, {DType::kF32, "F32", 4},
                      {DType::kF16, "F16", 2}, {DType::kBF16, "BF16", 2},
                      {DType::kI64, "I64", 8}, {DType::kI32, "I32", 4},
                      {DType::kI16, "I16", 2}, {DType::kI8, "I8", 1},
                      {DType::kU8, "U8", 1},   {DType::kBool, "BOOL", 1}};
  ASSERT_EQ(std::size(rows), std::size(kAllDTypes));
  for (const Row& row : rows) {
    EXPECT_STREQ(DTypeName(row.dtype), row.name);
    EXPECT_EQ(DTypeSize(row.dtype), row.size) << row.name;
    EXPECT_THAT(ParseDType(row.name), IsOkAndHolds(Eq(row.dtype))) << row.name;
  }
}

TEST(DTypeTest, ParseRejectsUnknownNamesAsInvalidArgument) {
  EXPECT_THAT(ParseDType("f32"),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("'f32'")));
  EXPECT_THAT(ParseDType("F8_E4M3"),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       HasSubstr("unknown dtype 'F8_E4M3'")));
  EXPECT_THAT(ParseDType("U32"),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("'U32'")));
  EXPECT_THAT(ParseDType(""),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("''")));
}

TEST(HalfTest, KnownBitPatternsToFloat) {
  EXPECT_EQ(Bits(HalfToFloat(0x0000)), Bits(0.0f));
  EXPECT_EQ(Bits(HalfToFloat(0x8000)), Bits(-0.0f));
  EXPECT_EQ(HalfToFloat(0x3c00), 1.0f);
  EXPECT_EQ(HalfToFloat(0xbc00), -1.0f);
  EXPECT_EQ(HalfToFloat(0x4000), 2.0f);
  EXPECT_EQ(HalfToFloat(0x3555), 0.333251953125f);
  EXPECT_EQ(HalfToFloat(0x7bff), 65504.0f);               // largest finite
  EXPECT_EQ(HalfToFloat(0x0400), std::ldexp(1.0f, -14));  // least normal
  EXPECT_EQ(HalfToFloat(0x0001), std::ldexp(1.0f, -24));  // least subnormal
  EXPECT_EQ(HalfToFloat(0x03ff),
            std::ldexp(1023.0f, -24));  // largest subnormal
  EXPECT_EQ(HalfToFloat(0x8001), -std::ldexp(1.0f, -24));
  EXPECT_EQ(HalfToFloat(0x7c00), std::numeric_limits<float>::infinity());
  EXPECT_EQ(HalfToFloat(0xfc00), -std::numeric_limits<float>::infinity());
  EXPECT_TRUE(std::isnan(HalfToFloat(0x7e00)));
  EXPECT_TRUE(std::isnan(HalfToFloat(0x7c01)));  // signalling NaN stays a NaN
  EXPECT_TRUE(std::signbit(HalfToFloat(0xfe00)));
}

TEST(HalfTest, KnownFloatsToBitPatterns) {
  EXPECT_EQ(FloatToHalf(0.0f), 0x0000);
  EXPECT_EQ(FloatToHalf(-0.0f), 0x8000);
  EXPECT_EQ(FloatToHalf(1.0f), 0x3c00);
  EXPECT_EQ(FloatToHalf(-2.0f), 0xc000);
  EXPECT_EQ(FloatToHalf(65504.0f), 0x7bff);
  EXPECT_EQ(FloatToHalf(std::ldexp(1.0f, -14)), 0x0400);
  EXPECT_EQ(FloatToHalf(std::ldexp(1.0f, -24)), 0x0001);
  EXPECT_EQ(FloatToHalf(std::ldexp(1023.0f, -24)), 0x03ff);
  EXPECT_EQ(FloatToHalf(std::numeric_limits<float>::infinity()), 0x7c00);
  EXPECT_EQ(FloatToHalf(-std::numeric_limits<float>::infinity()), 0xfc00);
  const uint16_t nan = FloatToHalf(std::numeric_limits<float>::quiet_NaN());
  EXPECT_EQ(nan & 0x7c00, 0x7c00);
  EXPECT_NE(nan & 0x03ff, 0);
  EXPECT_EQ(FloatToHalf(-std::numeric_limits<float>::quiet_NaN()) & 0x8000,
            0x8000);
  // A signalling NaN whose payload lies only in the dropped bits stays a NaN.
  EXPECT_EQ(FloatToHalf(FromBits(0x7f800001)), 0x7e00);
}

TEST(HalfTest, OverflowAndUnderflow) {
  // 65520 is the tie between 65504 (odd mantissa) and 65536: even wins, inf.
  EXPECT_EQ(FloatToHalf(65520.0f), 0x7c00);
  EXPECT_EQ(FloatToHalf(std::nextafter(65520.0f, 0.0f)), 0x7bff);
  EXPECT_EQ(FloatToHalf(1e6f), 0x7c00);
  EXPECT_EQ(FloatToHalf(-1e6f), 0xfc00);
  EXPECT_EQ(FloatToHalf(std::numeric_limits<float>::max()), 0x7c00);
  // 2^-25 is the tie between 0 and the least subnormal: even wins, 0.
  EXPECT_EQ(FloatToHalf(std::ldexp(1.0f, -25)), 0x0000);
  EXPECT_EQ(FloatToHalf(-std::ldexp(1.0f, -25)), 0x8000);
  EXPECT_EQ(FloatToHalf(std::nextafter(std::ldexp(1.0f, -25), 1.0f)), 0x0001);
  EXPECT_EQ(FloatToHalf(1e-30f), 0x0000);
  EXPECT_EQ(FloatToHalf(std::numeric_limits<float>::denorm_min()), 0x0000);
  EXPECT_EQ(FloatToHalf(-std::numeric_limits<float>::denorm_min()), 0x8000);
}

TEST(HalfTest, TiesRoundToEven) {
  // Normal range: 1 + 2^-11 lies halfway between 1 (even) and 1 + 2^-10.
  EXPECT_EQ(FloatToHalf(1.0f + std::ldexp(1.0f, -11)), 0x3c00);
  EXPECT_EQ(FloatToHalf(std::nextafter(1.0f + std::ldexp(1.0f, -11), 2.0f)),
            0x3c01);
  // 1 + 3·2^-11 lies between 0x3c01 (odd) and 0x3c02 (even).
  EXPECT_EQ(FloatToHalf(1.0f + 3 * std::ldexp(1.0f, -11)), 0x3c02);
  // Subnormal range, in units of 2^-24: 1.5 → 2, 2.5 → 2, 3 → 3.
  EXPECT_EQ(FloatToHalf(std::ldexp(1.5f, -24)), 0x0002);
  EXPECT_EQ(FloatToHalf(std::ldexp(2.5f, -24)), 0x0002);
  EXPECT_EQ(FloatToHalf(std::ldexp(3.0f, -24)), 0x0003);
  // Halfway between the largest subnormal (odd) and the least normal: normal.
  EXPECT_EQ(FloatToHalf(std::ldexp(1023.5f, -24)), 0x0400);
  // A carry out of the mantissa bumps the exponent: 2047.5·2^-10 is halfway
  // between 0x3fff (odd) and 2.0.
  EXPECT_EQ(FloatToHalf(2047.5f / 1024.0f), 0x4000);
}

TEST(HalfTest, EveryHalfSurvivesARoundTrip) {
  for (uint32_t h = 0; h <= 0xffff; ++h) {
    const float f = HalfToFloat(static_cast<uint16_t>(h));
    if ((h & 0x7c00) == 0x7c00 && (h & 0x03ff) != 0) {
      EXPECT_TRUE(std::isnan(f)) << std::hex << h;
      continue;
    }
    ASSERT_EQ(FloatToHalf(f), h) << std::hex << h;
  }
}

// The nearest half, ties to the even bit pattern, by search over a table of
// every finite non-negative half (whose exact values are checked above).
uint16_t ReferenceHalf(float f) {
  static const std::vector<double>* const kValues = [] {
    auto* values = new std::vector<double>();
    for (uint32_t h = 0; h <= 0x7bff; ++h) {
      values->push_back(HalfToFloat(static_cast<uint16_t>(h)));
    }
    values->push_back(65536.0);  // 0x7c00 stands for 2^16 when rounding up
    return values;
  }();
  const uint16_t sign = std::signbit(f) ? 0x8000 : 0;
  const double a = std::fabs(static_cast<double>(f));
  if (a >= 65520.0) return sign | 0x7c00;  // at or past the tie with 2^16
  const auto above = std::lower_bound(kValues->begin(), kValues->end(), a);
  const uint16_t hi = static_cast<uint16_t>(above - kValues->begin());
  if (*above == a || hi == 0) return sign | hi;
  const uint16_t lo = hi - 1;
  const double d_lo = a - (*kValues)[lo];
  const double d_hi = (*kValues)[hi] - a;  // exact: neighbours of similar size
  if (d_lo < d_hi) return sign | lo;
  if (d_hi < d_lo) return sign | hi;
  return sign | ((lo & 1) == 0 ? lo : hi);
}

TEST(HalfTest, MidpointsAndTheirNeighboursMatchAReference) {
  // Every midpoint between adjacent halves is a float: check it and the floats
  // either side of it, of both signs.
  for (uint32_t h = 0; h < 0x7bff; ++h) {
    const double mid =
        (static_cast<double>(HalfToFloat(h)) + HalfToFloat(h + 1)) / 2;
    const float m = static_cast<float>(mid);
    ASSERT_EQ(static_cast<double>(m), mid);
    for (const float x :
         {m, std::nextafter(m, 0.0f), std::nextafter(m, 1e9f)}) {
      ASSERT_EQ(FloatToHalf(x), ReferenceHalf(x)) << x;
      ASSERT_EQ(FloatToHalf(-x), ReferenceHalf(-x)) << -x;
    }
  }
  // Floats spread over the whole range, from float subnormals up to overflow.
  for (uint32_t u = 0; u < 0x7f800000u; u += 0x1357u) {
    const float x = FromBits(u);
    ASSERT_EQ(FloatToHalf(x), ReferenceHalf(x)) << std::hex << u;
  }
}

TEST(BFloat16Test, KnownBitPatterns) {
  EXPECT_EQ(Bits(BFloat16ToFloat(0x0000)), Bits(0.0f));
  EXPECT_EQ(Bits(BFloat16ToFloat(0x8000)), Bits(-0.0f));
  EXPECT_EQ(BFloat16ToFloat(0x3f80), 1.0f);
  EXPECT_EQ(BFloat16ToFloat(0xc000), -2.0f);
  EXPECT_EQ(BFloat16ToFloat(0x7f7f), FromBits(0x7f7f0000));  // largest finite
  EXPECT_EQ(BFloat16ToFloat(0x0001), FromBits(0x00010000));  // least subnormal
  EXPECT_EQ(BFloat16ToFloat(0x7f80), std::numeric_limits<float>::infinity());
  EXPECT_TRUE(std::isnan(BFloat16ToFloat(0x7fc0)));

  EXPECT_EQ(FloatToBFloat16(0.0f), 0x0000);
  EXPECT_EQ(FloatToBFloat16(-0.0f), 0x8000);
  EXPECT_EQ(FloatToBFloat16(1.0f), 0x3f80);
  EXPECT_EQ(FloatToBFloat16(FromBits(0x7f7f0000)), 0x7f7f);
  EXPECT_EQ(FloatToBFloat16(FromBits(0x00010000)), 0x0001);
  EXPECT_EQ(FloatToBFloat16(-std::numeric_limits<float>::infinity()), 0xff80);
  EXPECT_EQ(FloatToBFloat16(std::numeric_limits<float>::quiet_NaN()) & 0x7fc0,
            0x7fc0);
  // A NaN whose payload is only in the dropped bits must not become inf.
  EXPECT_EQ(FloatToBFloat16(FromBits(0x7f800001)), 0x7fc0);
  EXPECT_EQ(FloatToBFloat16(FromBits(0xff800001)), 0xffc0);
}

TEST(BFloat16Test, TiesRoundToEvenAndOverflowToInf) {
  EXPECT_EQ(FloatToBFloat16(FromBits(0x3f808000)), 0x3f80);  // tie, even below
  EXPECT_EQ(FloatToBFloat16(FromBits(0x3f818000)), 0x3f82);  // tie, even above
  EXPECT_EQ(FloatToBFloat16(FromBits(0x3f808001)),
            0x3f81);  // just above the tie
  EXPECT_EQ(FloatToBFloat16(FromBits(0x3f817fff)),
            0x3f81);  // just below the tie
  EXPECT_EQ(FloatToBFloat16(FromBits(0x00008000)), 0x0000);  // subnormal tie
  EXPECT_EQ(FloatToBFloat16(FromBits(0x00018000)), 0x0002);
  // Past the largest bfloat16, halfway to 2^128 and beyond: inf.
  EXPECT_EQ(FloatToBFloat16(FromBits(0x7f7f8000)), 0x7f80);
  EXPECT_EQ(FloatToBFloat16(std::numeric_limits<float>::max()), 0x7f80);
  EXPECT_EQ(FloatToBFloat16(FromBits(0x7f7f7fff)), 0x7f7f);
}

// The nearer of the two bfloat16 values around `f` (bit patterns lo and
// lo + 1, the latter standing for 2^128 past the largest finite), ties to even.
uint16_t ReferenceBFloat16(float f) {
  const uint32_t u = Bits(f);
  const uint16_t lo = static_cast<uint16_t>(u >> 16);
  const uint16_t hi = lo + 1;
  const double a = std::fabs(static_cast<double>(f));
  const double v_lo = std::fabs(static_cast<double>(BFloat16ToFloat(lo)));
  const double v_hi = (hi & 0x7fff) == 0x7f80
                          ? std::ldexp(1.0, 128)
                          : std::fabs(static_cast<double>(BFloat16ToFloat(hi)));
  if (a - v_lo < v_hi - a) return lo;
  if (v_hi - a < a - v_lo) return hi;
  return (lo & 1) == 0 ? lo : hi;
}

TEST(BFloat16Test, SpreadOfFloatsMatchesAReference) {
  for (uint32_t u = 0; u < 0x7f800000u; u += 0x1357u) {
    for (const uint32_t bits :
         {u, u | 0x80000000u, (u & 0xffff0000u) | 0x8000u}) {
      const float x = FromBits(bits);
      ASSERT_EQ(FloatToBFloat16(x), ReferenceBFloat16(x)) << std::hex << bits;
    }
  }
}

TEST(BFloat16Test, EveryBFloat16SurvivesARoundTrip) {
  for (uint32_t b = 0; b <= 0xffff; ++b) {
    const float f = BFloat16ToFloat(static_cast<uint16_t>(b));
    if ((b & 0x7f80) == 0x7f80 && (b & 0x007f) != 0) {
      EXPECT_TRUE(std::isnan(f)) << std::hex << b;
      continue;
    }
    ASSERT_EQ(FloatToBFloat16(f), b) << std::hex << b;
  }
}

}  // namespace
}  // namespace binq::core
