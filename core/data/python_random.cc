#include "core/data/python_random.h"

#include <algorithm>
#include <vector>

#include "absl/strings/str_cat.h"

namespace binq::core {
namespace {

constexpr int kM = 397;
constexpr uint32_t kMatrixA = 0x9908b0dfU;
constexpr uint32_t kUpperMask = 0x80000000U;
constexpr uint32_t kLowerMask = 0x7fffffffU;

int BitLength(uint64_t n) {
  int bits = 0;
  while (n != 0) {
    ++bits;
    n >>= 1;
  }
  return bits;
}

}  // namespace

void PythonRandom::InitGenrand(uint32_t s) {
  mt_[0] = s;
  for (int i = 1; i < kN; ++i) {
    mt_[i] = 1812433253U * (mt_[i - 1] ^ (mt_[i - 1] >> 30)) + static_cast<uint32_t>(i);
  }
  index_ = kN;
}

void PythonRandom::Seed(uint64_t seed) {
  // Key words of |s|, least significant first; at least one word.
  std::vector<uint32_t> key;
  do {
    key.push_back(static_cast<uint32_t>(seed & 0xffffffffU));
    seed >>= 32;
  } while (seed != 0);

  // init_by_array (Matsumoto & Nishimura 2002), as CPython's _randommodule.c.
  InitGenrand(19650218U);
  const int key_length = static_cast<int>(key.size());
  int i = 1;
  int j = 0;
  for (int k = std::max(kN, key_length); k > 0; --k) {
    mt_[i] = (mt_[i] ^ ((mt_[i - 1] ^ (mt_[i - 1] >> 30)) * 1664525U)) + key[j] +
             static_cast<uint32_t>(j);
    ++i;
    ++j;
    if (i >= kN) {
      mt_[0] = mt_[kN - 1];
      i = 1;
    }
    if (j >= key_length) j = 0;
  }
  for (int k = kN - 1; k > 0; --k) {
    mt_[i] = (mt_[i] ^ ((mt_[i - 1] ^ (mt_[i - 1] >> 30)) * 1566083941U)) -
             static_cast<uint32_t>(i);
    ++i;
    if (i >= kN) {
      mt_[0] = mt_[kN - 1];
      i = 1;
    }
  }
  mt_[0] = 0x80000000U;  // MSB is 1, assuring a non-zero initial array
  index_ = kN;
}

void PythonRandom::Twist() {
  for (int k = 0; k < kN; ++k) {
    const uint32_t y = (mt_[k] & kUpperMask) | (mt_[(k + 1) % kN] & kLowerMask);
    mt_[k] = mt_[(k + kM) % kN] ^ (y >> 1) ^ ((y & 1U) != 0 ? kMatrixA : 0U);
  }
  index_ = 0;
}

uint32_t PythonRandom::NextUint32() {
  if (index_ >= kN) Twist();
  uint32_t y = mt_[index_++];
  y ^= (y >> 11);
  y ^= (y << 7) & 0x9d2c5680U;
  y ^= (y << 15) & 0xefc60000U;
  y ^= (y >> 18);
  return y;
}

uint64_t PythonRandom::GetRandBits(int k) {
  if (k <= 0 || k > 64) return 0;
  if (k <= 32) return NextUint32() >> (32 - k);
  // Two words, least significant first; the second keeps its top k−32 bits.
  const uint64_t low = NextUint32();
  const uint64_t high = NextUint32() >> (64 - k);
  return low | (high << 32);
}

uint64_t PythonRandom::RandBelow(uint64_t n) {
  if (n == 0) return 0;
  const int k = BitLength(n);  // bit_length(n), not of n−1: n may be 1
  uint64_t r = GetRandBits(k);
  while (r >= n) r = GetRandBits(k);
  return r;
}

absl::StatusOr<int64_t> PythonRandom::RandInt(int64_t a, int64_t b) {
  if (b < a) {
    return absl::InvalidArgumentError(absl::StrCat("empty range for randint(", a, ", ", b, ")"));
  }
  const uint64_t width = static_cast<uint64_t>(b) - static_cast<uint64_t>(a) + 1U;
  if (width == 0 || width > (uint64_t{1} << 63)) {
    return absl::InvalidArgumentError(
        absl::StrCat("randint(", a, ", ", b, "): range wider than 2^63 values"));
  }
  return static_cast<int64_t>(static_cast<uint64_t>(a) + RandBelow(width));
}

}  // namespace binq::core
