#include "core/data/text_rows.h"

#include <filesystem>
#include <string>
#include <vector>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "absl/strings/str_split.h"
#include "tests/core/data/data_test_util.h"
#include "tests/testing/status_matchers.h"
#include "tests/testing/subprocess.h"

namespace binq::core {
namespace {

using ::binq::testing::StatusIs;
using ::testing::AllOf;
using ::testing::ElementsAre;
using ::testing::HasSubstr;

TEST(Utf8Test, FindsTheFirstInvalidByte) {
  EXPECT_EQ(FindInvalidUtf8(""), -1);
  EXPECT_EQ(FindInvalidUtf8("plain ascii\n"), -1);
  EXPECT_EQ(FindInvalidUtf8("café 日本語 😀 \xF4\x8F\xBF\xBF"), -1);  // up to U+10FFFF
  EXPECT_EQ(FindInvalidUtf8("ab\xC0\x80"), 2);                      // overlong NUL
  EXPECT_EQ(FindInvalidUtf8("a\xE0\x80\x80"), 1);                   // overlong 3-byte
  EXPECT_EQ(FindInvalidUtf8("a\xF0\x80\x80\x80"), 1);               // overlong 4-byte
  EXPECT_EQ(FindInvalidUtf8("x\xED\xA0\x80"), 1);                   // surrogate U+D800
  EXPECT_EQ(FindInvalidUtf8("\xF4\x90\x80\x80"), 0);                // above U+10FFFF
  EXPECT_EQ(FindInvalidUtf8("ok\xE2\x82"), 2);                      // truncated at the end
  EXPECT_EQ(FindInvalidUtf8("ok\xE2\x82x"), 2);                     // truncated in the middle
  EXPECT_EQ(FindInvalidUtf8("\x80"), 0);                            // stray continuation
  EXPECT_EQ(FindInvalidUtf8("é\xF5\x80\x80\x80"), 2);               // lead byte F5
  EXPECT_EQ(FindInvalidUtf8("\xFF"), 0);
}

TEST(UniversalNewlinesTest, CrLfAndLoneCrBecomeLf) {
  EXPECT_EQ(TranslateNewlines("a\r\nb\rc\n\r\n\r"), "a\nb\nc\n\n\n");
  EXPECT_EQ(TranslateNewlines("\r\r\n"), "\n\n");
  EXPECT_EQ(TranslateNewlines("no newline"), "no newline");
  EXPECT_THAT(SplitLinesKeepEnds("a\n\nb"), ElementsAre("a\n", "\n", "b"));
  EXPECT_THAT(SplitLinesKeepEnds(""), ElementsAre());
}

TEST(PythonStripTest, StripsUnicodeWhitespaceOnly) {
  EXPECT_EQ(PythonStrip("  a b \t\n"), "a b");
  EXPECT_EQ(PythonStrip("\u3000\u00a0x\u2028\u0085"), "x");
  EXPECT_EQ(PythonStrip("\x1c\x1fy\x0b\x0c"), "y");
  // U+200B (zero width space) and U+FEFF are not whitespace for Python.
  EXPECT_EQ(PythonStrip("\u200bz\ufeff"), "\u200bz\ufeff");
  EXPECT_EQ(PythonStrip(" \u2000\u200a "), "");
  EXPECT_EQ(PythonStrip(""), "");
}

TEST(PythonStripTest, WhitespaceSetEqualsCPythonIsspace) {
  const std::string out = testing::RunPython(
      "print(' '.join(str(c) for c in range(0x110000) if chr(c).isspace()))");
  std::vector<std::string> expected = absl::StrSplit(out, absl::ByAnyChar(" \n"), absl::SkipEmpty());
  std::vector<std::string> got;
  for (char32_t c = 0; c < 0x110000; ++c) {
    if (IsPythonWhitespace(c)) got.push_back(std::to_string(c));
  }
  EXPECT_EQ(got, expected);
}

class TextRowsTest : public ::testing::Test {
 protected:
  std::string Write(const std::string& name, const std::string& bytes) {
    const std::string path = dir_ + "/" + name;
    testing::WriteFile(path, bytes);
    return path;
  }
  std::string dir_ = binq::testing::MakeTempDir();
};

// CRLF, a lone CR, whitespace-only lines (ASCII and Unicode), unicode text,
// a leading space, characters str.splitlines() would split at but file
// iteration does not (U+2028, U+0085, \f), and a last line without "\n".
constexpr char kTricky[] =
    " = Title = \r\n"
    "\r\n"
    " \t \n"
    "caf\xC3\xA9 \xE6\x97\xA5\xE6\x9C\xAC \xF0\x9F\x98\x80\rlone cr\n"
    "\xE3\x80\x80\xC2\xA0\n"
    " \xE2\x80\x8B \n"
    "  trailing spaces  \n"
    "a\u2028b\u0085c\x0c""d\n"
    "last";

TEST_F(TextRowsTest, WikiTextRowsAsTheHfBuilder) {
  const std::string path = Write("wiki.train.raw", kTricky);
  BINQ_ASSERT_OK_AND_ASSIGN(std::vector<std::string> rows, ReadWikiTextRows(path));
  EXPECT_THAT(rows, ElementsAre(" = Title = \n", "", "", "café 日本 😀\n", "lone cr\n", "",
                                " \u200b \n", "  trailing spaces  \n",
                                "a\u2028b\u0085c\x0c""d\n", "last"));
}

TEST_F(TextRowsTest, PtbRowsStripped) {
  const std::string path = Write("ptb.train.txt", kTricky);
  BINQ_ASSERT_OK_AND_ASSIGN(std::vector<std::string> rows, ReadPtbRows(path));
  EXPECT_THAT(rows, ElementsAre("= Title =", "", "", "café 日本 😀", "lone cr", "", "\u200b",
                                "trailing spaces", "a\u2028b\u0085c\x0c""d", "last"));
}

TEST_F(TextRowsTest, RowsEqualPythonsOnTheSameFile) {
  const std::string path = Write("tricky.txt", kTricky);
  const nlohmann::json wiki = testing::RunReferenceLoader("wikitext2", path, path, 0, 1, 0);
  const nlohmann::json ptb = testing::RunReferenceLoader("ptb", path, path, 0, 1, 0);
  BINQ_ASSERT_OK_AND_ASSIGN(std::vector<std::string> wiki_rows, ReadWikiTextRows(path));
  BINQ_ASSERT_OK_AND_ASSIGN(std::vector<std::string> ptb_rows, ReadPtbRows(path));
  EXPECT_EQ(wiki_rows, wiki["train_rows"].get<std::vector<std::string>>());
  EXPECT_EQ(ptb_rows, ptb["train_rows"].get<std::vector<std::string>>());
}

TEST_F(TextRowsTest, Utf8FileKeepsBomAndTranslatesNewlines) {
  const std::string path = Write("custom.txt", "\xEF\xBB\xBFhello\r\nworld\r");
  BINQ_ASSERT_OK_AND_ASSIGN(std::string text, ReadUtf8TextFile(path));
  EXPECT_EQ(text, "\ufeffhello\nworld\n");
}

TEST_F(TextRowsTest, EmptyFileHasNoRows) {
  const std::string path = Write("empty.raw", "");
  BINQ_ASSERT_OK_AND_ASSIGN(std::vector<std::string> rows, ReadWikiTextRows(path));
  EXPECT_TRUE(rows.empty());
}

TEST_F(TextRowsTest, InvalidUtf8NamesFileOffsetAndLine) {
  const std::string path = Write("bad.raw", "ok line\r\nsecond \xFF line\n");
  const auto expected = StatusIs(absl::StatusCode::kInvalidArgument,
                                 AllOf(HasSubstr(path), HasSubstr("invalid UTF-8"),
                                       HasSubstr("byte offset 16"), HasSubstr("line 2"),
                                       HasSubstr("0xff")));
  EXPECT_THAT(ReadWikiTextRows(path), expected);
  EXPECT_THAT(ReadPtbRows(path), expected);
  EXPECT_THAT(ReadUtf8TextFile(path), expected);
}

TEST_F(TextRowsTest, MissingFileAndDirectory) {
  EXPECT_THAT(ReadWikiTextRows(dir_ + "/nope.raw"),
              StatusIs(absl::StatusCode::kNotFound, HasSubstr(dir_ + "/nope.raw")));
  std::filesystem::create_directory(dir_ + "/sub");
  EXPECT_THAT(ReadPtbRows(dir_ + "/sub"),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       AllOf(HasSubstr(dir_ + "/sub"), HasSubstr("not a regular file"))));
}

}  // namespace
}  // namespace binq::core
