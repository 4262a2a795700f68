// LoadTokenizer on checkpoint-like directories: GPT-2 (no BOS), OPT (BOS
// `</s>` on every call, ALGORITHMS.md §8.2), the BOS rule's cases, and every
// bad directory named in its error.
#include "core/text/tokenizer_loader.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <filesystem>
#include <functional>
#include <string>

#include "nlohmann/json.hpp"
#include "tests/testing/status_matchers.h"
#include "tests/testing/subprocess.h"
#include "tests/testing/tokenizer_dirs.h"

namespace binq::core {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;
using testing::OptStyleId;
using testing::StatusIs;

class TokenizerLoaderTest : public ::testing::Test {
 protected:
  void SetUp() override { root_ = testing::MakeTempDir(); }
  std::string Gpt2Dir() {
    const std::string dir = root_ + "/gpt2";
    testing::MakeGpt2TokenizerDir(dir);
    return dir;
  }
  std::string OptDir() {
    const std::string dir = root_ + "/opt";
    testing::MakeOptStyleTokenizerDir(dir);
    return dir;
  }
  std::string root_;
};

std::vector<int32_t> Ids(const Tokenizer& t, absl::string_view text, bool for_model = false) {
  auto ids = for_model ? t.EncodeForModel(text) : t.Encode(text);
  EXPECT_TRUE(ids.ok()) << ids.status();
  return ids.ok() ? *ids : std::vector<int32_t>{};
}

TEST_F(TokenizerLoaderTest, Gpt2AddsNoBos) {
  BINQ_ASSERT_OK_AND_ASSIGN(auto t, LoadTokenizer(Gpt2Dir()));
  EXPECT_FALSE(t->adds_bos());
  EXPECT_EQ(t->bos_id(), 50256);  // GPT2Tokenizer's default bos_token, <|endoftext|>
  EXPECT_EQ(t->vocab_size(), 50257);
  EXPECT_THAT(Ids(*t, "Hello world", true), ElementsAre(15496, 995));
  // As in transformers, the special token written in the text is that token
  // (the golden file's plain-BPE encoding of it is BpeTokenizer without added
  // tokens).
  EXPECT_THAT(Ids(*t, "<|endoftext|> is just text here"), ElementsAre(50256, 318, 655, 2420, 994));
}

TEST_F(TokenizerLoaderTest, OptPrependsEosAsBosOnEveryCall) {
  BINQ_ASSERT_OK_AND_ASSIGN(auto t, LoadBpeTokenizer(OptDir()));
  EXPECT_TRUE(t->adds_bos());
  EXPECT_EQ(t->bos_id(), 2);
  EXPECT_EQ(t->vocab_size(), 50261);
  EXPECT_EQ(t->TokenToId("</s>"), 2);
  EXPECT_EQ(t->TokenToId("<pad>"), 1);
  EXPECT_THAT(Ids(*t, "Hello world"), ElementsAre(OptStyleId(15496), OptStyleId(995)));
  EXPECT_THAT(Ids(*t, "Hello world", true), ElementsAre(2, OptStyleId(15496), OptStyleId(995)));
  EXPECT_THAT(Ids(*t, "", true), ElementsAre(2));
  // </s> and <pad> are special in the text; <s> and <unk> are not (OPT's unk_token is </s>).
  EXPECT_THAT(Ids(*t, "a</s>b<pad>"), ElementsAre(OptStyleId(64), 2, OptStyleId(65), 1));
  EXPECT_EQ(Ids(*t, "<s>").size(), 3u);
  EXPECT_EQ(t->Decode(Ids(*t, "Hi</s> there", true)), "</s>Hi</s> there");
}

TEST_F(TokenizerLoaderTest, BosRule) {
  // add_bos_token decides when present ...
  const std::string opt = OptDir();
  nlohmann::json config = nlohmann::json::parse(testing::ReadTextFile(opt + "/tokenizer_config.json"));
  config["add_bos_token"] = false;
  testing::WriteTextFile(opt + "/tokenizer_config.json", config.dump());
  BINQ_ASSERT_OK_AND_ASSIGN(auto off, LoadTokenizer(opt));
  EXPECT_FALSE(off->adds_bos());
  EXPECT_EQ(off->bos_id(), 2);
  // ... else model_type "opt" says yes ...
  config.erase("add_bos_token");
  testing::WriteTextFile(opt + "/tokenizer_config.json", config.dump());
  BINQ_ASSERT_OK_AND_ASSIGN(auto by_type, LoadTokenizer(opt));
  EXPECT_TRUE(by_type->adds_bos());
  // ... and anything else no; a GPT-2 that asks for BOS gets <|endoftext|>.
  testing::WriteTextFile(opt + "/config.json", R"({"model_type": "opt-like"})");
  BINQ_ASSERT_OK_AND_ASSIGN(auto other, LoadTokenizer(opt));
  EXPECT_FALSE(other->adds_bos());
  const std::string gpt2 = Gpt2Dir();
  testing::WriteTextFile(gpt2 + "/tokenizer_config.json", R"({"add_bos_token": true})");
  BINQ_ASSERT_OK_AND_ASSIGN(auto gpt2_bos, LoadTokenizer(gpt2));
  EXPECT_THAT(Ids(*gpt2_bos, "Hello", true), ElementsAre(50256, 15496));
}

TEST_F(TokenizerLoaderTest, SpecialTokensMapOverridesTokenizerConfig) {
  const std::string opt = OptDir();
  testing::WriteTextFile(
      opt + "/special_tokens_map.json",
      R"({"bos_token": "<s>", "pad_token": null, "additional_special_tokens": ["<unk>"]})");
  BINQ_ASSERT_OK_AND_ASSIGN(auto t, LoadBpeTokenizer(opt));
  EXPECT_EQ(t->bos_id(), 0);
  EXPECT_THAT(Ids(*t, "x", true), ElementsAre(0, OptStyleId(87)));
  EXPECT_THAT(Ids(*t, "<unk><s>"), ElementsAre(3, 0));
  EXPECT_EQ(Ids(*t, "<pad>").size(), 3u);  // no longer special
}

// Expected ids as transformers 5.23 gives them for the same directories.
TEST_F(TokenizerLoaderTest, AddedTokensGetTheirIds) {
  // New-style config: added_tokens_decoder has the ids; added_tokens.json is
  // then not read (<|tool|> stays plain text); a special token in neither
  // the vocabulary nor the decoder gets the next free id.
  const std::string gpt2 = Gpt2Dir();
  testing::WriteTextFile(gpt2 + "/tokenizer_config.json", R"({
    "added_tokens_decoder": {"50257": {"content": "<|im_start|>", "special": true}},
    "pad_token": "<|pad|>", "additional_special_tokens": ["<|im_start|>"]})");
  testing::WriteTextFile(gpt2 + "/added_tokens.json", R"({"<|tool|>": 50300})");
  BINQ_ASSERT_OK_AND_ASSIGN(auto t, LoadBpeTokenizer(gpt2));
  EXPECT_EQ(t->TokenToId("<|im_start|>"), 50257);
  EXPECT_EQ(t->TokenToId("<|pad|>"), 50258);
  EXPECT_EQ(t->TokenToId("<|tool|>"), std::nullopt);
  EXPECT_THAT(Ids(*t, "<|im_start|><|tool|><|pad|>"), ElementsAre(50257, 27, 91, 25981, 91, 29, 50258));
  // Legacy config (no added_tokens_decoder): added_tokens.json counts.
  testing::WriteTextFile(gpt2 + "/tokenizer_config.json", R"({"pad_token": "<|pad|>"})");
  testing::WriteTextFile(gpt2 + "/added_tokens.json", R"({"<|tool|>": 50257, "<|x|>": 50258})");
  BINQ_ASSERT_OK_AND_ASSIGN(auto legacy, LoadBpeTokenizer(gpt2));
  EXPECT_EQ(legacy->TokenToId("<|pad|>"), 50259);
  EXPECT_EQ(legacy->vocab_size(), 50260);
  EXPECT_THAT(Ids(*legacy, "a<|tool|>b<|pad|>"), ElementsAre(64, 50257, 65, 50259));
}

