// UTF-8 checks and Python-compatible replacement decoding. Expected values
// are what CPython 3.11 gives for bytes.decode("utf-8") (error position and
// reason) and bytes.decode("utf-8", errors="replace").
#include "core/text/utf8.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "tests/testing/status_matchers.h"

namespace binq::core {
namespace {

using ::testing::HasSubstr;
using testing::StatusIs;

TEST(ValidateUtf8, AcceptsWellFormedText) {
  EXPECT_TRUE(ValidateUtf8("").ok());
  EXPECT_TRUE(ValidateUtf8("plain ascii text that is longer than eight bytes").ok());
  EXPECT_TRUE(ValidateUtf8("caf\xC3\xA9 \xE2\x80\x94 \xF0\x9F\x99\x82 \xEF\xBF\xBD").ok());
  EXPECT_TRUE(ValidateUtf8(std::string("nul \0 inside", 12)).ok());
  EXPECT_TRUE(ValidateUtf8("\xF4\x8F\xBF\xBF").ok());          // U+10FFFF
  EXPECT_TRUE(ValidateUtf8("\xED\x9F\xBF\xEE\x80\x80").ok());  // U+D7FF, U+E000 around the surrogates
}

TEST(ValidateUtf8, NamesTheOffsetAndTheReason) {
  struct Case {
    std::string bytes;
    std::string expected;
  };
  const Case cases[] = {
      {"\xE2\x82", "at byte offset 0 (byte 0xe2: unexpected end of data)"},
      {"a\xE2\x82\x41", "at byte offset 1 (byte 0xe2: invalid continuation byte)"},
      {"\xED\xA0\x80", "at byte offset 0 (byte 0xed: invalid continuation byte)"},      // surrogate
      {"\xF4\x90\x80\x80", "at byte offset 0 (byte 0xf4: invalid continuation byte)"},  // > U+10FFFF
      {"\xC0\xAF", "at byte offset 0 (byte 0xc0: invalid start byte)"},                 // overlong
      {"\xE0\x80\xAF", "at byte offset 0 (byte 0xe0: invalid continuation byte)"},      // overlong
      {"\x80", "at byte offset 0 (byte 0x80: invalid start byte)"},
      {"0123456789abcdef\xFF", "at byte offset 16 (byte 0xff: invalid start byte)"},
      {"\xF0\x9F\x99\x82\xF0\x9F", "at byte offset 4 (byte 0xf0: unexpected end of data)"},
      {"caf\xC3", "at byte offset 3 (byte 0xc3: unexpected end of data)"},
  };
  for (const Case& c : cases) {
    EXPECT_THAT(ValidateUtf8(c.bytes),
                StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("not valid UTF-8 " + c.expected)));
  }
}

TEST(ReplaceInvalidUtf8, MatchesPythonErrorsReplace) {
  const std::string r = "\xEF\xBF\xBD";
  const std::pair<std::string, std::string> cases[] = {
      {"", ""},
      {"abc", "abc"},
      {"\xE2\x82", r},
      {"a\xE2\x82\x41", "a" + r + "A"},
      {"\xED\xA0\x80", r + r + r},
      {"\xF0\x90\x80\x41", r + "A"},
      {"\xF4\x90\x80\x80", r + r + r + r},
      {"\xC0\xAF", r + r},
      {"\xE0\x80\xAF", r + r + r},
      {"\xFF\xFE", r + r},
      {"\xF0\x9F\x99\x82\xF0\x9F", "\xF0\x9F\x99\x82" + r},
      {"caf\xC3", "caf" + r},
      {"\xC3\xA9\xE2\x80\x94\xEF\xBF\xBD", "\xC3\xA9\xE2\x80\x94\xEF\xBF\xBD"},
      {"\xF8\x88\x80\x80\x80", r + r + r + r + r},
      {"\xE1\x80\xE2\xF0\x91\x92\xF1\xBF\x41", r + r + r + r + "A"},
  };
  for (const auto& [bytes, expected] : cases) {
    EXPECT_EQ(ReplaceInvalidUtf8(bytes), expected) << ::testing::PrintToString(bytes);
  }
}

TEST(AppendUtf8, EncodesEveryLength) {
  std::string s;
  for (char32_t cp : {0x24u, 0xA2u, 0x20ACu, 0x10348u, 0x10FFFFu}) AppendUtf8(cp, &s);
  EXPECT_EQ(s, "\x24\xC2\xA2\xE2\x82\xAC\xF0\x90\x8D\x88\xF4\x8F\xBF\xBF");
  const auto* p = reinterpret_cast<const unsigned char*>(s.data());
  char32_t cp;
  EXPECT_EQ(DecodeUtf8(p + 3, &cp), 3);
  EXPECT_EQ(cp, 0x20ACu);
  EXPECT_EQ(DecodeUtf8(p + 6, &cp), 4);
  EXPECT_EQ(cp, 0x10348u);
}

}  // namespace
}  // namespace binq::core
