#include "core/text/tokenizer_config.h"

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "core/base/status_macros.h"
#include "core/text/json_file.h"

namespace binq::core {

using nlohmann::json;

bool TokenizerSideFiles::legacy_files() const {
  return !(tokenizer_config.has_value() &&
           tokenizer_config->contains("added_tokens_decoder"));
}

absl::StatusOr<TokenizerSideFiles> ReadTokenizerSideFiles(
    const std::string& model_dir) {
  TokenizerSideFiles f;
  f.dir = model_dir + "/";
  f.config_path = f.dir + "config.json";
  f.tokenizer_config_path = f.dir + "tokenizer_config.json";
  f.special_map_path = f.dir + "special_tokens_map.json";
  f.added_path = f.dir + "added_tokens.json";
  BINQ_ASSIGN_OR_RETURN(f.config, ReadJsonObjectIfPresent(f.config_path));
  BINQ_ASSIGN_OR_RETURN(f.tokenizer_config,
                        ReadJsonObjectIfPresent(f.tokenizer_config_path));
  BINQ_ASSIGN_OR_RETURN(f.special_map,
                        ReadJsonObjectIfPresent(f.special_map_path));
  BINQ_ASSIGN_OR_RETURN(f.added_json, ReadJsonObjectIfPresent(f.added_path));
  if (f.config.has_value() && f.config->contains("model_type") &&
      (*f.config)["model_type"].is_string()) {
    f.model_type = (*f.config)["model_type"].get<std::string>();
  }
  if (f.tokenizer_config.has_value() &&
      f.tokenizer_config->contains("tokenizer_class") &&
      (*f.tokenizer_config)["tokenizer_class"].is_string()) {
    f.tokenizer_class =
        (*f.tokenizer_config)["tokenizer_class"].get<std::string>();
  }
  return f;
}

absl::StatusOr<std::optional<std::string>> TokenContent(
    const json& value, const std::string& file, const std::string& field) {
  if (value.is_null()) return std::optional<std::string>();
  if (value.is_string())
    return std::optional<std::string>(value.get<std::string>());
  if (value.is_object() && value.contains("content") &&
      value["content"].is_string()) {
    for (const char* flag : {"lstrip", "rstrip", "single_word"}) {
      if (value.contains(flag) && value[flag].is_boolean() &&
          value[flag].get<bool>()) {
        return absl::UnimplementedError(absl::StrCat(
            file, ": ", field, " '", value["content"].get<std::string>(),
            "' has ", flag, "=true, which binq does not implement"));
      }
    }
    return std::optional<std::string>(value["content"].get<std::string>());
  }
  return absl::DataLossError(
      absl::StrCat(file, ": ", field,
                   " must be a string, an object with a string "
                   "'content', or null; got ",
                   ShortJson(value)));
}

absl::StatusOr<bool> OptionalBool(const json& j, const std::string& key,
                                  const std::string& file) {
  BINQ_ASSIGN_OR_RETURN(const std::optional<bool> value,
                        OptionalTriState(j, key, file));
  return value.value_or(false);
}

absl::StatusOr<std::optional<bool>> OptionalTriState(const json& j,
                                                     const std::string& key,
                                                     const std::string& file) {
  if (!j.contains(key) || j[key].is_null()) return std::optional<bool>();
  if (!j[key].is_boolean())
    return absl::DataLossError(
        absl::StrCat(file, ": ", key, " must be true or false"));
  return std::optional<bool>(j[key].get<bool>());
}

SpecialTokens::SpecialTokens(std::optional<std::string> bos,
                             std::optional<std::string> eos,
                             std::optional<std::string> unk,
                             std::optional<std::string> pad)
    : named{{"bos_token", std::move(bos)}, {"eos_token", std::move(eos)},
            {"unk_token", std::move(unk)}, {"sep_token", std::nullopt},
            {"pad_token", std::move(pad)}, {"cls_token", std::nullopt},
            {"mask_token", std::nullopt}} {}

absl::Status SpecialTokens::Apply(const json& j, const std::string& file) {
  for (auto& [name, content] : named) {
    if (!j.contains(name)) continue;
    BINQ_ASSIGN_OR_RETURN(content, TokenContent(j[name], file, name));
  }
  // transformers 5 writes additional_special_tokens as extra_special_tokens.
  for (const char* key :
       {"additional_special_tokens", "extra_special_tokens"}) {
    if (!j.contains(key) || j[key].is_null()) continue;
    const json& list = j[key];
    if (!list.is_array()) {
      // (A dict form of extra_special_tokens names model-specific tokens, not
      // matched in text.)
      if (list.is_object()) continue;
      return absl::DataLossError(
          absl::StrCat(file, ": ", key, " must be a list"));
    }
    additional.clear();
    for (const json& value : list) {
      BINQ_ASSIGN_OR_RETURN(std::optional<std::string> content,
                            TokenContent(value, file, key));
      if (content.has_value()) additional.push_back(*content);
    }
  }
  return absl::OkStatus();
}

std::vector<std::string> SpecialTokens::All() const {
  std::vector<std::string> all;
  for (const auto& [name, content] : named) {
    if (content.has_value() && !content->empty()) all.push_back(*content);
  }
  for (const std::string& content : additional) {
    if (!content.empty()) all.push_back(content);
  }
  return all;
}

absl::StatusOr<std::vector<ConfiguredToken>> ConfiguredAddedTokens(
    const TokenizerSideFiles& files) {
  std::vector<ConfiguredToken> tokens;
  if (files.tokenizer_config.has_value()) {
    const json& tc = *files.tokenizer_config;
    // {"50257": {"content": ..., "special": ..., ...}}: tokens with their ids.
    if (tc.contains("added_tokens_decoder") &&
        tc["added_tokens_decoder"].is_object()) {
      for (const auto& [key, value] : tc["added_tokens_decoder"].items()) {
        int32_t id = -1;
        if (!absl::SimpleAtoi(key, &id) || id < 0) {
          return absl::DataLossError(absl::StrCat(
              files.tokenizer_config_path, ": added_tokens_decoder key '", key,
              "' is not an id"));
        }
        BINQ_ASSIGN_OR_RETURN(std::optional<std::string> content,
                              TokenContent(value, files.tokenizer_config_path,
                                           "added_tokens_decoder"));
        if (content.has_value()) tokens.push_back({*content, id});
      }
    }
  }
  if (files.legacy_files() && files.added_json.has_value()) {
    for (const auto& [content, value] : files.added_json->items()) {
      if (!value.is_number_integer() || value.get<int64_t>() < 0 ||
          value.get<int64_t>() > INT32_MAX) {
        return absl::DataLossError(absl::StrCat(
            files.added_path, ": '", content, "' must map to an id >= 0"));
      }
      tokens.push_back({content, static_cast<int32_t>(value.get<int64_t>())});
    }
  }
  return tokens;
}

absl::Status ApplySpecialTokens(const TokenizerSideFiles& files,
                                SpecialTokens* special) {
  if (files.tokenizer_config.has_value()) {
    BINQ_RETURN_IF_ERROR(
        special->Apply(*files.tokenizer_config, files.tokenizer_config_path));
  }
  if (files.legacy_files() && files.special_map.has_value()) {
    BINQ_RETURN_IF_ERROR(
        special->Apply(*files.special_map, files.special_map_path));
  }
  return absl::OkStatus();
}

}  // namespace binq::core
