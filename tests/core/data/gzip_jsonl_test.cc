#include "core/data/gzip_jsonl.h"

#include <algorithm>
#include <string>
#include <vector>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "absl/strings/str_cat.h"
#include "nlohmann/json.hpp"
#include "tests/core/data/data_test_util.h"
#include "tests/testing/status_matchers.h"
#include "tests/testing/subprocess.h"

namespace binq::core {
namespace {

using ::binq::testing::StatusIs;
using ::testing::AllOf;
using ::testing::ElementsAre;
using ::testing::HasSubstr;

// A JSON line like C4's: text, timestamp, url.
std::string C4Line(const std::string& text, int i) {
  nlohmann::json j = {{"text", text},
                      {"timestamp", "2019-04-25T12:57:54Z"},
                      {"url", absl::StrCat("https://example.com/", i)}};
  return j.dump() + "\n";
}

// `count` documents of varied length (a few long ones), their JSON lines.
std::vector<std::string> MakeTexts(int count, uint64_t seed) {
  testing::TextMaker maker(seed);
  std::vector<std::string> texts;
  for (int i = 0; i < count; ++i) {
    std::string text = maker.Words(1 + maker.Uniform(i % 17 == 0 ? 2000 : 120));
    if (i % 5 == 0) text += "\nsecond paragraph\twith a tab";
    texts.push_back(text);
  }
  return texts;
}

std::string JsonLines(const std::vector<std::string>& texts) {
  std::string lines;
  for (size_t i = 0; i < texts.size(); ++i) lines += C4Line(texts[i], static_cast<int>(i));
  return lines;
}

class GzipJsonlTest : public ::testing::Test {
 protected:
  std::string Write(const std::string& name, const std::string& bytes) {
    const std::string path = dir_ + "/" + name;
    testing::WriteFile(path, bytes);
    return path;
  }
  std::string dir_ = binq::testing::MakeTempDir();
};

TEST_F(GzipJsonlTest, ReadsTextsInFileOrder) {
  // Escapes, a surrogate pair, raw UTF-8, a blank line, CRLF line ends and a
  // last line without "\n".
  const std::string lines =
      "{\"text\": \"caf\\u00e9 \\ud83d\\ude00 \\\"q\\\" a\\\\b\\nline2\", \"url\": \"u\"}\n"
      "\n"
      "{\"url\": \"v\", \"text\": \"日本語\"}\r\n"
      "  {\"text\": \"\"}  \n"
      "{\"text\": \"last\"}";
  const std::string path = Write("docs.json.gz", testing::Gzip(lines));
  BINQ_ASSERT_OK_AND_ASSIGN(std::vector<std::string> texts, ReadGzipJsonlTexts(path, -1));
  EXPECT_THAT(texts, ElementsAre("café 😀 \"q\" a\\b\nline2", "日本語", "", "last"));

  BINQ_ASSERT_OK_AND_ASSIGN(auto docs, GzipJsonlDocuments::Open(path));
  ASSERT_EQ(docs->size(), 4);
  for (int64_t k = 0; k < docs->size(); ++k) {
    EXPECT_THAT(docs->Text(k), binq::testing::IsOkAndHolds(texts[k])) << k;
  }
}

TEST_F(GzipJsonlTest, RandomAccessFromAccessPointsEqualsStreaming) {
  const std::vector<std::string> texts = MakeTexts(3000, 1);
  // memLevel 1: a deflate block every few hundred symbols, so access points
  // fall at all bit positions.
  const std::string path = Write("many.json.gz", testing::Gzip(JsonLines(texts), 6, 1));
  BINQ_ASSERT_OK_AND_ASSIGN(std::vector<std::string> streamed, ReadGzipJsonlTexts(path, -1));
  ASSERT_EQ(streamed, texts);

  for (const uint64_t span : {uint64_t{1}, uint64_t{1000}, uint64_t{40000}, uint64_t{1} << 20}) {
    GzipJsonlOptions options;
    options.access_point_span = span;
    BINQ_ASSERT_OK_AND_ASSIGN(auto docs, GzipJsonlDocuments::Open(path, options));
    ASSERT_EQ(docs->size(), 3000);
    if (span == 1) {
      const auto& points = docs->access_points();
      EXPECT_GT(points.size(), 100u);
      EXPECT_TRUE(std::any_of(points.begin(), points.end(), [](const auto& p) {
        return p.bits != 0 && p.window_size == 32768;
      }));
    }
    // Backwards, so that every lookup restarts the inflater. Without access
    // points (the 1 MiB span here) each lookup inflates from the start: a
    // sample of the documents is enough there.
    const int64_t step = span == 1 ? 1 : span > 40000 ? 37 : 7;
    for (int64_t k = docs->size() - 1; k >= 0; k -= step) {
      absl::StatusOr<std::string> text = docs->Text(k);
      ASSERT_TRUE(text.ok()) << text.status();
      ASSERT_EQ(*text, texts[k]) << "document " << k << " span " << span;
    }
  }
}

TEST_F(GzipJsonlTest, SeveralMembersWithZeroPadding) {
  const std::vector<std::string> texts = MakeTexts(400, 2);
  const std::vector<std::string> first(texts.begin(), texts.begin() + 150);
  const std::vector<std::string> second(texts.begin() + 150, texts.end());
  // The first member ends inside a line: a document spans the members.
  std::string a = JsonLines(first);
  std::string b = JsonLines(second);
  a += b.substr(0, 20);
  b = b.substr(20);
  const std::string path = Write("members.json.gz", testing::Gzip(a, 6, 1) +
                                                        std::string(5, '\0') +
                                                        testing::Gzip(b, 9, 1));
  BINQ_ASSERT_OK_AND_ASSIGN(std::vector<std::string> streamed, ReadGzipJsonlTexts(path, -1));
  EXPECT_EQ(streamed, texts);
  GzipJsonlOptions options;
  options.access_point_span = 1;
  BINQ_ASSERT_OK_AND_ASSIGN(auto docs, GzipJsonlDocuments::Open(path, options));
  ASSERT_EQ(docs->size(), 400);
  for (int64_t k = 0; k < docs->size(); ++k) {
    EXPECT_THAT(docs->Text(k), binq::testing::IsOkAndHolds(texts[k])) << k;
  }
}

TEST_F(GzipJsonlTest, ReadsPythonGzipModuleOutput) {
  const std::vector<std::string> texts = MakeTexts(200, 3);
  const std::string plain = Write("plain.jsonl", JsonLines(texts));
  const std::string path = dir_ + "/py.json.gz";
  testing::RunPython(absl::StrCat("import gzip, shutil\n", "with open('", plain,
                                  "', 'rb') as f, gzip.open('", path,
                                  "', 'wb', compresslevel=6) as g: shutil.copyfileobj(f, g)\n"));
  BINQ_ASSERT_OK_AND_ASSIGN(auto docs, GzipJsonlDocuments::Open(path));
  ASSERT_EQ(docs->size(), 200);
  EXPECT_THAT(docs->Text(199), binq::testing::IsOkAndHolds(texts[199]));
  EXPECT_THAT(docs->Text(0), binq::testing::IsOkAndHolds(texts[0]));
}

TEST_F(GzipJsonlTest, FirstDocumentsOnlyStopsReading) {
  // Line 4 is not JSON: reading the first three never gets there.
  const std::string lines = C4Line("a", 0) + C4Line("b", 1) + C4Line("c", 2) + "not json\n";
  const std::string path = Write("stop.json.gz", testing::Gzip(lines));
  EXPECT_THAT(ReadGzipJsonlTexts(path, 3), binq::testing::IsOkAndHolds(ElementsAre("a", "b", "c")));
  EXPECT_THAT(ReadGzipJsonlTexts(path, 0), binq::testing::IsOkAndHolds(ElementsAre()));
  EXPECT_THAT(ReadGzipJsonlTexts(path, 4),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       AllOf(HasSubstr(path), HasSubstr("line 4"), HasSubstr("invalid JSON"))));
}

TEST_F(GzipJsonlTest, EmptyFileHasNoDocuments) {
  const std::string path = Write("empty.json.gz", "");
  BINQ_ASSERT_OK_AND_ASSIGN(auto docs, GzipJsonlDocuments::Open(path));
  EXPECT_EQ(docs->size(), 0);
  EXPECT_THAT(docs->Text(0), StatusIs(absl::StatusCode::kInvalidArgument,
                                      AllOf(HasSubstr(path), HasSubstr("out of range"))));
}

TEST_F(GzipJsonlTest, BadLinesNameFileAndLine) {
  struct Case {
    std::string line;
    std::string message;
  };
  const std::vector<Case> cases = {
      {"{\"text\": \"unterminated}\n", "invalid JSON"},
      {"{\"url\": \"x\"}\n", "no \"text\" field"},
      {"{\"text\": 12}\n", "\"text\" is a number, not a string"},
      {"[\"text\"]\n", "expected a JSON object, got array"},
      {"{\"text\": \"bad \xFF byte\"}\n", "UTF-8"},
      {"{\"text\": \"lone \\ud800 surrogate\"}\n", "surrogate"},
      {"{\"text\": \"x\"} trailing\n", "invalid JSON"},
  };
  for (const Case& c : cases) {
    const std::string path =
        Write("bad.json.gz", testing::Gzip(C4Line("ok", 0) + "\n" + c.line + C4Line("ok", 2)));
    const auto expected = StatusIs(absl::StatusCode::kInvalidArgument,
                                   AllOf(HasSubstr(path), HasSubstr("line 3"), HasSubstr(c.message)));
    EXPECT_THAT(GzipJsonlDocuments::Open(path), expected) << c.line;
    EXPECT_THAT(ReadGzipJsonlTexts(path, -1), expected) << c.line;
  }
}

TEST_F(GzipJsonlTest, CorruptCompressedDataIsDataLoss) {
  const std::string gz = testing::Gzip(JsonLines(MakeTexts(300, 4)));
  const auto data_loss = [](const std::string& path, const std::string& what) {
    return StatusIs(absl::StatusCode::kDataLoss, AllOf(HasSubstr(path), HasSubstr(what)));
  };

  const std::string not_gzip = Write("plain.json.gz", JsonLines(MakeTexts(3, 5)));
  EXPECT_THAT(GzipJsonlDocuments::Open(not_gzip), data_loss(not_gzip, "incorrect header check"));

  const std::string truncated = Write("truncated.json.gz", gz.substr(0, gz.size() / 2));
  EXPECT_THAT(GzipJsonlDocuments::Open(truncated), data_loss(truncated, "truncated"));
  EXPECT_THAT(ReadGzipJsonlTexts(truncated, -1), data_loss(truncated, "truncated"));

  std::string bad_crc = gz;
  bad_crc[bad_crc.size() - 6] ^= 0x5A;  // the CRC-32 in the trailer
  const std::string crc_path = Write("crc.json.gz", bad_crc);
  EXPECT_THAT(GzipJsonlDocuments::Open(crc_path), data_loss(crc_path, "incorrect data check"));

  // A flipped byte inside the deflate data: whatever inflate makes of it, the
  // answer is DATA_LOSS (a garbled line must not win as INVALID_ARGUMENT).
  for (size_t at : {gz.size() / 3, gz.size() / 2, gz.size() * 2 / 3}) {
    std::string flipped = gz;
    flipped[at] ^= 0x10;
    const std::string path = Write("flipped.json.gz", flipped);
    EXPECT_THAT(GzipJsonlDocuments::Open(path), data_loss(path, "corrupt gzip data")) << at;
  }

  const std::string trailing = Write("trailing.json.gz", gz + "garbage");
  EXPECT_THAT(GzipJsonlDocuments::Open(trailing), data_loss(trailing, "incorrect header check"));
}

TEST_F(GzipJsonlTest, FileChangedAfterIndexingIsDataLoss) {
  const std::vector<std::string> texts = MakeTexts(500, 6);
  const std::string path = Write("changing.json.gz", testing::Gzip(JsonLines(texts), 6, 1));
  GzipJsonlOptions options;
  options.access_point_span = 4096;
  BINQ_ASSERT_OK_AND_ASSIGN(auto docs, GzipJsonlDocuments::Open(path, options));
  // Rewritten in place (same inode, which Open keeps open): other content.
  testing::WriteFile(path, testing::Gzip(JsonLines(MakeTexts(500, 7)), 6, 1));
  int data_loss = 0;
  for (int64_t k = 0; k < docs->size(); ++k) {
    absl::StatusOr<std::string> text = docs->Text(k);
    if (text.ok()) continue;  // a document may survive by chance
    EXPECT_THAT(text, StatusIs(absl::StatusCode::kDataLoss, HasSubstr(path)));
    ++data_loss;
  }
  EXPECT_GT(data_loss, 400);

  // Grown: every lookup notices.
  BINQ_ASSERT_OK_AND_ASSIGN(docs, GzipJsonlDocuments::Open(path, options));
  testing::WriteFile(path, testing::ReadFile(path) + std::string(10, '\0'));
  for (const int64_t k : {int64_t{0}, int64_t{250}, int64_t{499}}) {
    EXPECT_THAT(docs->Text(k), StatusIs(absl::StatusCode::kDataLoss,
                                        AllOf(HasSubstr(path), HasSubstr("changed since"))));
  }
}

TEST_F(GzipJsonlTest, ProgressAndCancellation) {
  const std::string path = Write("p.json.gz", testing::Gzip(JsonLines(MakeTexts(100, 8))));
  std::vector<DataProgress> reports;
  GzipJsonlOptions options;
  options.progress_step = "reading c4 train";
  BINQ_ASSERT_OK_AND_ASSIGN(
      auto docs, GzipJsonlDocuments::Open(path, options, [&](const DataProgress& p) {
        reports.push_back(p);
      }));
  ASSERT_FALSE(reports.empty());
  EXPECT_EQ(reports.back().step, "reading c4 train");
  EXPECT_EQ(reports.back().unit, "bytes");
  EXPECT_EQ(reports.back().done, reports.back().total);
  EXPECT_EQ(reports.back().total, static_cast<int64_t>(testing::ReadFile(path).size()));

  CancelToken cancel;
  cancel.Cancel();
  EXPECT_THAT(GzipJsonlDocuments::Open(path, options, nullptr, &cancel),
              StatusIs(absl::StatusCode::kCancelled, HasSubstr("reading c4 train")));
  EXPECT_THAT(ReadGzipJsonlTexts(path, 10, nullptr, &cancel),
              StatusIs(absl::StatusCode::kCancelled, HasSubstr(path)));
}

TEST_F(GzipJsonlTest, MissingFile) {
  EXPECT_THAT(GzipJsonlDocuments::Open(dir_ + "/none.json.gz"),
              StatusIs(absl::StatusCode::kNotFound, HasSubstr(dir_ + "/none.json.gz")));
}

}  // namespace
}  // namespace binq::core
