// HfJsonTokenizer on small hand-made tokenizer.json files: each model option
// (byte_fallback, unk and fuse_unk, ignore_merges, merge order), the
// normalizers, pre-tokenizers, added-token flags and post-processors binq
// reads, and a clear error naming the file and field for everything else.
#include "core/text/hf_json_tokenizer.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <random>
#include <string>
#include <vector>

#include "core/text/hf_normalizer.h"
#include "nlohmann/json.hpp"
#include "tests/testing/status_matchers.h"
#include "tests/testing/tokenizer_dirs.h"

namespace binq::core {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;
using testing::StatusIs;
using json = nlohmann::json;

// A character-level BPE over "a", "b", "c" with merges "a b" → "ab", then
// "b c" → "bc", then "ab c" → "abc".
json CharModel() {
  return json{{"type", "BPE"},
              {"vocab",
               {{"a", 0},
                {"b", 1},
                {"c", 2},
                {"ab", 3},
                {"bc", 4},
                {"abc", 5},
                {"<unk>", 6},
                {"<0x7A>", 7},
                {"\xE2\x96\x81", 8}}},
              {"merges", json::array({json::array({"a", "b"}), "b c",
                                      json::array({"ab", "c"})})}};
}

json File(json model, json pre_tokenizer = nullptr, json normalizer = nullptr,
          json post = nullptr, json added = json::array()) {
  return json{{"model", std::move(model)},
              {"pre_tokenizer", std::move(pre_tokenizer)},
              {"normalizer", std::move(normalizer)},
              {"post_processor", std::move(post)},
              {"added_tokens", std::move(added)}};
}

std::vector<int32_t> Ids(const json& file, absl::string_view text) {
  auto t = HfJsonTokenizer::FromContents(file.dump(), {});
  EXPECT_TRUE(t.ok()) << t.status();
  if (!t.ok()) return {};
  auto ids = (*t)->Encode(text);
  EXPECT_TRUE(ids.ok()) << ids.status();
  return ids.ok() ? *ids : std::vector<int32_t>{};
}

TEST(HfJsonTokenizer, MergesByRank) {
  EXPECT_THAT(Ids(File(CharModel()), "abc"),
              ElementsAre(5));  // a b → ab, then ab c
  EXPECT_THAT(Ids(File(CharModel()), "bca"), ElementsAre(4, 0));
}

TEST(HfJsonTokenizer, ByteFallbackThenUnkThenDrop) {
  json model = CharModel();
  EXPECT_THAT(Ids(File(model), "azb"),
              ElementsAre(3));  // no fallback, no unk: dropped (then a b merge)
  model["byte_fallback"] = true;
  EXPECT_THAT(Ids(File(model), "azb"), ElementsAre(0, 7, 1));
  model["unk_token"] = "<unk>";
  EXPECT_THAT(Ids(File(model), "ayyb"),
              ElementsAre(0, 6, 6, 1));  // no <0x79>: unk
  model["fuse_unk"] = true;
  EXPECT_THAT(Ids(File(model), "ayyb"), ElementsAre(0, 6, 1));
}

TEST(HfJsonTokenizer, IgnoreMerges) {
  json model = CharModel();
  model["merges"] = json::array({"a b"});
  EXPECT_THAT(Ids(File(model), "abc"), ElementsAre(3, 2));
  model["ignore_merges"] = true;
  EXPECT_THAT(Ids(File(model), "abc"),
              ElementsAre(5));  // a word in the vocabulary is one token
}

TEST(HfJsonTokenizer, MetaspacePrependsOnlyAtTheStart) {
  const json metaspace = {{"type", "Metaspace"},
                          {"replacement", "\xE2\x96\x81"},
                          {"prepend_scheme", "first"},
                          {"split", false}};
  const json added = json::array({{{"id", 6},
                                   {"content", "<unk>"},
                                   {"special", true},
                                   {"normalized", false}}});
  EXPECT_THAT(
      Ids(File(CharModel(), metaspace, nullptr, nullptr, added), "a b<unk>c"),
      ElementsAre(8, 0, 8, 1, 6, 2));
  EXPECT_THAT(Ids(File(CharModel(), metaspace), " a"),
              ElementsAre(8, 0));  // starts with ▁ already
}

TEST(HfJsonTokenizer, SplitStringBehaviors) {
  auto split = [](const char* behavior) {
    return json{{"type", "Split"},
                {"pattern", {{"String", "b"}}},
                {"behavior", behavior},
                {"invert", false}};
  };
  EXPECT_THAT(Ids(File(CharModel(), split("Isolated")), "abc"),
              ElementsAre(0, 1, 2));
  EXPECT_THAT(Ids(File(CharModel(), split("MergedWithPrevious")), "abc"),
              ElementsAre(3, 2));
  EXPECT_THAT(Ids(File(CharModel(), split("MergedWithNext")), "abc"),
              ElementsAre(0, 4));
  EXPECT_THAT(Ids(File(CharModel(), split("Removed")), "abc"),
              ElementsAre(0, 2));
}

TEST(HfJsonTokenizer, NormalizersAndNormalizedAddedTokens) {
  const json replace = {
      {"type", "Replace"}, {"pattern", {{"String", "c"}}}, {"content", "b"}};
  EXPECT_THAT(Ids(File(CharModel(), nullptr, replace), "ac"), ElementsAre(3));
  const json prepend = {
      {"type", "Sequence"},
      {"normalizers",
       json::array({{{"type", "Prepend"}, {"prepend", "a"}}, replace})}};
  EXPECT_THAT(Ids(File(CharModel(), nullptr, prepend), "c"), ElementsAre(3));
  EXPECT_TRUE(Ids(File(CharModel(), nullptr, prepend), "")
                  .empty());  // nothing to prepend to
  // A normalized added token is matched after normalization: "cc" became "bb".
  const json added = json::array({{{"id", 9},
                                   {"content", "bb"},
                                   {"special", false},
                                   {"normalized", true}}});
  EXPECT_THAT(Ids(File(CharModel(), nullptr, replace, nullptr, added), "acc"),
              ElementsAre(0, 9));
}

TEST(HfJsonTokenizer, NfcComposes) {
  EXPECT_EQ(NfcNormalize("e\xCC\x81"), "\xC3\xA9");  // e + U+0301 → é
  EXPECT_EQ(NfcNormalize("plain"), "plain");
  EXPECT_EQ(NfcNormalize("\xE2\x84\xAB"),
            "\xC3\x85");  // U+212B ANGSTROM SIGN → Å
}

TEST(HfJsonTokenizer, AddedTokenStripFlags) {
  const json added = json::array({{{"id", 9},
                                   {"content", "<m>"},
                                   {"special", true},
                                   {"lstrip", true},
                                   {"rstrip", true}}});
  const json metaspace = {{"type", "Metaspace"},
                          {"replacement", "\xE2\x96\x81"},
                          {"prepend_scheme", "never"},
                          {"split", false}};
  EXPECT_THAT(
      Ids(File(CharModel(), metaspace, nullptr, nullptr, added), "a <m> b"),
      ElementsAre(0, 9, 1));
}

TEST(HfJsonTokenizer, AddedTokenInTheVocabularyKeepsItsId) {
  const json added = json::array({{{"id", 42},
                                   {"content", "ab"},
                                   {"special", true},
                                   {"normalized", false}}});
  EXPECT_THAT(Ids(File(CharModel(), nullptr, nullptr, nullptr, added), "cab"),
              ElementsAre(2, 3));
}

TEST(HfJsonTokenizer, TemplateDecidesBos) {
  const json added =
      json::array({{{"id", 6}, {"content", "<unk>"}, {"special", true}}});
  const json post = {
      {"type", "TemplateProcessing"},
      {"single",
       json::array({{{"SpecialToken", {{"id", "<unk>"}, {"type_id", 0}}}},
                    {{"Sequence", {{"id", "A"}, {"type_id", 0}}}}})},
      {"special_tokens",
       {{"<unk>", {{"id", "<unk>"}, {"ids", {6}}, {"tokens", {"<unk>"}}}}}}};
  BINQ_ASSERT_OK_AND_ASSIGN(
      auto t, HfJsonTokenizer::FromContents(
                  File(CharModel(), nullptr, nullptr, post, added).dump(), {}));
  EXPECT_TRUE(t->adds_bos());
  EXPECT_EQ(t->bos_id(), 6);
  BINQ_ASSERT_OK_AND_ASSIGN(
      auto none, HfJsonTokenizer::FromContents(File(CharModel()).dump(), {}));
  EXPECT_FALSE(none->adds_bos());
  HfJsonOptions off;
  off.add_bos = false;
  BINQ_ASSERT_OK_AND_ASSIGN(
      auto overridden,
      HfJsonTokenizer::FromContents(
          File(CharModel(), nullptr, nullptr, post, added).dump(), off));
  EXPECT_FALSE(overridden->adds_bos());
  json eos = post;
  eos["single"].push_back(
      {{"SpecialToken", {{"id", "<unk>"}, {"type_id", 0}}}});
  EXPECT_THAT(
      HfJsonTokenizer::FromContents(
          File(CharModel(), nullptr, nullptr, eos, added).dump(), {}, "t.json"),
      StatusIs(
          absl::StatusCode::kUnimplemented,
          HasSubstr(
              "t.json: post_processor adds 1 token(s) before and 1 after")));
}

TEST(HfJsonTokenizer, BadFilesAreNamed) {
  auto load = [](const std::string& text) {
    return HfJsonTokenizer::FromContents(text, {}, "/m/tokenizer.json");
  };
  EXPECT_THAT(load("{"),
              StatusIs(absl::StatusCode::kDataLoss,
                       HasSubstr("/m/tokenizer.json: not valid JSON")));
  EXPECT_THAT(
      load(std::string(100000, '[') + std::string(100000, ']')),
      StatusIs(absl::StatusCode::kDataLoss,
               HasSubstr("/m/tokenizer.json: JSON nested deeper than 64")));
  json model = CharModel();
  model["type"] = "Unigram";
  EXPECT_THAT(load(File(model).dump()),
              StatusIs(absl::StatusCode::kUnimplemented,
                       HasSubstr("model type 'Unigram'")));
  model = CharModel();
  model["merges"].push_back("a");
  EXPECT_THAT(load(File(model).dump()), StatusIs(absl::StatusCode::kDataLoss,
                                                 HasSubstr("model.merges[3]")));
  model = CharModel();
  model["merges"].push_back("c c");
  EXPECT_THAT(
      load(File(model).dump()),
      StatusIs(absl::StatusCode::kDataLoss,
               HasSubstr("model.merges[3] ('c', 'c') has a part or result")));
  model = CharModel();
  model["vocab"]["x"] = -1;
  EXPECT_THAT(load(File(model).dump()),
              StatusIs(absl::StatusCode::kDataLoss,
                       HasSubstr("model.vocab['x'] is -1")));
  const json regex = {{"type", "Split"},
                      {"pattern", {{"Regex", "\\w+"}}},
                      {"behavior", "Isolated"}};
  EXPECT_THAT(load(File(CharModel(), regex).dump()),
              StatusIs(absl::StatusCode::kUnimplemented,
                       HasSubstr("Split Regex '\\w+' is not one binq knows")));
  EXPECT_THAT(load(File(CharModel(), json{{"type", "Whitespace"}}).dump()),
              StatusIs(absl::StatusCode::kUnimplemented,
                       HasSubstr("pre_tokenizer type 'Whitespace'")));
  EXPECT_THAT(load(File(CharModel(), nullptr, json{{"type", "NFKC"}}).dump()),
              StatusIs(absl::StatusCode::kUnimplemented,
                       HasSubstr("normalizer type 'NFKC'")));
  EXPECT_THAT(load(File(CharModel(), json{{"type", "ByteLevel"}}).dump()),
              StatusIs(absl::StatusCode::kDataLoss,
                       HasSubstr("no token for byte 0x00")));
  const json single =
      json::array({{{"id", 9}, {"content", "x"}, {"single_word", true}}});
  EXPECT_THAT(load(File(CharModel(), nullptr, nullptr, nullptr, single).dump()),
              StatusIs(absl::StatusCode::kUnimplemented,
                       HasSubstr("added_tokens[0] 'x' has single_word=true")));
  BINQ_ASSERT_OK_AND_ASSIGN(
      auto t, HfJsonTokenizer::FromContents(File(CharModel()).dump(), {}));
  EXPECT_THAT(t->Encode("a\xFF"), StatusIs(absl::StatusCode::kInvalidArgument,
                                           HasSubstr("byte offset 1")));
}

// Any field of a real tokenizer.json (the LLaMA-3 and Gemma fixtures) with a
// value of another type is refused with a status or loads and encodes; no
// exception escapes and nothing crashes.
TEST(HfJsonTokenizer, EveryFieldWithAnotherTypeIsHandled) {
  std::mt19937 rng(11);
  const std::vector<json> replacements = {nullptr, 7, -1, 1e30, "x", "", true, json::array(), json::object(),
                                          json::array({"a", "b"})};
  for (const char* fixture : {"bpe-llama3", "sentencepiece-gemma"}) {
    const json original = json::parse(
        testing::ReadTextFile(std::string(BINQ_TEST_DATA_DIR) + "/" + fixture + "/tokenizer.json"));
    const json flat = original.flatten();
    std::vector<std::string> paths;
    for (const auto& [path, value] : flat.items()) {
      // Every structural field, and a sample of the vocabulary and merges.
      if ((path.rfind("/model/vocab/", 0) != 0 && path.rfind("/model/merges/", 0) != 0) || rng() % 200 == 0) {
        paths.push_back(path);
      }
    }
    for (const std::string& path : paths) {
      json mutated = original;
      mutated[json::json_pointer(path)] = replacements[rng() % replacements.size()];
      auto t = HfJsonTokenizer::FromContents(mutated.dump(), {}, "t.json");
      if (!t.ok()) {
        EXPECT_THAT(t.status().message(), HasSubstr("t.json")) << path;
        continue;
      }
      EXPECT_TRUE((*t)->Encode("Hello  world\n\n<|begin_of_text|> caf\xC3\xA9 <bos>").ok()) << path;
    }
  }
}

}  // namespace
}  // namespace binq::core
