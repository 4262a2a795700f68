// The character classes of the GPT-2 pattern: the ASCII fast path against the
// generated tables, spot checks, and the committed tables against Python's
// `regex` module itself (the generator run again).
#include "core/text/unicode_class.h"

#include <gtest/gtest.h>

#include <cstdlib>
#include <string>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "tests/testing/subprocess.h"
#include "tests/testing/tokenizer_dirs.h"

namespace binq::core {
namespace {

// The class the generated ranges give, by binary search (independent of the
// two-stage table behind ClassOf).
CharClass ClassFromRanges(char32_t cp) {
  for (CharClass c : {CharClass::kLetter, CharClass::kNumber, CharClass::kSpace}) {
    const CharClassRanges r = RangesOf(c);
    int lo = 0, hi = r.count - 1;
    while (lo <= hi) {
      const int mid = (lo + hi) / 2;
      if (cp < r.ranges[mid].lo) {
        hi = mid - 1;
      } else if (cp > r.ranges[mid].hi) {
        lo = mid + 1;
      } else {
        return c;
      }
    }
  }
  return CharClass::kOther;
}

TEST(UnicodeClass, TableAgreesWithTheRangesEverywhere) {
  for (char32_t cp = 0; cp <= 0x10FFFF; ++cp) {
    ASSERT_EQ(ClassOf(cp), ClassFromRanges(cp)) << "U+" << std::hex << static_cast<uint32_t>(cp);
  }
  EXPECT_EQ(ClassOf(0x110000), CharClass::kOther);
}

TEST(UnicodeClass, RangesAreSortedAndDisjoint) {
  for (CharClass c : {CharClass::kLetter, CharClass::kNumber, CharClass::kSpace}) {
    const CharClassRanges r = RangesOf(c);
    ASSERT_GT(r.count, 0);
    for (int i = 0; i < r.count; ++i) {
      EXPECT_LE(r.ranges[i].lo, r.ranges[i].hi);
      if (i > 0) EXPECT_GT(r.ranges[i].lo, r.ranges[i - 1].hi + 1) << "ranges " << i - 1 << " and " << i;
    }
  }
}

TEST(UnicodeClass, SpotChecks) {
  EXPECT_EQ(ClassOf('a'), CharClass::kLetter);
  EXPECT_EQ(ClassOf('7'), CharClass::kNumber);
  EXPECT_EQ(ClassOf('\''), CharClass::kOther);
  EXPECT_EQ(ClassOf(0), CharClass::kOther);       // NUL
  EXPECT_EQ(ClassOf(0x1C), CharClass::kOther);    // str.isspace() says yes, `regex` \s says no
  EXPECT_EQ(ClassOf(0x85), CharClass::kSpace);    // NEL
  EXPECT_EQ(ClassOf(0xA0), CharClass::kSpace);    // NBSP
  EXPECT_EQ(ClassOf(0x200B), CharClass::kOther);  // ZERO WIDTH SPACE is not White_Space
  EXPECT_EQ(ClassOf(0x2028), CharClass::kSpace);
  EXPECT_EQ(ClassOf(0x3000), CharClass::kSpace);
  EXPECT_EQ(ClassOf(0xE9), CharClass::kLetter);     // é
  EXPECT_EQ(ClassOf(0x301), CharClass::kOther);     // combining acute (Mn)
  EXPECT_EQ(ClassOf(0x4E2D), CharClass::kLetter);   // 中
  EXPECT_EQ(ClassOf(0x663), CharClass::kNumber);    // Arabic-Indic three
  EXPECT_EQ(ClassOf(0x216B), CharClass::kNumber);   // Ⅻ (Nl)
  EXPECT_EQ(ClassOf(0xBD), CharClass::kNumber);     // ½ (No)
  EXPECT_EQ(ClassOf(0x1F642), CharClass::kOther);   // 🙂
  EXPECT_EQ(ClassOf(0x1D7D9), CharClass::kNumber);  // 𝟙
  EXPECT_EQ(ClassOf(0x20000), CharClass::kLetter);  // CJK extension B
}

// The committed tables are what the generator makes from the `regex` module
// of the test environment (.venv, as tools/dev/install_deps.sh pins it).
TEST(UnicodeTables, MatchTheRegexModule) {
  const std::string python = BINQ_PYTHON;
  if (python.empty()) GTEST_SKIP() << "no Python configured (BINQ_PYTHON) to run the generator";
  const testing::ProcessResult probe = testing::RunProcess({python, "-c", "import regex"});
  if (probe.exit_code != 0) GTEST_SKIP() << python << " has no `regex` module: " << probe.err;
  const std::string out = testing::MakeTempDir() + "/unicode_tables.inc";
  const testing::ProcessResult r = testing::RunProcess(
      {python, std::string(BINQ_SOURCE_DIR) + "/core/text/gen_unicode_tables.py", "--output", out});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  // Compare without comments (they name the module's version).
  auto code = [](const std::string& text) {
    std::string kept;
    for (absl::string_view line : absl::StrSplit(text, '\n')) {
      if (!absl::StartsWith(line, "//")) absl::StrAppend(&kept, line, "\n");
    }
    return kept;
  };
  EXPECT_EQ(code(testing::ReadTextFile(out)),
            code(testing::ReadTextFile(std::string(BINQ_SOURCE_DIR) + "/core/text/unicode_tables.inc")))
      << "core/text/unicode_tables.inc is stale for this `regex`: rerun core/text/gen_unicode_tables.py";
}

}  // namespace
}  // namespace binq::core