TEST_F(TokenizerLoaderTest, MissingThingsAreNamed) {
  EXPECT_THAT(
      LoadTokenizer(root_ + "/nope"),
      StatusIs(absl::StatusCode::kNotFound, HasSubstr("tokenizer directory " + root_ + "/nope: not found")));
  const std::string gpt2 = Gpt2Dir();
  std::remove((gpt2 + "/merges.txt").c_str());
  EXPECT_THAT(LoadTokenizer(gpt2),
              StatusIs(absl::StatusCode::kNotFound, HasSubstr(gpt2 + "/merges.txt: not found")));
  // Without merges.txt, a tokenizer.model is the tokenizer (here not a real one).
  testing::WriteTextFile(gpt2 + "/tokenizer.model", "sentencepiece");
  EXPECT_EQ(ChooseTokenizer(gpt2), TokenizerChoice::kSentencePiece);
  EXPECT_THAT(LoadTokenizer(gpt2), StatusIs(absl::StatusCode::kDataLoss,
                                            HasSubstr(gpt2 + "/tokenizer.model: not a SentencePiece model")));
  EXPECT_THAT(LoadBpeTokenizer(gpt2), StatusIs(absl::StatusCode::kUnimplemented, HasSubstr("SentencePiece")));
  std::remove((gpt2 + "/tokenizer.model").c_str());
  std::remove((gpt2 + "/vocab.json").c_str());
  EXPECT_THAT(LoadTokenizer(gpt2),
              StatusIs(absl::StatusCode::kNotFound,
                       HasSubstr(gpt2 + ": no tokenizer files (tokenizer.model, tokenizer.json, or vocab.json")));
}

