// BpeTokenizer: GPT-2's files against the reference encodings in
// tests/data/gpt2-bpe/golden.jsonl (every id of every line), the merge order
// of the slow Hugging Face algorithm on hand-made vocabularies, added
// tokens, decoding, errors, the cache and concurrent use.
#include "core/text/bpe_tokenizer.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <string>
#include <thread>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "nlohmann/json.hpp"
#include "tests/testing/status_matchers.h"
#include "tests/testing/subprocess.h"
#include "tests/testing/tokenizer_dirs.h"

namespace binq::core {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;
using testing::StatusIs;

std::unique_ptr<BpeTokenizer> Gpt2(BpeOptions options = {}) {
  auto t = BpeTokenizer::FromFiles(testing::Gpt2BpeDataDir() + "/vocab.json",
                                   testing::Gpt2BpeDataDir() + "/merges.txt", std::move(options));
  EXPECT_TRUE(t.ok()) << t.status();
  return t.ok() ? std::move(*t) : nullptr;
}

// A byte-level vocabulary: the 256 byte tokens (ids 0-255, in byte order)
// and then `extra` tokens (ids 256, ...), given as plain ASCII.
std::string TinyVocab(const std::vector<std::string>& extra) {
  nlohmann::json vocab = nlohmann::json::object();
  for (int b = 0; b < 256; ++b) vocab[ByteToUnicode()[b]] = b;
  for (size_t i = 0; i < extra.size(); ++i) vocab[extra[i]] = 256 + static_cast<int>(i);
  return vocab.dump();
}

std::vector<int32_t> Ids(const BpeTokenizer& t, absl::string_view text) {
  auto ids = t.Encode(text);
  EXPECT_TRUE(ids.ok()) << ids.status();
  return ids.ok() ? *ids : std::vector<int32_t>{};
}

TEST(BpeTokenizer, MatchesEveryGoldenEncoding) {
  auto t = Gpt2();
  ASSERT_NE(t, nullptr);
  EXPECT_EQ(t->vocab_size(), 50257);
  EXPECT_EQ(t->bos_id(), -1);
  EXPECT_FALSE(t->adds_bos());
  const std::string golden = testing::ReadTextFile(testing::Gpt2BpeDataDir() + "/golden.jsonl");
  int lines = 0;
  for (absl::string_view line : absl::StrSplit(golden, '\n', absl::SkipEmpty())) {
    const nlohmann::json row = nlohmann::json::parse(line);
    const std::string text = row["text"];
    const std::vector<int32_t> expected = row["ids"];
    EXPECT_EQ(Ids(*t, text), expected) << "text: " << ::testing::PrintToString(text);
    EXPECT_EQ(t->Decode(expected), text);
    ++lines;
  }
  EXPECT_EQ(lines, 20);
}

TEST(BpeTokenizer, KnownIds) {
  auto t = Gpt2();
  ASSERT_NE(t, nullptr);
  EXPECT_THAT(Ids(*t, "Hello world"), ElementsAre(15496, 995));
  EXPECT_THAT(Ids(*t, " Hello world"), ElementsAre(18435, 995));
  EXPECT_THAT(Ids(*t, "a\n\nb"), ElementsAre(64, 198, 198, 65));  // "\n\n" before a word is two tokens
  EXPECT_THAT(Ids(*t, ""), ElementsAre());
  EXPECT_EQ(t->TokenToId("Ġthe"), 262);
  EXPECT_EQ(t->TokenToId("<|endoftext|>"), 50256);
  EXPECT_EQ(t->TokenToId("no such token"), std::nullopt);
}

TEST(BpeTokenizer, ByteToUnicodeIsGpt2sMap) {
  const auto& map = ByteToUnicode();
  EXPECT_EQ(map['A'], "A");
  EXPECT_EQ(map[' '], "\xC4\xA0");   // Ġ = U+0120
  EXPECT_EQ(map['\n'], "\xC4\x8A");  // Ċ = U+010A
  EXPECT_EQ(map[0], "\xC4\x80");     // U+0100
  EXPECT_EQ(map[0xAD], "\xC5\x83");  // soft hyphen → U+0143, the last one
  EXPECT_EQ(map[0xE9], "\xC3\xA9");  // é stays
}

// The slow tokenizer merges in rounds: the lowest-ranked pair present, at
// every occurrence left to right, before anything else. With merges
// "ab a" (rank 0) and "a b" (rank 1), "abab" gives [ab, ab]: the round of
// "a b" finishes before "ab a" (created by its first merge) is considered;
// merging pair by pair would give [aba, b].
TEST(BpeTokenizer, MergesInRoundsLikeTheSlowTokenizer) {
  auto t = BpeTokenizer::FromContents(TinyVocab({"ab", "aba"}), "#version: 0.2\nab a\na b\n", {});
  ASSERT_TRUE(t.ok()) << t.status();
  EXPECT_THAT(Ids(**t, "abab"), ElementsAre(256, 256));
  EXPECT_THAT(Ids(**t, "aba"), ElementsAre(257));
}

TEST(BpeTokenizer, OverlappingOccurrencesMergeLeftToRight) {
  auto t = BpeTokenizer::FromContents(TinyVocab({"aa", "aaaa"}), "a a\naa aa\n", {});
  ASSERT_TRUE(t.ok()) << t.status();
  EXPECT_THAT(Ids(**t, "aaa"), ElementsAre(256, 'a'));
  EXPECT_THAT(Ids(**t, "aaaa"), ElementsAre(257));
  EXPECT_THAT(Ids(**t, "aaaaa"), ElementsAre(257, 'a'));
  EXPECT_THAT(Ids(**t, "aaaaaa"), ElementsAre(257, 256));
}

TEST(BpeTokenizer, LowerRankWins) {
  // "b c" outranks "a b": "abc" → a + bc, then nothing merges a with bc.
  auto t = BpeTokenizer::FromContents(TinyVocab({"bc", "ab"}), "b c\na b\n", {});
  ASSERT_TRUE(t.ok()) << t.status();
  EXPECT_THAT(Ids(**t, "abc"), ElementsAre('a', 256));
  EXPECT_THAT(Ids(**t, "abd"), ElementsAre(257, 'd'));
}

TEST(BpeTokenizer, LongPiecesAreNotCachedButMergeTheSame) {
  auto t = Gpt2();
  ASSERT_NE(t, nullptr);
  const std::string long_word(1000, 'a');  // one piece, past the cache's size limit
  const std::vector<int32_t> ids = Ids(*t, long_word);
  EXPECT_EQ(t->cache_size(), 0u);
  EXPECT_EQ(t->Decode(ids), long_word);
  EXPECT_EQ(ids.size(), 250u);  // "aaaa" (id 24794) 250 times, as Python's reference BPE gives
  EXPECT_THAT(ids, ::testing::Each(24794));
}

TEST(BpeTokenizer, CacheGivesTheSameIds) {
  auto t = Gpt2();
  ASSERT_NE(t, nullptr);
  const std::string text = "The cache holds words: words, words and more words.";
  const std::vector<int32_t> first = Ids(*t, text);
  EXPECT_GT(t->cache_size(), 0u);
  EXPECT_EQ(Ids(*t, text), first);
  t->ClearCache();
  EXPECT_EQ(t->cache_size(), 0u);
  EXPECT_EQ(Ids(*t, text), first);
}

TEST(BpeTokenizer, ConcurrentEncodesAgree) {
  auto t = Gpt2();
  ASSERT_NE(t, nullptr);
  std::vector<std::string> texts;
  for (int i = 0; i < 8; ++i) {
    texts.push_back(absl::StrCat("Thread text ", i, ": naïve café ", i * 7919, " 🙂 it's ",
                                 std::string(i, ' '), "end"));
  }
  std::vector<std::vector<int32_t>> expected;
  {
    auto fresh = Gpt2();
    for (const auto& text : texts) expected.push_back(Ids(*fresh, text));
  }
  std::vector<std::thread> threads;
  std::vector<int> mismatches(texts.size(), 0);
  for (size_t k = 0; k < texts.size(); ++k) {
    threads.emplace_back([&, k] {
      for (int round = 0; round < 200; ++round) {
        const size_t i = (k + round) % texts.size();
        auto ids = t->Encode(texts[i]);
        if (!ids.ok() || *ids != expected[i]) ++mismatches[k];
      }
    });
  }
  for (auto& th : threads) th.join();
  for (size_t k = 0; k < texts.size(); ++k) EXPECT_EQ(mismatches[k], 0) << "thread " << k;
}

TEST(BpeTokenizer, InvalidUtf8IsRejectedWithItsOffset) {
  auto t = Gpt2();
  ASSERT_NE(t, nullptr);
  EXPECT_THAT(
      t->Encode("valid start \xC3\x28 then junk"),
      StatusIs(absl::StatusCode::kInvalidArgument,
               HasSubstr("not valid UTF-8 at byte offset 12 (byte 0xc3: invalid continuation byte)")));
  EXPECT_THAT(t->Encode("\xED\xA0\x80"), StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("offset 0")));
}

