#include "core/data/datasets.h"

#include <filesystem>
#include <string>
#include <vector>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "absl/strings/str_cat.h"
#include "core/base/dataset_files.h"
#include "core/data/gzip_jsonl.h"
#include "core/data/text_rows.h"
#include "nlohmann/json.hpp"
#include "tests/core/data/data_test_util.h"
#include "tests/testing/status_matchers.h"
#include "tests/testing/subprocess.h"

namespace binq::core {
namespace {

namespace fs = std::filesystem;
using ::binq::testing::StatusIs;
using ::testing::AllOf;
using ::testing::ElementsAre;
using ::testing::HasSubstr;

// The protocol tests use testing::ByteTokenizer (one id per UTF-8 byte, BOS
// 2) on both sides: the sampling protocol is under test, not the BPE
// tokenizer, and reference_loader.py — BiLLM's get_loaders on local files —
// tokenizes the same way.

// WikiText-like lines: headings, paragraphs, blank and whitespace-only lines,
// some CRLF, unicode.
std::string WikiLikeText(int lines, uint64_t seed) {
  testing::TextMaker maker(seed);
  std::string text = " \n";
  for (int i = 0; i < lines; ++i) {
    switch (maker.Uniform(6)) {
      case 0:
        text += absl::StrCat(" = ", maker.Words(3), " = \n \n");
        break;
      case 1:
        text += " \t\r\n";
        break;
      case 2:
        text += absl::StrCat(" ", maker.Words(5 + maker.Uniform(40)), " \r\n");
        break;
      case 3:
        text += "\u3000\n";
        break;
      default:
        text += absl::StrCat(" ", maker.Words(10 + maker.Uniform(60)), " \n");
    }
  }
  return text;
}

std::string C4Lines(int count, int max_words, uint64_t seed) {
  testing::TextMaker maker(seed);
  std::string lines;
  for (int i = 0; i < count; ++i) {
    nlohmann::json j = {{"text", maker.Words(1 + maker.Uniform(max_words))},
                        {"timestamp", "2019-04-25T12:57:54Z"},
                        {"url", absl::StrCat("https://example.com/", i)}};
    lines += j.dump() + "\n";
  }
  return lines;
}

class DatasetsTest : public ::testing::Test {
 protected:
  // Lays out a data root as LocateDataset expects it.
  void WriteCorpora(int c4_train_docs = 300, int c4_train_words = 120) {
    fs::create_directories(root_ / "wikitext-2-raw");
    fs::create_directories(root_ / "ptb");
    fs::create_directories(root_ / "c4");
    testing::WriteFile((root_ / "wikitext-2-raw" / "wiki.train.raw").string(), WikiLikeText(400, 1));
    testing::WriteFile((root_ / "wikitext-2-raw" / "wiki.test.raw").string(), WikiLikeText(150, 2));
    std::string ptb_train, ptb_test;
    testing::TextMaker maker(3);
    for (int i = 0; i < 500; ++i) ptb_train += " " + maker.Words(3 + maker.Uniform(20)) + " \n";
    for (int i = 0; i < 120; ++i) ptb_test += " " + maker.Words(3 + maker.Uniform(20)) + " \r\n";
    testing::WriteFile((root_ / "ptb" / "ptb.train.txt").string(), ptb_train);
    testing::WriteFile((root_ / "ptb" / "ptb.test.txt").string(), ptb_test);
    testing::WriteFile((root_ / "c4" / "c4-train.00000-of-01024.json.gz").string(),
                       testing::Gzip(C4Lines(c4_train_docs, c4_train_words, 4), 6, 1));
    // More than 1100 short validation documents: the cut at 1100 matters.
    testing::WriteFile((root_ / "c4" / "c4-validation.00000-of-00008.json.gz").string(),
                       testing::Gzip(C4Lines(1200, 6, 5)));
    testing::WriteFile((root_ / "custom.txt").string(), WikiLikeText(120, 6) + "\rend");
  }

