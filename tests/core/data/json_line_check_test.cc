#include "core/data/json_line_check.h"

#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "nlohmann/json.hpp"
#include "tests/core/data/data_test_util.h"

namespace binq::core::data_internal {
namespace {

// What the fast check must never contradict: nlohmann::json parses the line
// into an object with a string "text".
bool NlohmannAccepts(const std::string& line) {
  const nlohmann::json j = nlohmann::json::parse(line, nullptr, /*allow_exceptions=*/false);
  if (j.is_discarded() || !j.is_object()) return false;
  const auto it = j.find("text");
  return it != j.end() && it->is_string();
}

TEST(JsonLineCheckTest, AcceptsC4Lines) {
  for (const std::string line : {
           R"({"text":"Beginners BBQ Class Taking Place in Missoula!\nDo you want to get better?","timestamp":"2019-04-25T12:57:54Z","url":"https://klyq.com/beginners-bbq"})",
           R"({ "url" : "x" , "text" : "caf\u00e9 \ud83d\ude00 \"q\" \\ \/ \b\f\n\r\t" , "ok": true, "n": null })",
           "{\"text\": \"日本語 😀 \x7f\"}\r",
       }) {
    EXPECT_TRUE(IsFlatJsonObjectWithText(line)) << line;
    EXPECT_TRUE(NlohmannAccepts(line)) << line;
  }
}

TEST(JsonLineCheckTest, UnsureCasesAreLeftToNlohmann) {
  for (const std::string line : {
           R"({"text": 1})", R"({"url": "x"})", R"({"text": "a", "text": "b"})",
           R"({"te\u0078t": "escaped key"})", R"({"text": "a", "n": 12})",
           R"({"text": "a", "o": {"x": 1}})", R"(["text"])", R"({"text": "lone \udc00"})",
           R"({"text": "half \ud800 pair"})", R"({"text": "bad \x escape"})",
           "{\"text\": \"ctrl \x01\"}", "{\"text\": \"bad \xC0\x80 utf8\"}", R"({"text": "a"} x)",
           R"({"text": "unterminated)", "\xEF\xBB\xBF{\"text\": \"bom\"}", R"({"text": "a",})",
       }) {
    EXPECT_FALSE(IsFlatJsonObjectWithText(line)) << line;
  }
}

// Random mutations of valid lines: whenever the fast check says yes,
// nlohmann::json agrees.
TEST(JsonLineCheckTest, NeverAcceptsWhatNlohmannRejects) {
  const std::vector<std::string> seeds = {
      R"({"text":"plain words here","timestamp":"2019-04-25T12:57:54Z","url":"https://a.b/c"})",
      R"({"url":"u","text":"esc \" \\ \/ \n \u00e9 \ud83d\ude00","flag":false,"none":null})",
      "{\"text\":\"caf\xC3\xA9 \xE6\x97\xA5 \xF0\x9F\x98\x80\",\"t\":true}"};
  const std::string alphabet = "{}[]\":,\\/ ubnrtfe0123456789aAdDxX\t\r\n\x01\x7f\x80\xBF\xC3\xED\xF0\xF4\xFF";
  testing::TextMaker rng(11);
  int accepted = 0;
  for (int trial = 0; trial < 200000; ++trial) {
    std::string line = seeds[rng.Uniform(static_cast<int64_t>(seeds.size()))];
    const int edits = 1 + static_cast<int>(rng.Uniform(3));
    for (int e = 0; e < edits && !line.empty(); ++e) {
      const size_t at = static_cast<size_t>(rng.Uniform(static_cast<int64_t>(line.size())));
      const char c = alphabet[rng.Uniform(static_cast<int64_t>(alphabet.size()))];
      switch (rng.Uniform(3)) {
        case 0:
          line[at] = c;
          break;
        case 1:
          line.insert(line.begin() + static_cast<std::ptrdiff_t>(at), c);
          break;
        default:
          line.erase(at, 1);
      }
    }
    if (IsFlatJsonObjectWithText(line)) {
      ++accepted;
      ASSERT_TRUE(NlohmannAccepts(line)) << "fast check accepted: " << line;
    }
  }
  EXPECT_GT(accepted, 10000);  // the mutations also keep many lines valid
}

}  // namespace
}  // namespace binq::core::data_internal
