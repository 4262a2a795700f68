// binq's tokenizer.json tokenizers against the `tokenizers` library on ~400
// generated texts per fixture (hf_json_crosscheck.py; every id must match,
// BOS included), and the LLaMA-3 / Qwen2 split scanners against Python's
// `regex` running the same patterns on 600 texts (any code point). Needs the
// test Python (BINQ_PYTHON, .venv) with tokenizers and regex; skips saying so
// without them.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "absl/strings/str_split.h"
#include "core/text/llama3_pretokenizer.h"
#include "core/text/tokenizer_loader.h"
#include "nlohmann/json.hpp"
#include "tests/testing/status_matchers.h"
#include "tests/testing/subprocess.h"
#include "tests/testing/tokenizer_dirs.h"

namespace binq::core {
namespace {

std::vector<nlohmann::json> ReferenceRows(const std::string& dir,
                                          std::string* skip_reason) {
  const std::string python = BINQ_PYTHON;
  if (python.empty()) {
    *skip_reason = "no Python configured (BINQ_PYTHON)";
    return {};
  }
  const testing::ProcessResult probe =
      testing::RunProcess({python, "-c", "import tokenizers, regex"});
  if (probe.exit_code != 0) {
    *skip_reason = python +
                   " lacks tokenizers or regex (tools/dev/install_deps.sh "
                   "installs them): " +
                   probe.err;
    return {};
  }
  const std::string out = testing::MakeTempDir() + "/reference.jsonl";
  const testing::ProcessResult r = testing::RunProcess(
      {python,
       std::string(BINQ_SOURCE_DIR) + "/tests/core/text/hf_json_crosscheck.py",
       "--tokenizer", dir, "--out", out});
  EXPECT_EQ(r.exit_code, 0) << r.err;
  std::vector<nlohmann::json> rows;
  for (absl::string_view line :
       absl::StrSplit(testing::ReadTextFile(out), '\n', absl::SkipEmpty())) {
    rows.push_back(nlohmann::json::parse(line));
  }
  return rows;
}

void CrossCheck(const std::string& fixture) {
  const std::string dir = std::string(BINQ_TEST_DATA_DIR) + "/" + fixture;
  std::string skip_reason;
  const std::vector<nlohmann::json> rows = ReferenceRows(dir, &skip_reason);
  if (!skip_reason.empty()) GTEST_SKIP() << skip_reason;
  ASSERT_EQ(rows.size(), 600u);
  BINQ_ASSERT_OK_AND_ASSIGN(auto tokenizer, LoadHfJsonTokenizer(dir));
  int checked = 0;
  for (const nlohmann::json& row : rows) {
    const std::string text = row["text"];
    const std::string shown = ::testing::PrintToString(text);
    EXPECT_EQ(SplitLlama3Pretokens(text, 3),
              row["llama3"].get<std::vector<std::string>>())
        << shown;
    EXPECT_EQ(SplitLlama3Pretokens(text, 1),
              row["qwen2"].get<std::vector<std::string>>())
        << shown;
    if (row["set"] != "hf") continue;
    auto ids = tokenizer->EncodeForModel(text);
    ASSERT_TRUE(ids.ok()) << ids.status();
    EXPECT_EQ(*ids, row["ids"].get<std::vector<int32_t>>())
        << fixture << ": " << shown;
    ++checked;
  }
  EXPECT_EQ(checked, 400);
}

TEST(HfJsonCrossCheck, Llama3) { CrossCheck("bpe-llama3"); }
TEST(HfJsonCrossCheck, Qwen2) { CrossCheck("bpe-qwen2"); }
TEST(HfJsonCrossCheck, Llama2MetaspaceByteFallback) {
  CrossCheck("sentencepiece-llama");
}
TEST(HfJsonCrossCheck, GemmaByteFallback) { CrossCheck("sentencepiece-gemma"); }

}  // namespace
}  // namespace binq::core
