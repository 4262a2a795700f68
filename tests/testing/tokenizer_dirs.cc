#include "tests/testing/tokenizer_dirs.h"

#include <gtest/gtest.h>
#include <sys/stat.h>

#include <fstream>
#include <sstream>

#include "nlohmann/json.hpp"

namespace binq::testing {
namespace {

constexpr int kGpt2VocabSize = 50257;

nlohmann::json AddedToken(const std::string& content) {
  return {{"content", content}, {"single_word", false}, {"lstrip", false},
          {"rstrip", false},    {"normalized", true},   {"__type", "AddedToken"}};
}

}  // namespace

std::string Gpt2BpeDataDir() { return std::string(BINQ_TEST_DATA_DIR) + "/gpt2-bpe"; }

void WriteTextFile(const std::string& path, const std::string& contents) {
  std::ofstream out(path, std::ios::binary);
  out << contents;
  ASSERT_TRUE(out.good()) << "cannot write " << path;
}

std::string ReadTextFile(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  EXPECT_TRUE(in.good()) << "cannot read " << path;
  std::stringstream s;
  s << in.rdbuf();
  return s.str();
}

void MakeGpt2TokenizerDir(const std::string& dir) {
  ::mkdir(dir.c_str(), 0755);
  WriteTextFile(dir + "/vocab.json", ReadTextFile(Gpt2BpeDataDir() + "/vocab.json"));
  WriteTextFile(dir + "/merges.txt", ReadTextFile(Gpt2BpeDataDir() + "/merges.txt"));
  WriteTextFile(dir + "/config.json", R"({"model_type": "gpt2", "vocab_size": 50257})");
}

int OptStyleId(int gpt2_id) { return 4 + static_cast<int>((7919LL * gpt2_id) % kGpt2VocabSize); }

void MakeOptStyleTokenizerDir(const std::string& dir) {
  ::mkdir(dir.c_str(), 0755);
  const nlohmann::json gpt2 = nlohmann::json::parse(ReadTextFile(Gpt2BpeDataDir() + "/vocab.json"));
  ASSERT_EQ(gpt2.size(), static_cast<size_t>(kGpt2VocabSize));
  nlohmann::json vocab = {{"<s>", 0}, {"<pad>", 1}, {"</s>", 2}, {"<unk>", 3}};
  for (const auto& [token, id] : gpt2.items()) vocab[token] = OptStyleId(id.get<int>());
  WriteTextFile(dir + "/vocab.json", vocab.dump());
  WriteTextFile(dir + "/merges.txt", ReadTextFile(Gpt2BpeDataDir() + "/merges.txt"));
  const nlohmann::json config = {{"errors", "replace"},
                                 {"unk_token", AddedToken("</s>")},
                                 {"bos_token", AddedToken("</s>")},
                                 {"eos_token", AddedToken("</s>")},
                                 {"pad_token", AddedToken("<pad>")},
                                 {"add_prefix_space", false},
                                 {"add_bos_token", true},
                                 {"special_tokens_map_file", nullptr},
                                 {"name_or_path", "patrickvonplaten/opt-30b"}};
  WriteTextFile(dir + "/tokenizer_config.json", config.dump(2));
  const nlohmann::json special = {{"bos_token", AddedToken("</s>")},
                                  {"eos_token", AddedToken("</s>")},
                                  {"unk_token", AddedToken("</s>")},
                                  {"pad_token", AddedToken("<pad>")}};
  WriteTextFile(dir + "/special_tokens_map.json", special.dump(2));
  WriteTextFile(dir + "/config.json", R"({"model_type": "opt", "vocab_size": 50272})");
}

}  // namespace binq::testing
