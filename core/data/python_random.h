// PythonRandom: CPython's `random.Random` (MT19937) reproduced exactly for
// what the reference data loaders call: seed(int), getrandbits(k),
// _randbelow(n) and randint(a, b) (ALGORITHMS.md §8.3, §10 note 18). The same
// seed gives the same numbers as CPython 3.x, so binq picks the same
// calibration windows as BiLLM's `datautils.py`.
//
// Not thread-safe (a stream has one state); copyable.
#ifndef BINQ_CORE_DATA_PYTHON_RANDOM_H_
#define BINQ_CORE_DATA_PYTHON_RANDOM_H_

#include <array>
#include <cstdint>

#include "absl/status/statusor.h"

namespace binq::core {

class PythonRandom {
 public:
  // random.seed(s) for the integer s = `seed` (CPython uses |s|, so a
  // negative seed -s is PythonRandom(s)).
  explicit PythonRandom(uint64_t seed) { Seed(seed); }

  // CPython `random_seed` for an int: the key is |s| in 32-bit words, least
  // significant first (one word for 0), fed to MT19937's init_by_array.
  void Seed(uint64_t seed);

  // The next raw 32-bit output of MT19937 (`genrand_uint32`).
  uint32_t NextUint32();

  // random.getrandbits(k) for 0 ≤ k ≤ 64. For k ≤ 32 one draw shifted right
  // by 32−k; for larger k CPython fills 32-bit words least significant first,
  // the last one shifted right to keep k bits. k outside [0, 64] returns 0.
  uint64_t GetRandBits(int k);

  // random._randbelow(n) (rejection sampling with getrandbits(bit_length(n)))
  // for 1 ≤ n ≤ 2^63; returns 0 for n == 0 without drawing.
  uint64_t RandBelow(uint64_t n);

  // random.randint(a, b) = a + _randbelow(b − a + 1). INVALID_ARGUMENT
  // ("empty range") when b < a, as CPython's ValueError, or when the range
  // holds more than 2^63 values.
  [[nodiscard]] absl::StatusOr<int64_t> RandInt(int64_t a, int64_t b);

 private:
  static constexpr int kN = 624;
  void InitGenrand(uint32_t s);
  void Twist();

  std::array<uint32_t, kN> mt_{};
  int index_ = kN;
};

}  // namespace binq::core

#endif  // BINQ_CORE_DATA_PYTHON_RANDOM_H_
