// binq's SentencePiece BPE (core/text/sentencepiece_model.h) against
// Debian's libsentencepiece on the two fixture models, with and without the
// dummy prefix, on the golden strings and on 3,000 generated texts (user-
// defined pieces, runs of spaces and newlines, byte-fallback characters,
// mixed scripts): every id, and the decoded text, must match. Also malformed
// model bytes.
#include "core/text/sentencepiece_model.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <random>
#include <string>
#include <vector>

#include "absl/strings/str_split.h"
#include "core/text/utf8.h"
#include "nlohmann/json.hpp"
#include "tests/core/text/sentencepiece_reference.h"
#include "tests/testing/status_matchers.h"
#include "tests/testing/tokenizer_dirs.h"

namespace binq::core::sp_internal {
namespace {

using ::testing::HasSubstr;
using testing::StatusIs;

std::string Fixture(const std::string& name) {
  return std::string(BINQ_TEST_DATA_DIR) + "/" + name;
}

std::vector<std::string> Texts(const std::string& fixture) {
  std::vector<std::string> texts;
  for (absl::string_view line :
       absl::StrSplit(testing::ReadTextFile(Fixture(fixture) + "/golden.jsonl"),
                      '\n', absl::SkipEmpty())) {
    texts.push_back(nlohmann::json::parse(line)["text"]);
  }
  const std::vector<std::string> parts = {"the",
                                          "LORD",
                                          "And",
                                          " ",
                                          "  ",
                                          "    ",
                                          "\n",
                                          "\n\n",
                                          "\n\n\n\n",
                                          "\t",
                                          "\t\t",
                                          "<start_of_turn>",
                                          "<end_of_turn>",
                                          "<b>",
                                          "</b>",
                                          "<s>",
                                          "<unk>",
                                          "1234567",
                                          "3.14",
                                          "café",
                                          "日本語",
                                          "Привет",
                                          "🙂",
                                          "👨\u200d👩",
                                          "\xE2\x96\x81",
                                          "\xE2\x96\x81\xE2\x96\x81",
                                          "é",
                                          "e\xCC\x81",
                                          "\xC2\xA0",
                                          "\r\n",
                                          "ʼ",
                                          "x",
                                          "-",
                                          "'s",
                                          "ǅ",
                                          "\xF0\x9F\x87\xA9\xF0\x9F\x87\xAA",
                                          "\x01",
                                          "Ἐν"};
  std::mt19937 rng(20261208);
  std::uniform_int_distribution<int> count(0, 25),
      pick(0, static_cast<int>(parts.size()) - 1), cp_kind(0, 9);
  for (int i = 0; i < 3000; ++i) {
    std::string text;
    const int n = count(rng);
    for (int k = 0; k < n; ++k) {
      if (cp_kind(rng) == 0) {  // any scalar value
        char32_t cp = std::uniform_int_distribution<uint32_t>(1, 0x10FFFF)(rng);
        if (cp >= 0xD800 && cp < 0xE000) cp = 0x20AC;
        AppendUtf8(cp, &text);
      } else {
        text += parts[pick(rng)];
      }
    }
    texts.push_back(text);
  }
  return texts;
}

void Compare(const std::string& fixture, bool disable_dummy_prefix) {
  const std::string bytes =
      testing::ReadTextFile(Fixture(fixture) + "/tokenizer.model");
  std::string error;
  auto reference = testing::SentencePieceReference::Load(
      bytes, disable_dummy_prefix, &error);
  ASSERT_NE(reference, nullptr) << error;
  BINQ_ASSERT_OK_AND_ASSIGN(
      auto model, SentencePieceModel::Load(bytes, disable_dummy_prefix));
  ASSERT_EQ(model->size(), reference->size());
  EXPECT_EQ(model->unk_id(), reference->unk_id());
  for (int id = 0; id < model->size(); ++id) {
    ASSERT_EQ(model->IdToPiece(id), reference->IdToPiece(id));
    EXPECT_EQ(model->IsControl(id), reference->IsControl(id)) << id;
    EXPECT_EQ(model->IsUnknown(id), reference->IsUnknown(id)) << id;
    EXPECT_EQ(model->PieceToId(model->IdToPiece(id)),
              reference->PieceToId(reference->IdToPiece(id)))
        << id;
  }
  int checked = 0;
  for (const std::string& text : Texts(fixture)) {
    std::vector<int> expected;
    ASSERT_TRUE(reference->Encode(text, &expected, &error)) << error;
    const std::vector<int> ids = model->Encode(text);
    EXPECT_EQ(ids, expected)
        << fixture << ": " << ::testing::PrintToString(text);
    EXPECT_EQ(model->Decode(ids), reference->Decode(expected))
        << fixture << ": " << ::testing::PrintToString(text);
    ++checked;
  }
  EXPECT_GT(checked, 3000);
}

TEST(SentencePieceModel, MatchesTheLibraryLlama) {
  Compare("sentencepiece-llama", false);
}
TEST(SentencePieceModel, MatchesTheLibraryLlamaWithoutDummyPrefix) {
  Compare("sentencepiece-llama", true);
}
TEST(SentencePieceModel, MatchesTheLibraryGemma) {
  Compare("sentencepiece-gemma", false);
}

TEST(SentencePieceModel, MalformedBytesAreRefused) {
  EXPECT_THAT(SentencePieceModel::Load("sentencepiece", false),
              StatusIs(absl::StatusCode::kDataLoss,
                       HasSubstr("not a SentencePiece model")));
  EXPECT_THAT(SentencePieceModel::Load("", false),
              StatusIs(absl::StatusCode::kDataLoss, HasSubstr("no pieces")));
  const std::string bytes = testing::ReadTextFile(
      Fixture("sentencepiece-llama") + "/tokenizer.model");
  EXPECT_THAT(
      SentencePieceModel::Load(bytes.substr(0, bytes.size() / 2), false),
      StatusIs(absl::StatusCode::kDataLoss, HasSubstr("malformed")));
  // TrainerSpec.model_type = UNIGRAM (1), appended: the last value wins.
  EXPECT_THAT(SentencePieceModel::Load(
                  bytes + std::string("\x12\x02\x18\x01", 4), false),
              StatusIs(absl::StatusCode::kUnimplemented,
                       HasSubstr("model_type 1 is not supported")));
}

// Corrupted models are refused or load and encode without crashing (the
// bytes come from a model folder, so from anyone).
TEST(SentencePieceModel, CorruptedBytesDoNotCrash) {
  const std::string bytes = testing::ReadTextFile(Fixture("sentencepiece-gemma") + "/tokenizer.model");
  std::mt19937 rng(7);
  std::uniform_int_distribution<size_t> position(0, bytes.size() - 1);
  std::uniform_int_distribution<int> value(0, 255);
  int loaded = 0;
  for (int round = 0; round < 300; ++round) {
    std::string mutated = bytes;
    for (int k = 0; k < 4; ++k) mutated[position(rng)] = static_cast<char>(value(rng));
    auto model = SentencePieceModel::Load(mutated, false);
    if (!model.ok()) continue;
    ++loaded;
    const std::vector<int> ids = (*model)->Encode("Hello  world\n\n\tcafé 🙂 <start_of_turn>");
    for (const int id : ids) EXPECT_TRUE(id >= 0 && id < (*model)->size());
  }
  EXPECT_GT(loaded, 0);
}

}  // namespace
}  // namespace binq::core::sp_internal
