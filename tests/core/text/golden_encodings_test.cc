// Every golden encoding of the four LLaMA-family fixtures (tests/data/
// sentencepiece-llama, sentencepiece-gemma, bpe-llama3, bpe-qwen2; their
// README.md says how each reference was made):
//  * `ids` — what the references feed the model: LoadTokenizer(dir)
//    .EncodeForModel(text). For the SentencePiece folders that is the slow
//    tokenizer of transformers 4.57 (use_fast=False) through tokenizer.model;
//    for bpe-llama3 / bpe-qwen2 the `tokenizers` library on tokenizer.json.
//  * `fast_ids` — the `tokenizers` library on the folder's tokenizer.json:
//    LoadHfJsonTokenizer(dir).EncodeForModel(text) (for LLaMA-2 this is the
//    Metaspace + byte_fallback form, which differs from `ids` on texts that
//    start with a space).
//  * `sentencepiece_ids` (LLaMA) — `[1] + SentencePieceProcessor.encode(text)`,
//    which is also what the slow tokenizer with legacy=true (LLaMA-1 folders)
//    gives on texts without special-token strings.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/str_split.h"
#include "core/text/tokenizer_loader.h"
#include "nlohmann/json.hpp"
#include "tests/testing/status_matchers.h"
#include "tests/testing/subprocess.h"
#include "tests/testing/tokenizer_dirs.h"

