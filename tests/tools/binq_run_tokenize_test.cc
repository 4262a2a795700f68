// `binq-run tokenize` as a user runs it: the real binary, text on stdin, ids
// on stdout; errors with their exit codes and messages.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "absl/strings/str_join.h"
#include "core/text/tokenizer_loader.h"
#include "tests/testing/subprocess.h"
#include "tests/testing/tokenizer_dirs.h"

namespace binq {
namespace {

using ::testing::HasSubstr;
using testing::OptStyleId;
using testing::ProcessResult;
using testing::RunProcess;

const std::string kBinqRun = BINQ_RUN_PATH;

class BinqRunTokenizeTest : public ::testing::Test {
 protected:
  void SetUp() override {
    root_ = testing::MakeTempDir();
    gpt2_ = root_ + "/gpt2";
    opt_ = root_ + "/opt";
    testing::MakeGpt2TokenizerDir(gpt2_);
    testing::MakeOptStyleTokenizerDir(opt_);
  }
  ProcessResult Tokenize(const std::string& dir, const std::string& text, bool add_bos = false) {
    std::vector<std::string> argv = {kBinqRun, "tokenize", "--tokenizer", dir};
    if (add_bos) argv.push_back("--add-bos");
    return RunProcess(argv, text);
  }
  std::string root_, gpt2_, opt_;
};

TEST_F(BinqRunTokenizeTest, PrintsIdsOnOneLine) {
  ProcessResult r = Tokenize(gpt2_, "Hello world");
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(r.out, "15496 995\n");
  // All of stdin is one text: newlines are tokens, not separators.
  r = Tokenize(gpt2_, "line one\nline two\n\n\nline five");
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(r.out, "1370 530 198 1370 734 628 198 1370 1936\n");
  r = Tokenize(gpt2_, "");
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(r.out, "\n");
}

TEST_F(BinqRunTokenizeTest, BosOnlyWhenAsked) {
  ProcessResult r = Tokenize(opt_, "Hello world");
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(r.out, absl::StrCat(OptStyleId(15496), " ", OptStyleId(995), "\n"));
  r = Tokenize(opt_, "Hello world", /*add_bos=*/true);
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(r.out, absl::StrCat("2 ", OptStyleId(15496), " ", OptStyleId(995), "\n"));
  r = Tokenize(opt_, "", true);
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(r.out, "2\n");
  r = Tokenize(gpt2_, "Hello", true);
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(r.out, "50256 15496\n");
}

TEST_F(BinqRunTokenizeTest, MatchesTheLibraryOnALargeInput) {
  std::string text;
  for (int i = 0; text.size() < 2'000'000; ++i) {
    text += " = Section " + std::to_string(i) + " = \n The café's naïve crew , 1 @,@ 000 strong 🙂 \n";
  }
  auto tokenizer = core::LoadTokenizer(opt_);
  ASSERT_TRUE(tokenizer.ok()) << tokenizer.status();
  auto ids = (*tokenizer)->Encode(text);
  ASSERT_TRUE(ids.ok());
  const ProcessResult r = Tokenize(opt_, text);
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(r.out, absl::StrJoin(*ids, " ") + "\n");
}

TEST_F(BinqRunTokenizeTest, MissingDirectoryIsNotFound) {
  const ProcessResult r = Tokenize(root_ + "/no-such-model", "Hello");
  EXPECT_EQ(r.exit_code, 3);
  EXPECT_THAT(r.err, HasSubstr("binq-run tokenize: error: tokenizer directory " + root_ +
                               "/no-such-model: not found"));
  EXPECT_EQ(r.out, "");
}

TEST_F(BinqRunTokenizeTest, MissingMergesIsNotFound) {
  std::remove((gpt2_ + "/merges.txt").c_str());
  const ProcessResult r = Tokenize(gpt2_, "Hello");
  EXPECT_EQ(r.exit_code, 3);
  EXPECT_THAT(r.err, HasSubstr(gpt2_ + "/merges.txt: not found"));
}

TEST_F(BinqRunTokenizeTest, InvalidUtf8IsRejected) {
  const ProcessResult r = Tokenize(gpt2_, "caf\xC3\x65 au lait");
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_THAT(
      r.err,
      HasSubstr("stdin: text is not valid UTF-8 at byte offset 3 (byte 0xc3: invalid continuation byte)"));
  EXPECT_EQ(r.out, "");
}

TEST_F(BinqRunTokenizeTest, TokenizerFlagIsRequired) {
  const ProcessResult r = RunProcess({kBinqRun, "tokenize"}, "Hello");
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_THAT(r.err, HasSubstr("--tokenizer is required"));
}

}  // namespace
}  // namespace binq
