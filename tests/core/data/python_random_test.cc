#include "core/data/python_random.h"

#include <cstdint>
#include <limits>
#include <sstream>
#include <string>
#include <utility>
#include <vector>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "tests/core/data/data_test_util.h"
#include "tests/testing/status_matchers.h"

namespace binq::core {
namespace {

using ::binq::testing::StatusIs;
using ::testing::HasSubstr;

// random.seed(0); [random.randint(0, 10) for _ in range(5)] in CPython 3.11.
TEST(PythonRandomTest, SeedZeroKnownValues) {
  PythonRandom random(0);
  std::vector<int64_t> got;
  for (int i = 0; i < 5; ++i) got.push_back(*random.RandInt(0, 10));
  EXPECT_EQ(got, (std::vector<int64_t>{6, 6, 0, 4, 8}));
}

// Ranges whose width needs 1 … 32 bits (2^k − 1, 2^k, 2^k + 1), the C4 train
// shard's document count, negative bounds and widths above 32 bits.
std::vector<std::pair<int64_t, int64_t>> Ranges() {
  std::vector<std::pair<int64_t, int64_t>> ranges = {{0, 0}, {5, 5}, {-5, 5}, {0, 356316},
                                                     {0, 2287529}, {-(int64_t{1} << 40), 1 << 20}};
  for (int k = 1; k <= 33; ++k) {
    const int64_t w = int64_t{1} << k;
    ranges.push_back({0, w - 2});  // width 2^k − 1
    ranges.push_back({0, w - 1});  // width 2^k
    ranges.push_back({7, 7 + w});  // width 2^k + 1
  }
  ranges.push_back({0, (int64_t{1} << 62) + 3});
  ranges.push_back({std::numeric_limits<int64_t>::min() / 2, std::numeric_limits<int64_t>::max() / 2});
  return ranges;
}

TEST(PythonRandomTest, MatchesCPythonForSeveralSeedsAndRanges) {
  const std::vector<uint64_t> seeds = {0,           1,           2,
                                       42,          0x7fffffff,  0xffffffffULL,
                                       1ULL << 32,  (1ULL << 32) + 5, (1ULL << 63) + 12345,
                                       ~uint64_t{0}};
  const auto ranges = Ranges();
  std::vector<std::string> range_text;
  for (const auto& [a, b] : ranges) range_text.push_back(absl::StrCat("(", a, ",", b, ")"));

  // Per seed: two rounds of every randint, then getrandbits(k) for k = 0 … 64.
  const std::string code = absl::StrCat(
      "import random\n"
      "R = [", absl::StrJoin(range_text, ","), "]\n"
      "for s in [", absl::StrJoin(seeds, ","), "]:\n"
      "    random.seed(s)\n"
      "    out = [random.randint(a, b) for _ in range(2) for a, b in R]\n"
      "    out += [random.getrandbits(k) for k in range(65)]\n"
      "    print(' '.join(map(str, out)))\n");
  const std::string out = testing::RunPython(code);
  const std::vector<std::string> lines = absl::StrSplit(out, '\n', absl::SkipEmpty());
  ASSERT_EQ(lines.size(), seeds.size()) << out;

  for (size_t s = 0; s < seeds.size(); ++s) {
    PythonRandom random(seeds[s]);
    std::vector<std::string> got;
    for (int round = 0; round < 2; ++round) {
      for (const auto& [a, b] : ranges) {
        absl::StatusOr<int64_t> v = random.RandInt(a, b);
        ASSERT_TRUE(v.ok()) << v.status();
        got.push_back(absl::StrCat(*v));
      }
    }
    for (int k = 0; k <= 64; ++k) got.push_back(absl::StrCat(random.GetRandBits(k)));
    EXPECT_EQ(absl::StrJoin(got, " "), lines[s]) << "seed " << seeds[s];
  }
}

TEST(PythonRandomTest, RawOutputMatchesCPythonAcrossTwists) {
  // getrandbits(32) is the raw MT19937 output; 2000 draws cross three twists.
  const std::string out = testing::RunPython(
      "import random\nrandom.seed(123456789)\n"
      "print(' '.join(str(random.getrandbits(32)) for _ in range(2000)))\n");
  PythonRandom random(123456789);
  std::vector<std::string> got;
  for (int i = 0; i < 2000; ++i) got.push_back(absl::StrCat(random.NextUint32()));
  EXPECT_EQ(absl::StrJoin(got, " ") + "\n", out);
}

TEST(PythonRandomTest, EmptyRangeIsAnError) {
  PythonRandom random(0);
  EXPECT_THAT(random.RandInt(3, 2), StatusIs(absl::StatusCode::kInvalidArgument,
                                             HasSubstr("empty range for randint(3, 2)")));
  EXPECT_THAT(random.RandInt(0, -1),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("empty range")));
  EXPECT_THAT(random.RandInt(std::numeric_limits<int64_t>::min(),
                             std::numeric_limits<int64_t>::max()),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("wider than 2^63")));
}

TEST(PythonRandomTest, ReseedingRestartsTheStream) {
  PythonRandom random(7);
  const uint32_t first = random.NextUint32();
  random.NextUint32();
  random.Seed(7);
  EXPECT_EQ(random.NextUint32(), first);
  EXPECT_EQ(random.RandBelow(0), 0u);
}

}  // namespace
}  // namespace binq::core
