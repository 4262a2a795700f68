// The GPT-2 pre-tokenization against what Python's `regex`.findall gives for
// the pattern (expected pieces below were produced with it; the randomized
// comparison is in hf_crosscheck_test.cc).
#include "core/text/gpt2_pretokenizer.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <string>
#include <vector>

namespace binq::core {
namespace {

using ::testing::ElementsAre;
using ::testing::IsEmpty;

TEST(Gpt2Pretokenizer, WordsTakeTheSpaceBeforeThem) {
  EXPECT_THAT(SplitGpt2Pretokens("Hello world"), ElementsAre("Hello", " world"));
  EXPECT_THAT(SplitGpt2Pretokens("ab12cd 34 !!x"), ElementsAre("ab", "12", "cd", " 34", " !!", "x"));
}

TEST(Gpt2Pretokenizer, ContractionsAreLowercaseOnlyAndOnlyAtAMatchStart) {
  EXPECT_THAT(SplitGpt2Pretokens("It's we'll they've I'M ''s 'x"),
              ElementsAre("It", "'s", " we", "'ll", " they", "'ve", " I", "'", "M", " ''", "s", " '", "x"));
  EXPECT_THAT(SplitGpt2Pretokens("'re'd'm't"), ElementsAre("'re", "'d", "'m", "'t"));
  EXPECT_THAT(SplitGpt2Pretokens("'"), ElementsAre("'"));
  EXPECT_THAT(SplitGpt2Pretokens("'l"), ElementsAre("'", "l"));
}

TEST(Gpt2Pretokenizer, WhitespaceRunsLeaveTheirLastCharacterToTheNextWord) {
  EXPECT_THAT(SplitGpt2Pretokens("a  b"), ElementsAre("a", " ", " b"));
  EXPECT_THAT(SplitGpt2Pretokens("a \tb"), ElementsAre("a", " ", "\t", "b"));
  EXPECT_THAT(SplitGpt2Pretokens("a\n\nb"), ElementsAre("a", "\n", "\n", "b"));
  EXPECT_THAT(SplitGpt2Pretokens("trail   "), ElementsAre("trail", "   "));
  EXPECT_THAT(SplitGpt2Pretokens("  lead"), ElementsAre(" ", " lead"));
  EXPECT_THAT(SplitGpt2Pretokens("abc\r\n\r\ndef"), ElementsAre("abc", "\r\n\r", "\n", "def"));
  EXPECT_THAT(SplitGpt2Pretokens("   \n"), ElementsAre("   \n"));
  EXPECT_THAT(SplitGpt2Pretokens("a\xE2\x80\xA8 b"), ElementsAre("a", "\xE2\x80\xA8", " b"));  // U+2028
}

TEST(Gpt2Pretokenizer, OnlyU0020JoinsTheNextWord) {
  EXPECT_THAT(SplitGpt2Pretokens("x\xC2\xA0y"), ElementsAre("x", "\xC2\xA0", "y"));  // NBSP
  EXPECT_THAT(SplitGpt2Pretokens(std::string(" \0\0 \x1c", 5)),
              ElementsAre(std::string(" \0\0", 3), " \x1c"));  // NUL and U+001C are "other"
}

TEST(Gpt2Pretokenizer, CombiningMarksAreNotLetters) {
  EXPECT_THAT(SplitGpt2Pretokens("e\xCC\x81t\xC3\xA9"), ElementsAre("e", "\xCC\x81", "t\xC3\xA9"));
}

TEST(Gpt2Pretokenizer, EmptyText) { EXPECT_THAT(SplitGpt2Pretokens(""), IsEmpty()); }

}  // namespace
}  // namespace binq::core