TEST(BpeTokenizer, AddedTokensAreCutOutLeftmostLongest) {
  BpeOptions options;
  options.added_tokens = {{"<|endoftext|>", -1}, {"<x>", -1}, {"<x><y>", -1},
                          {"<zq", 60000},        {"q>", -1},  {"bc", -1}};
  auto t = Gpt2(options);
  ASSERT_NE(t, nullptr);
  // Ids: from the vocabulary, else the next free one, in order.
  EXPECT_EQ(t->TokenToId("<|endoftext|>"), 50256);
  EXPECT_EQ(t->TokenToId("<x>"), 50257);
  EXPECT_EQ(t->TokenToId("<x><y>"), 50258);
  EXPECT_EQ(t->TokenToId("<zq"), 60000);
  EXPECT_EQ(t->TokenToId("q>"), 60001);
  EXPECT_EQ(t->TokenToId("bc"), 15630);  // a vocabulary token made special keeps its id
  EXPECT_EQ(t->vocab_size(), 60002);

  auto plain = Gpt2();
  EXPECT_THAT(Ids(*t, "Hello<|endoftext|> world"), ElementsAre(15496, 50256, 995));
  EXPECT_THAT(Ids(*t, "<x><y><x>"), ElementsAre(50258, 50257));
  EXPECT_THAT(Ids(*t, "<zq>"), ElementsAre(60000, 29));  // leftmost wins over "q>"
  EXPECT_THAT(Ids(*t, "abc"), ElementsAre(64, 15630));
  // Text between added tokens is pre-tokenized on its own: " " before an
  // added token stays a piece of its own.
  std::vector<int32_t> expected = Ids(*plain, "x ");
  expected.push_back(50257);
  EXPECT_EQ(Ids(*t, "x <x>"), expected);
  // Decoding gives the contents back.
  EXPECT_EQ(t->Decode(Ids(*t, "Hello<|endoftext|> <x><y><zq>")), "Hello<|endoftext|> <x><y><zq>");
}