TEST_F(TokenizerLoaderTest, MalformedOrUnsupportedConfigsAreNamed) {
  const std::string opt = OptDir();
  const std::string config_path = opt + "/tokenizer_config.json";
  const std::string original = testing::ReadTextFile(config_path);
  auto with = [&](const std::string& key, const nlohmann::json& value) {
    nlohmann::json config = nlohmann::json::parse(original);
    config[key] = value;
    testing::WriteTextFile(config_path, config.dump());
    return LoadTokenizer(opt);
  };
  EXPECT_THAT(with("tokenizer_class", "LlamaTokenizer"),
              StatusIs(absl::StatusCode::kUnimplemented,
                       HasSubstr(config_path + ": tokenizer_class 'LlamaTokenizer' is not supported")));
  EXPECT_THAT(with("add_eos_token", true),
              StatusIs(absl::StatusCode::kUnimplemented, HasSubstr("add_eos_token=true is not supported")));
  EXPECT_THAT(with("add_prefix_space", true), StatusIs(absl::StatusCode::kUnimplemented,
                                                       HasSubstr("add_prefix_space=true is not supported")));
  EXPECT_THAT(with("add_bos_token", "yes"),
              StatusIs(absl::StatusCode::kDataLoss, HasSubstr("add_bos_token must be true or false")));
  EXPECT_THAT(with("pad_token", nlohmann::json{{"content", "<pad>"}, {"lstrip", true}}),
              StatusIs(absl::StatusCode::kUnimplemented, HasSubstr("pad_token '<pad>' has lstrip=true")));
  EXPECT_THAT(with("pad_token", 7),
              StatusIs(absl::StatusCode::kDataLoss, HasSubstr("pad_token must be a string")));
  EXPECT_THAT(with("added_tokens_decoder", nlohmann::json{{"x1", {{"content", "<a>"}}}}),
              StatusIs(absl::StatusCode::kDataLoss, HasSubstr("added_tokens_decoder key 'x1' is not an id")));
  EXPECT_TRUE(with("tokenizer_class", "GPT2Tokenizer").ok());
  testing::WriteTextFile(config_path, "{broken");
  EXPECT_THAT(LoadTokenizer(opt),
              StatusIs(absl::StatusCode::kDataLoss, HasSubstr(config_path + ": not valid JSON")));
  testing::WriteTextFile(config_path, original);
  testing::WriteTextFile(opt + "/vocab.json", "[]");
  EXPECT_THAT(LoadTokenizer(opt),
              StatusIs(absl::StatusCode::kDataLoss, HasSubstr(opt + "/vocab.json: expected")));
}

// A copy of a LLaMA-family fixture folder (tests/data) that a test may change.
std::string FixtureCopy(const std::string& name, const std::string& root) {
  const std::string dir = root + "/" + name;
  std::filesystem::copy(std::string(BINQ_TEST_DATA_DIR) + "/" + name, dir);
  return dir;
}

void EditConfig(const std::string& dir, const std::function<void(nlohmann::json*)>& edit) {
  nlohmann::json config = nlohmann::json::parse(testing::ReadTextFile(dir + "/tokenizer_config.json"));
  edit(&config);
  testing::WriteTextFile(dir + "/tokenizer_config.json", config.dump());
}

TEST_F(TokenizerLoaderTest, ChoiceFollowsTheFilesPresent) {
  const std::string llama = FixtureCopy("sentencepiece-llama", root_);
  EXPECT_EQ(ChooseTokenizer(llama), TokenizerChoice::kSentencePiece);
  // The slow tokenizer keeps the space of " x" that the fast one drops.
  BINQ_ASSERT_OK_AND_ASSIGN(auto slow, LoadTokenizer(llama));
  std::remove((llama + "/tokenizer.model").c_str());
  EXPECT_EQ(ChooseTokenizer(llama), TokenizerChoice::kTokenizerJson);
  BINQ_ASSERT_OK_AND_ASSIGN(auto fast, LoadTokenizer(llama));
  EXPECT_EQ(Ids(*slow, " x").size(), Ids(*fast, " x").size() + 1);
  EXPECT_EQ(Ids(*slow, "x"), Ids(*fast, "x"));

  const std::string qwen = FixtureCopy("bpe-qwen2", root_);
  std::remove((qwen + "/tokenizer.json").c_str());  // Qwen2Tokenizer needs its regex and NFC
  EXPECT_EQ(ChooseTokenizer(qwen), TokenizerChoice::kNone);
  EXPECT_THAT(LoadTokenizer(qwen), StatusIs(absl::StatusCode::kUnimplemented,
                                            HasSubstr("tokenizer_class 'Qwen2Tokenizer' is not supported with "
                                                      "the files in " + qwen)));
  EXPECT_EQ(ChooseTokenizer(OptDir()), TokenizerChoice::kByteLevelBpeFiles);
  EXPECT_EQ(TokenizerChoiceName(TokenizerChoice::kSentencePiece), "SentencePiece tokenizer.model");
}

