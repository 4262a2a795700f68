// What the Hugging Face side files of a tokenizer folder say
// (tokenizer_config.json, special_tokens_map.json, added_tokens.json,
// config.json), read as transformers' slow tokenizers read them. Shared by
// the loaders in tokenizer_loader.cc. Internal to core/text.
#ifndef BINQ_CORE_TEXT_TOKENIZER_CONFIG_H_
#define BINQ_CORE_TEXT_TOKENIZER_CONFIG_H_

#include <cstdint>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "nlohmann/json.hpp"

namespace binq::core {

// The side files of `dir` (each nullopt when absent) and their paths.
struct TokenizerSideFiles {
  std::string dir;  // with a trailing '/'
  std::string config_path, tokenizer_config_path, special_map_path, added_path;
  std::optional<nlohmann::json> config, tokenizer_config, special_map,
      added_json;
  std::string model_type;  // config.json model_type, "" when absent
  std::string
      tokenizer_class;  // tokenizer_config.json tokenizer_class, "" when absent

  // True when tokenizer_config.json has no added_tokens_decoder (saved before
  // transformers 4.34): then special_tokens_map.json and added_tokens.json
  // count.
  bool legacy_files() const;
};

// DATA_LOSS naming the file for malformed JSON (or nesting too deep).
[[nodiscard]] absl::StatusOr<TokenizerSideFiles> ReadTokenizerSideFiles(
    const std::string& model_dir);

// A token as the files write it: "text", {"content": "text", ...} (an
// AddedToken) or null (nullopt). AddedToken flags binq does not implement
// (lstrip, rstrip, single_word true) are refused (UNIMPLEMENTED naming file
// and field) rather than ignored.
[[nodiscard]] absl::StatusOr<std::optional<std::string>> TokenContent(
    const nlohmann::json& value, const std::string& file,
    const std::string& field);

// `key` as a bool: false when absent or null; DATA_LOSS naming file and key
// for another type.
[[nodiscard]] absl::StatusOr<bool> OptionalBool(const nlohmann::json& j,
                                                const std::string& key,
                                                const std::string& file);
// nullopt when absent or null.
[[nodiscard]] absl::StatusOr<std::optional<bool>> OptionalTriState(
    const nlohmann::json& j, const std::string& key, const std::string& file);

// The special tokens of a slow tokenizer: its class's defaults, then what the
// files say.
struct SpecialTokens {
  // transformers' SPECIAL_TOKENS_ATTRIBUTES order (bos, eos, unk, sep, pad,
  // cls, mask), which is also the order in which special tokens missing from
  // the vocabulary get new ids. Field → content (nullopt: none).
  std::vector<std::pair<std::string, std::optional<std::string>>> named;
  std::vector<std::string> additional;

  // Defaults: GPT2Tokenizer's ("<|endoftext|>" for bos, eos and unk).
  SpecialTokens()
      : SpecialTokens("<|endoftext|>", "<|endoftext|>", "<|endoftext|>",
                      std::nullopt) {}
  SpecialTokens(std::optional<std::string> bos, std::optional<std::string> eos,
                std::optional<std::string> unk, std::optional<std::string> pad);

  const std::optional<std::string>& bos() const { return named[0].second; }
  const std::optional<std::string>& unk() const { return named[2].second; }

  // Takes the special tokens `file` defines (a field present overrides, null
  // included).
  [[nodiscard]] absl::Status Apply(const nlohmann::json& j,
                                   const std::string& file);
  // Every special token content, non-empty, in the order above.
  std::vector<std::string> All() const;
};

// A token with the id the files give it (-1: none given).
struct ConfiguredToken {
  std::string content;
  int32_t id = -1;
};

// The tokens tokenizer_config.json's added_tokens_decoder lists (or, for
// legacy files, added_tokens.json), with their ids, in file order.
[[nodiscard]] absl::StatusOr<std::vector<ConfiguredToken>>
ConfiguredAddedTokens(const TokenizerSideFiles& files);

// `special` updated from tokenizer_config.json and (legacy files)
// special_tokens_map.json.
[[nodiscard]] absl::Status ApplySpecialTokens(const TokenizerSideFiles& files,
                                              SpecialTokens* special);

}  // namespace binq::core

#endif  // BINQ_CORE_TEXT_TOKENIZER_CONFIG_H_