TEST(BpeTokenizer, DecodeReplacesBrokenUtf8AndSkipsUnknownIds) {
  auto t = Gpt2();
  ASSERT_NE(t, nullptr);
  const std::vector<int32_t> smile = Ids(*t, "\xF0\x9F\x99\x82");  // 🙂: several byte tokens
  ASSERT_GE(smile.size(), 2u);
  EXPECT_EQ(t->Decode({smile[0]}), "\xEF\xBF\xBD");
  EXPECT_EQ(t->Decode({15496, -1, 99999999, 995}), "Hello world");
}

TEST(BpeTokenizer, BosComesFromOptions) {
  BpeOptions options;
  options.added_tokens = {{"<|endoftext|>", -1}};
  options.bos_token = "<|endoftext|>";
  options.add_bos = true;
  auto t = Gpt2(options);
  ASSERT_NE(t, nullptr);
  EXPECT_EQ(t->bos_id(), 50256);
  EXPECT_TRUE(t->adds_bos());
  auto ids = t->EncodeForModel("Hello world");
  ASSERT_TRUE(ids.ok());
  EXPECT_THAT(*ids, ElementsAre(50256, 15496, 995));
  auto empty = t->EncodeForModel("");
  ASSERT_TRUE(empty.ok());
  EXPECT_THAT(*empty, ElementsAre(50256));
  EXPECT_THAT(t->EncodeForModel("\xFF"), StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("offset 0")));

  options.bos_token = "<nope>";
  EXPECT_THAT(BpeTokenizer::FromFiles(testing::Gpt2BpeDataDir() + "/vocab.json",
                                      testing::Gpt2BpeDataDir() + "/merges.txt", options),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("BOS token '<nope>'")));
}

