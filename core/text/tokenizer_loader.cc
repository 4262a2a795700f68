#include "core/text/tokenizer_loader.h"

#include <sys/stat.h>

#include <fstream>
#include <optional>
#include <sstream>
#include <utility>
#include <vector>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "core/base/status_macros.h"
#include "nlohmann/json.hpp"

namespace binq::core {
namespace {

using nlohmann::json;

bool IsFile(const std::string& path) {
  struct stat st;
  return ::stat(path.c_str(), &st) == 0 && S_ISREG(st.st_mode);
}

bool IsDirectory(const std::string& path) {
  struct stat st;
  return ::stat(path.c_str(), &st) == 0 && S_ISDIR(st.st_mode);
}

// The parsed file, or nullopt when it does not exist. DATA_LOSS naming the
// file when it is not a JSON object.
absl::StatusOr<std::optional<json>> ReadJsonIfPresent(const std::string& path) {
  if (!IsFile(path)) return std::optional<json>();
  std::ifstream in(path, std::ios::binary);
  if (!in) return absl::NotFoundError(absl::StrCat(path, ": cannot open"));
  std::stringstream s;
  s << in.rdbuf();
  json j;
  try {
    j = json::parse(s.str());
  } catch (const json::exception& e) {
    return absl::DataLossError(absl::StrCat(path, ": not valid JSON: ", e.what()));
  }
  if (!j.is_object()) return absl::DataLossError(absl::StrCat(path, ": expected a JSON object"));
  return std::optional<json>(std::move(j));
}

// A token as the tokenizer files write it: "text", {"content": "text", ...}
// (an AddedToken) or null (nullopt). The AddedToken flags binq does not
// implement are refused rather than ignored.
absl::StatusOr<std::optional<std::string>> TokenContent(const json& value, const std::string& file,
                                                        const std::string& field) {
  if (value.is_null()) return std::optional<std::string>();
  if (value.is_string()) return std::optional<std::string>(value.get<std::string>());
  if (value.is_object() && value.contains("content") && value["content"].is_string()) {
    for (const char* flag : {"lstrip", "rstrip", "single_word"}) {
      if (value.contains(flag) && value[flag].is_boolean() && value[flag].get<bool>()) {
        return absl::UnimplementedError(absl::StrCat(file, ": ", field, " '",
                                                     value["content"].get<std::string>(), "' has ", flag,
                                                     "=true, which binq does not implement"));
      }
    }
    return std::optional<std::string>(value["content"].get<std::string>());
  }
  return absl::DataLossError(absl::StrCat(file, ": ", field,
                                          " must be a string, an object with a string "
                                          "'content', or null; got ",
                                          value.dump()));
}

// The special tokens of a GPT2Tokenizer: its defaults, then what the files say.
struct SpecialTokens {
  // transformers' SPECIAL_TOKENS_ATTRIBUTES order, which is also the order in
  // which special tokens missing from the vocabulary get new ids.
  // Field → content (nullopt: none).
  std::vector<std::pair<std::string, std::optional<std::string>>> named = {
      {"bos_token", "<|endoftext|>"}, {"eos_token", "<|endoftext|>"}, {"unk_token", "<|endoftext|>"},
      {"sep_token", std::nullopt},    {"pad_token", std::nullopt},    {"cls_token", std::nullopt},
      {"mask_token", std::nullopt}};
  std::vector<std::string> additional;

  const std::optional<std::string>& bos() const { return named[0].second; }