  DatasetFiles Files(const std::string& name) {
    absl::StatusOr<DatasetFiles> files =
        LocateDataset(name == "custom" ? (root_ / "custom.txt").string() : name, root_.string());
    EXPECT_TRUE(files.ok()) << files.status();
    return files.ok() ? *files : DatasetFiles{};
  }

  // Our calibration set and test tokens against reference_loader.py's.
  void ExpectSameAsReference(const std::string& name, int64_t nsamples, int64_t seqlen,
                             uint64_t seed) {
    SCOPED_TRACE(absl::StrCat(name, " nsamples=", nsamples, " seqlen=", seqlen, " seed=", seed));
    const DatasetFiles files = Files(name);
    const nlohmann::json ref = testing::RunReferenceLoader(
        files.custom ? "custom" : name, files.train, files.test, nsamples, seqlen, seed);
    ASSERT_TRUE(ref.is_object()) << "reference_loader.py output is not JSON";

    CalibrationOptions options;
    options.nsamples = nsamples;
    options.seqlen = seqlen;
    options.seed = seed;
    testing::ByteTokenizer tokenizer;
    BINQ_ASSERT_OK_AND_ASSIGN(CalibrationSet set, LoadCalibrationSet(files, tokenizer, options));
    EXPECT_EQ(set.dataset, files.name);
    EXPECT_EQ(set.seqlen, seqlen);
    ASSERT_EQ(set.num_windows(), nsamples);
    EXPECT_EQ(set.starts, ref["starts"].get<std::vector<int64_t>>());
    EXPECT_EQ(set.documents, ref["documents"].get<std::vector<int64_t>>());
    const auto windows = ref["windows"].get<std::vector<std::vector<int32_t>>>();
    ASSERT_EQ(windows.size(), static_cast<size_t>(nsamples));
    for (int64_t i = 0; i < nsamples; ++i) {
      const absl::Span<const int32_t> w = set.window(i);
      EXPECT_EQ(std::vector<int32_t>(w.begin(), w.end()), windows[i]) << "window " << i;
    }
    EXPECT_EQ(set.stream_tokens, ref["stream_tokens"].get<int64_t>());
    EXPECT_EQ(set.document_draws, ref["document_draws"].get<int64_t>());

    BINQ_ASSERT_OK_AND_ASSIGN(std::vector<int32_t> test_ids,
                              LoadTestTokens(files, tokenizer, seqlen));
    EXPECT_EQ(test_ids, ref["test_ids"].get<std::vector<int32_t>>());
    ASSERT_FALSE(test_ids.empty());
    EXPECT_EQ(test_ids[0], 2);  // one BOS per tokenizer call
    EXPECT_NE(test_ids[1], 2);

    // The rows as the Hugging Face builders give them.
    const auto train_rows = ref["train_rows"].get<std::vector<std::string>>();
    const auto test_rows = ref["test_rows"].get<std::vector<std::string>>();
    if (name == "wikitext2") {
      EXPECT_THAT(ReadWikiTextRows(files.train), binq::testing::IsOkAndHolds(train_rows));
      EXPECT_THAT(ReadWikiTextRows(files.test), binq::testing::IsOkAndHolds(test_rows));
    } else if (name == "ptb") {
      EXPECT_THAT(ReadPtbRows(files.train), binq::testing::IsOkAndHolds(train_rows));
      EXPECT_THAT(ReadPtbRows(files.test), binq::testing::IsOkAndHolds(test_rows));
    } else if (name == "c4") {
      EXPECT_THAT(ReadGzipJsonlTexts(files.train, -1), binq::testing::IsOkAndHolds(train_rows));
      EXPECT_THAT(ReadGzipJsonlTexts(files.test, -1), binq::testing::IsOkAndHolds(test_rows));
    }
  }