TEST(BpeTokenizer, MalformedFilesAreNamed) {
  const std::string merges = "a b\n";
  EXPECT_THAT(BpeTokenizer::FromContents("{not json", merges, {}, "x/vocab.json"),
              StatusIs(absl::StatusCode::kDataLoss, HasSubstr("x/vocab.json: not valid JSON")));
  EXPECT_THAT(BpeTokenizer::FromContents("[1, 2]", merges, {}),
              StatusIs(absl::StatusCode::kDataLoss, HasSubstr("vocab.json: expected a non-empty object")));
  EXPECT_THAT(BpeTokenizer::FromContents(R"({"a": 0, "b": -4})", merges, {}),
              StatusIs(absl::StatusCode::kDataLoss, HasSubstr("token 'b' has id -4")));
  EXPECT_THAT(BpeTokenizer::FromContents(R"({"a": 0, "b": "one"})", merges, {}),
              StatusIs(absl::StatusCode::kDataLoss, HasSubstr("token 'b' has id \"one\"")));
  EXPECT_THAT(BpeTokenizer::FromContents(R"({"a": 0, "b": 1})", merges, {}),
              StatusIs(absl::StatusCode::kDataLoss, HasSubstr("no token for byte 0x00")));
  EXPECT_THAT(
      BpeTokenizer::FromContents(TinyVocab({"ab"}), "#version: 0.2\na b\na b c\n", {}, "vocab.json",
                                 "m/merges.txt"),
      StatusIs(absl::StatusCode::kDataLoss, HasSubstr("m/merges.txt:3: expected 'left right', got 'a b c'")));
  EXPECT_THAT(BpeTokenizer::FromContents(TinyVocab({}), "a b\n", {}),
              StatusIs(absl::StatusCode::kDataLoss,
                       HasSubstr("merges.txt:1: 'a b' makes 'ab', which is not in vocab.json")));
  EXPECT_THAT(BpeTokenizer::FromFiles("/nonexistent/vocab.json", "/nonexistent/merges.txt"),
              StatusIs(absl::StatusCode::kNotFound, HasSubstr("/nonexistent/vocab.json: cannot open")));
  BpeOptions bad;
  bad.added_tokens = {{"", 5}};
  EXPECT_THAT(BpeTokenizer::FromContents(TinyVocab({}), "", bad),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("non-empty UTF-8 content")));
}

TEST(BpeTokenizer, ToleratesCrlfAndUnreachableMerges) {
  // CRLF line ends; a merge whose part is not in the vocabulary never applies.
  auto t = BpeTokenizer::FromContents(TinyVocab({"ab"}), "#version: 0.2\r\nzz q\r\na b\r\n", {});
  ASSERT_TRUE(t.ok()) << t.status();
  EXPECT_THAT(Ids(**t, "ab"), ElementsAre(256));
}

}  // namespace
}  // namespace binq::core