TEST_F(TokenizerLoaderTest, SentencePieceBosRuleAndRefusals) {
  const std::string gemma = FixtureCopy("sentencepiece-gemma", root_);
  BINQ_ASSERT_OK_AND_ASSIGN(auto with_bos, LoadTokenizer(gemma));
  EXPECT_TRUE(with_bos->adds_bos());
  EXPECT_EQ(with_bos->bos_id(), 2);  // <bos>
  EditConfig(gemma, [](nlohmann::json* c) { (*c)["add_bos_token"] = false; });
  BINQ_ASSERT_OK_AND_ASSIGN(auto without, LoadTokenizer(gemma));
  EXPECT_FALSE(without->adds_bos());
  EXPECT_EQ(Ids(*without, "Hello", true), Ids(*without, "Hello"));
  const std::string config = gemma + "/tokenizer_config.json";
  EditConfig(gemma, [](nlohmann::json* c) { (*c)["add_eos_token"] = true; });
  EXPECT_THAT(LoadTokenizer(gemma), StatusIs(absl::StatusCode::kUnimplemented,
                                             HasSubstr(config + ": add_eos_token=true is not supported")));
  EditConfig(gemma, [](nlohmann::json* c) {
    (*c)["add_eos_token"] = false;
    (*c)["sp_model_kwargs"] = {{"enable_sampling", true}};
  });
  EXPECT_THAT(LoadTokenizer(gemma),
              StatusIs(absl::StatusCode::kUnimplemented, HasSubstr(config + ": sp_model_kwargs")));
  EditConfig(gemma, [](nlohmann::json* c) {
    c->erase("sp_model_kwargs");
    (*c)["tokenizer_class"] = "T5Tokenizer";
  });
  std::remove((gemma + "/tokenizer.json").c_str());
  EXPECT_THAT(LoadTokenizer(gemma), StatusIs(absl::StatusCode::kUnimplemented,
                                             HasSubstr("tokenizer_class 'T5Tokenizer' is not supported with "
                                                       "tokenizer.model")));
}

TEST_F(TokenizerLoaderTest, TokenizerJsonBosFollowsAddBosTokenForLlama) {
  const std::string llama = FixtureCopy("sentencepiece-llama", root_);
  std::remove((llama + "/tokenizer.model").c_str());
  EditConfig(llama, [](nlohmann::json* c) { (*c)["add_bos_token"] = false; });
  BINQ_ASSERT_OK_AND_ASSIGN(auto t, LoadTokenizer(llama));
  EXPECT_FALSE(t->adds_bos());
  // LLaMA-3's class (PreTrainedTokenizerFast) keeps the template's BOS.
  const std::string llama3 = FixtureCopy("bpe-llama3", root_);
  EditConfig(llama3, [](nlohmann::json* c) { (*c)["add_bos_token"] = false; });
  BINQ_ASSERT_OK_AND_ASSIGN(auto t3, LoadTokenizer(llama3));
  EXPECT_TRUE(t3->adds_bos());
  EXPECT_EQ(t3->bos_id(), 3000);
}

TEST_F(TokenizerLoaderTest, DeeplyNestedFilesAreRefusedNotCrashed) {
  const std::string opt = OptDir();
  const std::string deep = "{\"vocab_size\": " + std::string(100000, '[') + std::string(100000, ']') + "}";
  testing::WriteTextFile(opt + "/tokenizer_config.json", deep);
  EXPECT_THAT(LoadTokenizer(opt), StatusIs(absl::StatusCode::kDataLoss,
                                           HasSubstr(opt + "/tokenizer_config.json: JSON nested deeper than")));
  std::remove((opt + "/tokenizer_config.json").c_str());
  testing::WriteTextFile(opt + "/vocab.json", "{\"a\": " + std::string(100000, '[') + std::string(100000, ']') + "}");
  EXPECT_THAT(LoadTokenizer(opt), StatusIs(absl::StatusCode::kDataLoss,
                                           HasSubstr(opt + "/vocab.json: JSON nested deeper than")));
}

}  // namespace
}  // namespace binq::core