  fs::path root_ = binq::testing::MakeTempDir();
};

TEST_F(DatasetsTest, WikiText2MatchesReferenceLoader) {
  WriteCorpora();
  for (const uint64_t seed : {uint64_t{0}, uint64_t{1}, (uint64_t{1} << 32) + 5}) {
    ExpectSameAsReference("wikitext2", 25, 64, seed);
  }
  ExpectSameAsReference("wikitext2", 3, 2048, 0);
}

TEST_F(DatasetsTest, PtbMatchesReferenceLoader) {
  WriteCorpora();
  for (const uint64_t seed : {uint64_t{0}, uint64_t{7}}) ExpectSameAsReference("ptb", 25, 100, seed);
}

TEST_F(DatasetsTest, C4MatchesReferenceLoader) {
  WriteCorpora();
  // seqlen 256: about half the train documents are too short (rejection
  // loop), and 1100 validation documents give fewer than 256·256 tokens.
  for (const uint64_t seed : {uint64_t{0}, uint64_t{3}}) ExpectSameAsReference("c4", 20, 256, seed);
  // seqlen 16: the test stream is cut to 256·16 tokens.
  ExpectSameAsReference("c4", 10, 16, 0);
}

TEST_F(DatasetsTest, CustomFileMatchesReferenceLoader) {
  WriteCorpora();
  ExpectSameAsReference("custom", 15, 50, 0);
  ExpectSameAsReference("custom", 15, 50, 99);
}

TEST_F(DatasetsTest, C4TokenizesOnlyTheDocumentsDrawn) {
  WriteCorpora(/*c4_train_docs=*/2000);
  CalibrationOptions options;
  options.nsamples = 5;
  options.seqlen = 256;
  testing::ByteTokenizer tokenizer;
  BINQ_ASSERT_OK_AND_ASSIGN(CalibrationSet set,
                            LoadCalibrationSet(Files("c4"), tokenizer, options));
  EXPECT_EQ(set.num_windows(), 5);
  EXPECT_GE(set.document_draws, 5);
  EXPECT_LE(tokenizer.calls(), set.document_draws);
  EXPECT_LT(tokenizer.calls(), 100);
}

TEST_F(DatasetsTest, JoinedTexts) {
  WriteCorpora();
  BINQ_ASSERT_OK_AND_ASSIGN(std::vector<std::string> rows,
                            ReadWikiTextRows(Files("wikitext2").train));
  BINQ_ASSERT_OK_AND_ASSIGN(std::string joined, CalibrationText(Files("wikitext2")));
  EXPECT_EQ(joined.substr(0, rows[0].size() + 1 + rows[1].size()), rows[0] + " " + rows[1]);
  EXPECT_THAT(CalibrationText(Files("c4")),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("c4")));
  BINQ_ASSERT_OK_AND_ASSIGN(std::string custom, TestText(Files("custom")));
  EXPECT_EQ(custom.substr(custom.size() - 4), "\nend");  // the lone CR translated
}

TEST(EvalWindowsTest, ConsecutiveWindowsTailDropped) {
  const std::vector<int32_t> ids = {0, 1, 2, 3, 4, 5, 6, 7, 8, 9};
  const EvalWindows windows(ids, 3);
  ASSERT_EQ(windows.size(), 3);
  EXPECT_EQ(windows.tokens_used(), 9);
  EXPECT_THAT(windows.window(0), ElementsAre(0, 1, 2));
  EXPECT_THAT(windows.window(2), ElementsAre(6, 7, 8));
  EXPECT_EQ(EvalWindows(ids, 10).size(), 1);
  EXPECT_EQ(EvalWindows(ids, 11).size(), 0);
  EXPECT_EQ(EvalWindows::Count(524288, 2048), 256);
  EXPECT_EQ(EvalWindows::Count(287644, 2048), 140);
  EXPECT_EQ(EvalWindows::Count(5, 0), 0);
}

TEST_F(DatasetsTest, TooLittleDataNamesDatasetTokensAndSeqlen) {
  WriteCorpora();
  testing::ByteTokenizer tokenizer;
  CalibrationOptions options;
  options.nsamples = 4;
  // 63 bytes + BOS = seqlen: not enough (randint(0, −1) in the reference).
  const std::string path = (root_ / "short.txt").string();
  testing::WriteFile(path, std::string(63, 'a'));
  options.seqlen = 64;
  DatasetFiles files = Files("custom");
  files.name = files.train = files.test = path;
  EXPECT_THAT(LoadCalibrationSet(files, tokenizer, options),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       AllOf(HasSubstr(path), HasSubstr("64 tokens"), HasSubstr("seqlen = 64"))));
  // One token more: every window starts at 0.
  options.seqlen = 63;
  BINQ_ASSERT_OK_AND_ASSIGN(CalibrationSet set, LoadCalibrationSet(files, tokenizer, options));
  EXPECT_THAT(set.starts, ElementsAre(0, 0, 0, 0));