  // Takes the special tokens `file` defines (a field present overrides, null
  // included).
  absl::Status Apply(const json& j, const std::string& file) {
    for (auto& [name, content] : named) {
      if (!j.contains(name)) continue;
      BINQ_ASSIGN_OR_RETURN(content, TokenContent(j[name], file, name));
    }
    // transformers 5 writes additional_special_tokens as extra_special_tokens.
    for (const char* key : {"additional_special_tokens", "extra_special_tokens"}) {
      if (!j.contains(key) || j[key].is_null()) continue;
      const json& list = j[key];
      if (!list.is_array()) {
        // (A dict form of extra_special_tokens names model-specific tokens, not matched in text.)
        if (list.is_object()) continue;
        return absl::DataLossError(absl::StrCat(file, ": ", key, " must be a list"));
      }
      additional.clear();
      for (const json& value : list) {
        BINQ_ASSIGN_OR_RETURN(std::optional<std::string> content, TokenContent(value, file, key));
        if (content.has_value()) additional.push_back(*content);
      }
    }
    return absl::OkStatus();
  }
};

absl::StatusOr<bool> OptionalBool(const json& j, const std::string& key, const std::string& file) {
  if (!j.contains(key) || j[key].is_null()) return false;
  if (!j[key].is_boolean())
    return absl::DataLossError(absl::StrCat(file, ": ", key, " must be true or false"));
  return j[key].get<bool>();
}

}  // namespace

absl::StatusOr<std::unique_ptr<BpeTokenizer>> LoadBpeTokenizer(const std::string& model_dir) {
  if (!IsDirectory(model_dir)) {
    return absl::NotFoundError(absl::StrCat("tokenizer directory ", model_dir, ": not found"));
  }
  const std::string dir = model_dir + "/";
  const std::string vocab_path = dir + "vocab.json", merges_path = dir + "merges.txt";
  for (const std::string& path : {vocab_path, merges_path}) {
    if (IsFile(path)) continue;
    if (IsFile(dir + "tokenizer.model")) {
      return absl::UnimplementedError(absl::StrCat(model_dir,
                                                   " has a SentencePiece tokenizer.model; binq reads "
                                                   "only byte-level BPE (vocab.json + merges.txt) so far"));
    }
    return absl::NotFoundError(absl::StrCat(path,
                                            ": not found (a byte-level BPE tokenizer needs vocab.json and "
                                            "merges.txt; tokenizer.json alone is not read)"));
  }

  const std::string config_path = dir + "config.json";
  const std::string tokenizer_config_path = dir + "tokenizer_config.json";
  const std::string special_map_path = dir + "special_tokens_map.json";
  const std::string added_path = dir + "added_tokens.json";
  BINQ_ASSIGN_OR_RETURN(const std::optional<json> config, ReadJsonIfPresent(config_path));
  BINQ_ASSIGN_OR_RETURN(const std::optional<json> tokenizer_config, ReadJsonIfPresent(tokenizer_config_path));
  BINQ_ASSIGN_OR_RETURN(const std::optional<json> special_map, ReadJsonIfPresent(special_map_path));
  BINQ_ASSIGN_OR_RETURN(const std::optional<json> added_json, ReadJsonIfPresent(added_path));

  std::string model_type;
  if (config.has_value() && config->contains("model_type") && (*config)["model_type"].is_string()) {
    model_type = (*config)["model_type"].get<std::string>();
  }

  BpeOptions options;
  SpecialTokens special;
  std::optional<bool> add_bos_token;
  if (tokenizer_config.has_value()) {
    const json& tc = *tokenizer_config;
    if (tc.contains("tokenizer_class") && tc["tokenizer_class"].is_string()) {
      const std::string cls = tc["tokenizer_class"].get<std::string>();
      if (cls != "GPT2Tokenizer" && cls != "GPT2TokenizerFast") {
        return absl::UnimplementedError(absl::StrCat(tokenizer_config_path, ": tokenizer_class '", cls,
                                                     "' is not supported (GPT2Tokenizer only)"));
      }
    }
    if (tc.contains("add_bos_token") && !tc["add_bos_token"].is_null()) {
      BINQ_ASSIGN_OR_RETURN(add_bos_token, OptionalBool(tc, "add_bos_token", tokenizer_config_path));
    }
    for (const char* key : {"add_eos_token", "add_prefix_space"}) {
      BINQ_ASSIGN_OR_RETURN(const bool on, OptionalBool(tc, key, tokenizer_config_path));
      if (on) {
        return absl::UnimplementedError(
            absl::StrCat(tokenizer_config_path, ": ", key, "=true is not supported"));
      }
    }
    BINQ_RETURN_IF_ERROR(special.Apply(tc, tokenizer_config_path));
    // {"50257": {"content": ..., "special": ..., ...}}: tokens with their ids.
    if (tc.contains("added_tokens_decoder") && tc["added_tokens_decoder"].is_object()) {
      for (const auto& [key, value] : tc["added_tokens_decoder"].items()) {
        int32_t id = -1;
        if (!absl::SimpleAtoi(key, &id) || id < 0) {
          return absl::DataLossError(
              absl::StrCat(tokenizer_config_path, ": added_tokens_decoder key '", key, "' is not an id"));
        }
        BINQ_ASSIGN_OR_RETURN(std::optional<std::string> content,
                              TokenContent(value, tokenizer_config_path, "added_tokens_decoder"));
        if (content.has_value()) options.added_tokens.push_back({*content, id});
      }
    }
  }
  // The legacy files count only for a tokenizer_config.json without
  // added_tokens_decoder (saved before transformers 4.34), as in transformers.
  const bool legacy = !(tokenizer_config.has_value() && tokenizer_config->contains("added_tokens_decoder"));
  if (legacy && special_map.has_value()) BINQ_RETURN_IF_ERROR(special.Apply(*special_map, special_map_path));
  if (legacy && added_json.has_value()) {
    for (const auto& [content, value] : added_json->items()) {
      if (!value.is_number_integer() || value.get<int64_t>() < 0 || value.get<int64_t>() > INT32_MAX) {
        return absl::DataLossError(absl::StrCat(added_path, ": '", content, "' must map to an id >= 0"));
      }
      options.added_tokens.push_back({content, static_cast<int32_t>(value.get<int64_t>())});
    }
  }
  // Special tokens after the ones with explicit ids, in transformers' order.
  for (const auto& [name, content] : special.named) {
    if (content.has_value() && !content->empty()) options.added_tokens.push_back({*content, -1});
  }
  for (const std::string& content : special.additional) {
    if (!content.empty()) options.added_tokens.push_back({content, -1});
  }
  options.bos_token = special.bos().value_or("");
  options.add_bos = add_bos_token.has_value() ? *add_bos_token : model_type == "opt";

  return BpeTokenizer::FromFiles(vocab_path, merges_path, std::move(options));
}

absl::StatusOr<std::unique_ptr<Tokenizer>> LoadTokenizer(const std::string& model_dir) {
  BINQ_ASSIGN_OR_RETURN(std::unique_ptr<BpeTokenizer> bpe, LoadBpeTokenizer(model_dir));
  return std::unique_ptr<Tokenizer>(std::move(bpe));
}

}  // namespace binq::core
