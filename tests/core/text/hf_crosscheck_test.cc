// binq's tokenizer against Hugging Face's on ~600 generated texts per
// tokenizer (mixed scripts, digits, contractions, whitespace runs, CR/LF,
// emoji, combining marks, NUL, special-token strings): hf_crosscheck.py runs
// transformers' AutoTokenizer.from_pretrained(dir, use_fast=False) and a
// plain BPE over Python `regex`'s pre-tokenization, and every id must match.
// Needs the test Python (BINQ_PYTHON, .venv) with transformers and regex.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "absl/strings/str_split.h"
#include "core/text/bpe_tokenizer.h"
#include "core/text/gpt2_pretokenizer.h"
#include "core/text/tokenizer_loader.h"
#include "nlohmann/json.hpp"
#include "tests/testing/status_matchers.h"
#include "tests/testing/subprocess.h"
#include "tests/testing/tokenizer_dirs.h"

namespace binq::core {
namespace {

// Runs the script on `dir`; the rows, or empty after a skip or failure.
std::vector<nlohmann::json> ReferenceRows(const std::string& dir, std::string* skip_reason) {
  const std::string python = BINQ_PYTHON;
  if (python.empty()) {
    *skip_reason = "no Python configured (BINQ_PYTHON)";
    return {};
  }
  const testing::ProcessResult probe = testing::RunProcess({python, "-c", "import transformers, regex"});
  if (probe.exit_code != 0) {
    *skip_reason =
        python + " lacks transformers or regex (tools/dev/install_deps.sh installs them): " + probe.err;
    return {};
  }
  const std::string out = dir + "/reference.jsonl";
  const testing::ProcessResult r =
      testing::RunProcess({python, std::string(BINQ_SOURCE_DIR) + "/tests/core/text/hf_crosscheck.py",
                           "--tokenizer", dir, "--out", out});
  EXPECT_EQ(r.exit_code, 0) << r.err;
  std::vector<nlohmann::json> rows;
  for (absl::string_view line : absl::StrSplit(testing::ReadTextFile(out), '\n', absl::SkipEmpty())) {
    rows.push_back(nlohmann::json::parse(line));
  }
  return rows;
}

// Checks every row; counts the rows that carried transformers' ids.
void CheckRows(const std::vector<nlohmann::json>& rows, const BpeTokenizer& loaded, const BpeTokenizer& plain,
               int* hf_rows) {
  for (const nlohmann::json& row : rows) {
    const std::string text = row["text"];
    const std::string shown = ::testing::PrintToString(text);
    EXPECT_EQ(SplitGpt2Pretokens(text), row["pieces"].get<std::vector<std::string>>()) << shown;
    auto plain_ids = plain.Encode(text);
    ASSERT_TRUE(plain_ids.ok()) << plain_ids.status();
    EXPECT_EQ(*plain_ids, row["ref"].get<std::vector<int32_t>>()) << shown;
    EXPECT_EQ(plain.Decode(*plain_ids), text) << shown;
    if (row["set"] != "hf") continue;
    ++*hf_rows;
    auto ids = loaded.Encode(text);
    ASSERT_TRUE(ids.ok()) << ids.status();
    EXPECT_EQ(*ids, row["hf"].get<std::vector<int32_t>>()) << shown;
    auto model_ids = loaded.EncodeForModel(text);
    ASSERT_TRUE(model_ids.ok()) << model_ids.status();
    EXPECT_EQ(*model_ids, row["hf_model"].get<std::vector<int32_t>>()) << shown;
    EXPECT_EQ(loaded.Decode(*ids), text) << shown;
  }
}

void CrossCheck(const std::string& dir) {
  std::string skip_reason;
  const std::vector<nlohmann::json> rows = ReferenceRows(dir, &skip_reason);
  if (!skip_reason.empty()) GTEST_SKIP() << skip_reason;
  ASSERT_EQ(rows.size(), 600u);
  BINQ_ASSERT_OK_AND_ASSIGN(auto loaded, LoadBpeTokenizer(dir));
  BINQ_ASSERT_OK_AND_ASSIGN(auto plain, BpeTokenizer::FromFiles(dir + "/vocab.json", dir + "/merges.txt"));
  int hf_rows = 0;
  CheckRows(rows, *loaded, *plain, &hf_rows);
  EXPECT_EQ(hf_rows, 400);
}

TEST(HfCrossCheck, Gpt2) {
  const std::string dir = testing::MakeTempDir() + "/gpt2";
  testing::MakeGpt2TokenizerDir(dir);
  CrossCheck(dir);
}

TEST(HfCrossCheck, OptStyle) {
  const std::string dir = testing::MakeTempDir() + "/opt";
  testing::MakeOptStyleTokenizerDir(dir);
  CrossCheck(dir);
}

}  // namespace
}  // namespace binq::core