  EXPECT_THAT(LoadTestTokens(files, tokenizer, 65),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       AllOf(HasSubstr(path), HasSubstr("64 tokens"), HasSubstr("seqlen = 65"))));
  EXPECT_THAT(LoadTestTokens(files, tokenizer, 64), binq::testing::IsOkAndHolds(::testing::SizeIs(64)));

  options.seqlen = 1000000;
  EXPECT_THAT(LoadCalibrationSet(Files("wikitext2"), tokenizer, options),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       AllOf(HasSubstr("dataset wikitext2"), HasSubstr("seqlen = 1000000"))));
  EXPECT_THAT(LoadCalibrationSet(Files("ptb"), tokenizer, options),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("dataset ptb")));
}

TEST_F(DatasetsTest, C4WithoutLongDocumentsGivesUpAfterTheBound) {
  WriteCorpora(/*c4_train_docs=*/50, /*c4_train_words=*/5);
  testing::ByteTokenizer tokenizer;
  CalibrationOptions options;
  options.seqlen = 512;
  options.max_document_draws = 300;
  EXPECT_THAT(LoadCalibrationSet(Files("c4"), tokenizer, options),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       AllOf(HasSubstr("dataset c4"), HasSubstr("seqlen = 512"),
                             HasSubstr("300 draws"), HasSubstr("the longest drawn has"))));
  // The cache of short documents spares the tokenizer: at most 50 calls.
  EXPECT_LE(tokenizer.calls(), 50);

  testing::WriteFile((root_ / "c4" / "c4-train.00000-of-01024.json.gz").string(),
                     testing::Gzip(""));
  EXPECT_THAT(LoadCalibrationSet(Files("c4"), tokenizer, options),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       AllOf(HasSubstr("dataset c4"), HasSubstr("no documents"))));
}

TEST_F(DatasetsTest, BadOptionsNameTheField) {
  WriteCorpora();
  testing::ByteTokenizer tokenizer;
  CalibrationOptions options;
  options.nsamples = 0;
  EXPECT_THAT(LoadCalibrationSet(Files("wikitext2"), tokenizer, options),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("nsamples")));
  options.nsamples = 1;
  options.seqlen = 0;
  EXPECT_THAT(LoadCalibrationSet(Files("c4"), tokenizer, options),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("seqlen")));
  EXPECT_THAT(LoadTestTokens(Files("ptb"), tokenizer, 0),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("seqlen")));
  DatasetFiles unknown;
  unknown.name = "imagenet";
  EXPECT_THAT(LoadTestTokens(unknown, tokenizer, 16),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("imagenet")));
}

TEST_F(DatasetsTest, FileErrorsNameTheFile) {
  WriteCorpora();
  testing::ByteTokenizer tokenizer;
  CalibrationOptions options;
  options.seqlen = 16;
  DatasetFiles files = Files("wikitext2");
  testing::WriteFile(files.test, "fine\n\xC3\x28 broken\n");
  EXPECT_THAT(LoadTestTokens(files, tokenizer, 16),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       AllOf(HasSubstr(files.test), HasSubstr("invalid UTF-8"))));
  fs::remove(files.train);
  EXPECT_THAT(LoadCalibrationSet(files, tokenizer, options),
              StatusIs(absl::StatusCode::kNotFound, HasSubstr(files.train)));
  DatasetFiles c4 = Files("c4");
  testing::WriteFile(c4.test, "not gzip");
  EXPECT_THAT(LoadTestTokens(c4, tokenizer, 16),
              StatusIs(absl::StatusCode::kDataLoss, HasSubstr(c4.test)));
}

