// The LLaMA-3 / Qwen2 split pattern scanner on cases worked out from the
// pattern by hand, one per rule (the random cross-check against the
// `tokenizers` library is hf_json_crosscheck_test.cc).
#include "core/text/llama3_pretokenizer.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

namespace binq::core {
namespace {

using ::testing::ElementsAre;

std::vector<std::string> Llama3(absl::string_view text) {
  return SplitLlama3Pretokens(text, 3);
}

TEST(Llama3Pretokenizer, ContractionsIgnoreCase) {
  EXPECT_THAT(Llama3("I'M they've"), ElementsAre("I", "'M", " they", "'ve"));
  EXPECT_THAT(Llama3("'LL'Re'd"), ElementsAre("'LL", "'Re", "'d"));
  // Oniguruma folds U+017F (long s) to s.
  EXPECT_THAT(Llama3("'\xC5\xBFx"), ElementsAre("'\xC5\xBF", "x"));
  // Not a contraction: the apostrophe starts a letter run instead.
  EXPECT_THAT(Llama3("'quoted'"), ElementsAre("'quoted", "'"));
}

TEST(Llama3Pretokenizer, OneNonLetterBeforeLetters) {
  EXPECT_THAT(Llama3("\"double\""), ElementsAre("\"double", "\""));
  EXPECT_THAT(Llama3("\t\tx"), ElementsAre("\t", "\tx"));
  EXPECT_THAT(Llama3(" \xC2\xA0x"),
              ElementsAre(" ", "\xC2\xA0x"));          // NBSP is not \r or \n
  EXPECT_THAT(Llama3("\nx"), ElementsAre("\n", "x"));  // but a newline is
  EXPECT_THAT(Llama3("7x"), ElementsAre("7", "x"));    // and a digit is
}

TEST(Llama3Pretokenizer, DigitGroups) {
  EXPECT_THAT(Llama3("12345"), ElementsAre("123", "45"));
  EXPECT_THAT(SplitLlama3Pretokens("12345", 1),
              ElementsAre("1", "2", "3", "4", "5"));
  EXPECT_THAT(Llama3("3.14"), ElementsAre("3", ".", "14"));
}

TEST(Llama3Pretokenizer, PunctuationTakesTrailingNewlines) {
  EXPECT_THAT(Llama3("foo!!\n\nbar"), ElementsAre("foo", "!!\n\n", "bar"));
  EXPECT_THAT(Llama3("a ++b"), ElementsAre("a", " ++", "b"));
}

TEST(Llama3Pretokenizer, WhitespaceRules) {
  EXPECT_THAT(Llama3("x  \ny"),
              ElementsAre("x", "  \n", "y"));  // up to the last newline
  EXPECT_THAT(Llama3("  \n  x"), ElementsAre("  \n", " ", " x"));
  EXPECT_THAT(Llama3("a\r\n\r\nb"), ElementsAre("a", "\r\n\r\n", "b"));
  EXPECT_THAT(Llama3("a  b"),
              ElementsAre("a", " ", " b"));  // \s+(?!\S) gives one back
  EXPECT_THAT(Llama3("end  "),
              ElementsAre("end", "  "));  // at the end it keeps all
  EXPECT_THAT(Llama3(" "), ElementsAre(" "));
  EXPECT_TRUE(Llama3("").empty());
}

}  // namespace
}  // namespace binq::core