namespace binq::core {
namespace {

std::string FixtureDir(const std::string& name) {
  return std::string(BINQ_TEST_DATA_DIR) + "/" + name;
}

std::vector<nlohmann::json> GoldenRows(const std::string& name) {
  std::vector<nlohmann::json> rows;
  const std::string text =
      testing::ReadTextFile(FixtureDir(name) + "/golden.jsonl");
  for (absl::string_view line : absl::StrSplit(text, '\n', absl::SkipEmpty())) {
    rows.push_back(nlohmann::json::parse(line));
  }
  return rows;
}

// Checks `field` of every row against `tokenizer`; the number of rows checked.
int CheckField(const std::string& name, const Tokenizer& tokenizer,
               const std::string& field, bool skip_special_text = false) {
  int checked = 0;
  for (const nlohmann::json& row : GoldenRows(name)) {
    const std::string text = row["text"];
    std::string expected_field = field;
    if (!row.contains(field)) {
      if (field != "sentencepiece_ids") continue;
      expected_field = "ids";  // recorded only where it differs from ids
    }
    if (skip_special_text && (text.find("<unk>") != std::string::npos ||
                              text.find("<s>") != std::string::npos ||
                              text.find("</s>") != std::string::npos)) {
      continue;
    }
    auto ids = tokenizer.EncodeForModel(text);
    EXPECT_TRUE(ids.ok()) << ids.status();
    if (!ids.ok()) continue;
    EXPECT_EQ(*ids, row[expected_field].get<std::vector<int32_t>>())
        << name << " " << field << ": " << ::testing::PrintToString(text);
    ++checked;
  }
  return checked;
}

// What the golden file says about BOS, checked against the tokenizer's rule.
void ExpectBos(const std::string& name, const Tokenizer& tokenizer) {
  const nlohmann::json row = GoldenRows(name).front();
  if (row["bos"].is_null()) {
    EXPECT_FALSE(tokenizer.adds_bos()) << name;
  } else {
    EXPECT_TRUE(tokenizer.adds_bos()) << name;
    EXPECT_EQ(tokenizer.bos_id(), row["bos"].get<int32_t>()) << name;
  }
}

TEST(GoldenEncodings, SentencePieceLlamaSlow) {
  EXPECT_EQ(ChooseTokenizer(FixtureDir("sentencepiece-llama")),
            TokenizerChoice::kSentencePiece);
  BINQ_ASSERT_OK_AND_ASSIGN(auto tokenizer,
                            LoadTokenizer(FixtureDir("sentencepiece-llama")));
  ExpectBos("sentencepiece-llama", *tokenizer);
  EXPECT_EQ(CheckField("sentencepiece-llama", *tokenizer, "ids"), 42);
}

TEST(GoldenEncodings, SentencePieceLlamaFastTokenizerJson) {
  BINQ_ASSERT_OK_AND_ASSIGN(
      auto tokenizer, LoadHfJsonTokenizer(FixtureDir("sentencepiece-llama")));
  ExpectBos("sentencepiece-llama", *tokenizer);
  EXPECT_EQ(CheckField("sentencepiece-llama", *tokenizer, "fast_ids"), 42);
}

TEST(GoldenEncodings, SentencePieceLlamaLegacyIsPlainSentencePiece) {
  // A LLaMA-1 folder: the same files without the `legacy` key.
  const std::string dir = testing::MakeTempDir() + "/llama1";
  ASSERT_EQ(std::system(("mkdir -p " + dir + " && cp " +
                         FixtureDir("sentencepiece-llama") +
                         "/tokenizer.model " + dir + "/")
                            .c_str()),
            0);
  nlohmann::json config = nlohmann::json::parse(testing::ReadTextFile(
      FixtureDir("sentencepiece-llama") + "/tokenizer_config.json"));
  config.erase("legacy");
  testing::WriteTextFile(dir + "/tokenizer_config.json", config.dump());
  BINQ_ASSERT_OK_AND_ASSIGN(auto tokenizer, LoadTokenizer(dir));
  EXPECT_GT(CheckField("sentencepiece-llama", *tokenizer, "sentencepiece_ids",
                       /*skip_special_text=*/true),
            40);
  // Special-token text: legacy gives every stretch between them a dummy prefix.
  BINQ_ASSERT_OK_AND_ASSIGN(auto non_legacy,
                            LoadTokenizer(FixtureDir("sentencepiece-llama")));
  auto legacy_ids = tokenizer->Encode("a <unk> b");
  auto new_ids = non_legacy->Encode("a <unk> b");
  ASSERT_TRUE(legacy_ids.ok() && new_ids.ok());
  EXPECT_EQ(legacy_ids->size(), new_ids->size() + 1)
      << "legacy keeps a '▁' piece after <unk>";
}

TEST(GoldenEncodings, SentencePieceGemmaSlow) {
  EXPECT_EQ(ChooseTokenizer(FixtureDir("sentencepiece-gemma")),
            TokenizerChoice::kSentencePiece);
  BINQ_ASSERT_OK_AND_ASSIGN(auto tokenizer,
                            LoadTokenizer(FixtureDir("sentencepiece-gemma")));
  ExpectBos("sentencepiece-gemma", *tokenizer);
  EXPECT_EQ(CheckField("sentencepiece-gemma", *tokenizer, "ids"), 42);
}

TEST(GoldenEncodings, SentencePieceGemmaFastTokenizerJson) {
  BINQ_ASSERT_OK_AND_ASSIGN(
      auto tokenizer, LoadHfJsonTokenizer(FixtureDir("sentencepiece-gemma")));
  ExpectBos("sentencepiece-gemma", *tokenizer);
  EXPECT_EQ(CheckField("sentencepiece-gemma", *tokenizer, "fast_ids"), 42);
}

TEST(GoldenEncodings, ByteLevelLlama3) {
  EXPECT_EQ(ChooseTokenizer(FixtureDir("bpe-llama3")),
            TokenizerChoice::kTokenizerJson);
  BINQ_ASSERT_OK_AND_ASSIGN(auto tokenizer,
                            LoadTokenizer(FixtureDir("bpe-llama3")));
  ExpectBos("bpe-llama3", *tokenizer);
  EXPECT_EQ(CheckField("bpe-llama3", *tokenizer, "ids"), 42);
  EXPECT_EQ(CheckField("bpe-llama3", *tokenizer, "fast_ids"), 42);
}

TEST(GoldenEncodings, ByteLevelQwen2) {
  // Qwen2Tokenizer with vocab.json + merges.txt and tokenizer.json: the file.
  EXPECT_EQ(ChooseTokenizer(FixtureDir("bpe-qwen2")),
            TokenizerChoice::kTokenizerJson);
  BINQ_ASSERT_OK_AND_ASSIGN(auto tokenizer,
                            LoadTokenizer(FixtureDir("bpe-qwen2")));
  ExpectBos("bpe-qwen2", *tokenizer);
  EXPECT_EQ(CheckField("bpe-qwen2", *tokenizer, "ids"), 42);
}

TEST(GoldenEncodings, DecodeGivesTheTextBack) {
  for (const char* name : {"sentencepiece-llama", "sentencepiece-gemma",
                           "bpe-llama3", "bpe-qwen2"}) {
    BINQ_ASSERT_OK_AND_ASSIGN(auto slow, LoadTokenizer(FixtureDir(name)));
    BINQ_ASSERT_OK_AND_ASSIGN(auto fast, LoadHfJsonTokenizer(FixtureDir(name)));
    const bool byte_level = absl::StartsWith(name, "bpe-");
    for (const nlohmann::json& row : GoldenRows(name)) {
      const std::string text = row["text"];
      // SentencePiece tokenizers read a literal "▁" as a space.
      if (!byte_level && text.find("\xE2\x96\x81") != std::string::npos)
        continue;
      const bool starts_with_space = !text.empty() && text[0] == ' ';
      for (const Tokenizer* t : {static_cast<const Tokenizer*>(slow.get()),
                                 static_cast<const Tokenizer*>(fast.get())}) {
        auto ids = t->Encode(text);
        ASSERT_TRUE(ids.ok()) << ids.status();
        const std::string decoded = t->Decode(*ids);
        // SentencePiece decoders drop the one leading space they consider
        // their prefix (as HF's do); byte-level ones give the text exactly.
        if (starts_with_space && decoded.size() + 1 == text.size()) {
          EXPECT_EQ(" " + decoded, text) << name;
        } else {
          EXPECT_EQ(decoded, text)
              << name << ": " << ::testing::PrintToString(text);
        }
      }
    }
  }
}

}  // namespace
}  // namespace binq::core