// Fails every call, to see its error travel up with context.
class FailingTokenizer : public testing::ByteTokenizer {
 public:
  absl::StatusOr<std::vector<int32_t>> Encode(absl::string_view) const override {
    return absl::InvalidArgumentError("tokenizer says no");
  }
};

TEST_F(DatasetsTest, TokenizerErrorsKeepTheirCodeAndGainContext) {
  WriteCorpora();
  FailingTokenizer tokenizer;
  CalibrationOptions options;
  options.seqlen = 16;
  EXPECT_THAT(LoadCalibrationSet(Files("wikitext2"), tokenizer, options),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       AllOf(HasSubstr("tokenizing wikitext2 train"), HasSubstr("tokenizer says no"))));
  EXPECT_THAT(LoadCalibrationSet(Files("c4"), tokenizer, options),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       AllOf(HasSubstr("tokenizing dataset c4 document"),
                             HasSubstr("tokenizer says no"))));
  EXPECT_THAT(LoadTestTokens(Files("ptb"), tokenizer, 16),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("tokenizing ptb test")));
}

TEST_F(DatasetsTest, ProgressReports) {
  WriteCorpora();
  testing::ByteTokenizer tokenizer;
  CalibrationOptions options;
  options.nsamples = 6;
  options.seqlen = 256;
  std::vector<std::string> seen;
  int64_t last_windows = -1;
  const auto progress = [&](const DataProgress& p) {
    seen.push_back(absl::StrCat(p.step, "|", p.unit, "|", p.done, "/", p.total));
    if (p.unit == "windows") {
      EXPECT_GT(p.done, last_windows);
      last_windows = p.done;
    }
  };
  BINQ_ASSERT_OK(LoadCalibrationSet(Files("c4"), tokenizer, options, progress).status());
  const std::string c4_bytes =
      std::to_string(fs::file_size(root_ / "c4" / "c4-train.00000-of-01024.json.gz"));
  EXPECT_THAT(seen, ::testing::Contains(absl::StrCat("reading c4 train|bytes|", c4_bytes, "/",
                                                     c4_bytes)));
  EXPECT_EQ(seen.back(), "sampling c4 windows|windows|6/6");

  seen.clear();
  BINQ_ASSERT_OK(LoadCalibrationSet(Files("wikitext2"), tokenizer, options, progress).status());
  ASSERT_EQ(seen.size(), 2u);
  EXPECT_THAT(seen[0], HasSubstr("tokenizing wikitext2 train|bytes|0/"));

  seen.clear();
  BINQ_ASSERT_OK(LoadTestTokens(Files("c4"), tokenizer, 256, progress).status());
  EXPECT_THAT(seen, ::testing::Contains("reading c4 validation|documents|1100/1100"));
}

TEST_F(DatasetsTest, Cancellation) {
  WriteCorpora();
  testing::ByteTokenizer tokenizer;
  CalibrationOptions options;
  options.nsamples = 10;
  options.seqlen = 256;
  CancelToken cancelled;
  cancelled.Cancel();
  for (const char* name : {"wikitext2", "ptb", "c4", "custom"}) {
    EXPECT_THAT(LoadCalibrationSet(Files(name), tokenizer, options, nullptr, &cancelled),
                StatusIs(absl::StatusCode::kCancelled, ::testing::_))
        << name;
    EXPECT_THAT(LoadTestTokens(Files(name), tokenizer, 256, nullptr, &cancelled),
                StatusIs(absl::StatusCode::kCancelled, ::testing::_))
        << name;
  }
  // Cancelled from the progress callback after the third window.
  CancelToken cancel;
  const int64_t calls_before = tokenizer.calls();
  EXPECT_THAT(LoadCalibrationSet(Files("c4"), tokenizer, options,
                                 [&](const DataProgress& p) {
                                   if (p.unit == "windows" && p.done == 3) cancel.Cancel();
                                 },
                                 &cancel),
              StatusIs(absl::StatusCode::kCancelled, HasSubstr("sampling c4 windows")));
  EXPECT_GT(tokenizer.calls(), calls_before);
}

}  // namespace
}  // namespace binq::core
