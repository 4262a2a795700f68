#include "core/text/tokenizer_loader.h"

#include <algorithm>
#include <optional>
#include <utility>
#include <vector>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "core/base/status_macros.h"
#include "core/text/json_file.h"
#include "core/text/tokenizer_config.h"
#include "nlohmann/json.hpp"

namespace binq::core {
namespace {

using nlohmann::json;

bool IsFile(const std::string& path) { return IsRegularFilePath(path); }
bool IsDirectory(const std::string& path) { return IsDirectoryPath(path); }

bool IsGpt2Class(const std::string& cls) {
  return cls.empty() || cls == "GPT2Tokenizer" || cls == "GPT2TokenizerFast";
}
bool IsLlamaClass(const std::string& cls) {
  return cls == "LlamaTokenizer" || cls == "LlamaTokenizerFast" ||
         cls == "CodeLlamaTokenizer" || cls == "CodeLlamaTokenizerFast";
}
bool IsGemmaClass(const std::string& cls) {
  return cls == "GemmaTokenizer" || cls == "GemmaTokenizerFast";
}

// add_eos_token=true would need EOS appended on every call; refused.
absl::Status RefuseAddEos(const TokenizerSideFiles& files) {
  if (!files.tokenizer_config.has_value()) return absl::OkStatus();
  BINQ_ASSIGN_OR_RETURN(const bool on,
                        OptionalBool(*files.tokenizer_config, "add_eos_token",
                                     files.tokenizer_config_path));
  if (on) {
    return absl::UnimplementedError(absl::StrCat(
        files.tokenizer_config_path, ": add_eos_token=true is not supported"));
  }
  return absl::OkStatus();
}

}  // namespace

absl::StatusOr<std::unique_ptr<BpeTokenizer>> LoadBpeTokenizer(
    const std::string& model_dir) {
  if (!IsDirectory(model_dir)) {
    return absl::NotFoundError(
        absl::StrCat("tokenizer directory ", model_dir, ": not found"));
  }
  const std::string dir = model_dir + "/";
  const std::string vocab_path = dir + "vocab.json",
                    merges_path = dir + "merges.txt";
  for (const std::string& path : {vocab_path, merges_path}) {
    if (IsFile(path)) continue;
    if (IsFile(dir + "tokenizer.model")) {
      return absl::UnimplementedError(
          absl::StrCat(model_dir,
                       " has a SentencePiece tokenizer.model and no byte-level "
                       "BPE files (LoadTokenizer reads it)"));
    }
    return absl::NotFoundError(absl::StrCat(
        path,
        ": not found (a byte-level BPE tokenizer needs vocab.json and "
        "merges.txt; tokenizer.json alone is not read)"));
  }

  BINQ_ASSIGN_OR_RETURN(const TokenizerSideFiles files,
                        ReadTokenizerSideFiles(model_dir));
  const std::string& tokenizer_config_path = files.tokenizer_config_path;

  BpeOptions options;
  SpecialTokens special;  // GPT2Tokenizer's defaults
  std::optional<bool> add_bos_token;
  if (files.tokenizer_config.has_value()) {
    const json& tc = *files.tokenizer_config;
    if (!IsGpt2Class(files.tokenizer_class)) {
      return absl::UnimplementedError(absl::StrCat(
          tokenizer_config_path, ": tokenizer_class '", files.tokenizer_class,
          "' is not supported with vocab.json + merges.txt (GPT2Tokenizer "
          "only; other classes need their "
          "tokenizer.model or tokenizer.json)"));
    }
    BINQ_ASSIGN_OR_RETURN(
        add_bos_token,
        OptionalTriState(tc, "add_bos_token", tokenizer_config_path));
    for (const char* key : {"add_eos_token", "add_prefix_space"}) {
      BINQ_ASSIGN_OR_RETURN(const bool on,
                            OptionalBool(tc, key, tokenizer_config_path));
      if (on) {
        return absl::UnimplementedError(absl::StrCat(
            tokenizer_config_path, ": ", key, "=true is not supported"));
      }
    }
  }
  BINQ_RETURN_IF_ERROR(ApplySpecialTokens(files, &special));
  BINQ_ASSIGN_OR_RETURN(const std::vector<ConfiguredToken> configured,
                        ConfiguredAddedTokens(files));
  for (const ConfiguredToken& token : configured)
    options.added_tokens.push_back({token.content, token.id});
  // Special tokens after the ones with explicit ids, in transformers' order.
  for (const std::string& content : special.All())
    options.added_tokens.push_back({content, -1});
  options.bos_token = special.bos().value_or("");
  options.add_bos =
      add_bos_token.has_value() ? *add_bos_token : files.model_type == "opt";

  return BpeTokenizer::FromFiles(vocab_path, merges_path, std::move(options));
}

absl::StatusOr<std::unique_ptr<SentencePieceTokenizer>>
LoadSentencePieceTokenizer(const std::string& model_dir) {
  if (!IsDirectory(model_dir)) {
    return absl::NotFoundError(
        absl::StrCat("tokenizer directory ", model_dir, ": not found"));
  }
  const std::string model_path = model_dir + "/tokenizer.model";
  if (!IsFile(model_path))
    return absl::NotFoundError(absl::StrCat(model_path, ": not found"));
  BINQ_ASSIGN_OR_RETURN(const TokenizerSideFiles files,
                        ReadTokenizerSideFiles(model_dir));
  const std::string& cls = files.tokenizer_class;
  const bool gemma = IsGemmaClass(cls);
  if (!cls.empty() && !gemma && !IsLlamaClass(cls)) {
    return absl::UnimplementedError(
        absl::StrCat(files.tokenizer_config_path, ": tokenizer_class '", cls,
                     "' is not supported with tokenizer.model (LlamaTokenizer, "
                     "GemmaTokenizer and their Fast forms)"));
  }
  BINQ_RETURN_IF_ERROR(RefuseAddEos(files));
  const json empty = json::object();
  const json& tc =
      files.tokenizer_config.has_value() ? *files.tokenizer_config : empty;
  const std::string& tc_path = files.tokenizer_config_path;
  if (tc.contains("sp_model_kwargs") && !tc["sp_model_kwargs"].is_null() &&
      !(tc["sp_model_kwargs"].is_object() && tc["sp_model_kwargs"].empty())) {
    return absl::UnimplementedError(absl::StrCat(
        tc_path, ": sp_model_kwargs ", ShortJson(tc["sp_model_kwargs"]),
        " is not supported (sampling or other SentencePiece options)"));
  }

  SentencePieceOptions options;
  // LlamaTokenizer: legacy defaults to true (LLaMA-1 folders have no key);
  // GemmaTokenizer never adds a prefix (plain SentencePiece per stretch).
  BINQ_ASSIGN_OR_RETURN(const std::optional<bool> legacy,
                        OptionalTriState(tc, "legacy", tc_path));
  BINQ_ASSIGN_OR_RETURN(const std::optional<bool> prefix,
                        OptionalTriState(tc, "add_prefix_space", tc_path));
  options.mode = !gemma && !legacy.value_or(true)
                     ? SentencePieceMode::kLlamaNonLegacy
                     : SentencePieceMode::kPlain;
  options.add_prefix_space = prefix.value_or(true);
  BINQ_ASSIGN_OR_RETURN(const std::optional<bool> add_bos,
                        OptionalTriState(tc, "add_bos_token", tc_path));
  options.add_bos = add_bos.value_or(true);  // both classes default to true

  SpecialTokens special =
      gemma ? SpecialTokens("<bos>", "<eos>", "<unk>", "<pad>")
            : SpecialTokens("<s>", "</s>", "<unk>", std::nullopt);
  BINQ_RETURN_IF_ERROR(ApplySpecialTokens(files, &special));
  const std::vector<std::string> all_special = special.All();
  auto is_special = [&](const std::string& content) {
    return std::find(all_special.begin(), all_special.end(), content) !=
           all_special.end();
  };
  BINQ_ASSIGN_OR_RETURN(const std::vector<ConfiguredToken> configured,
                        ConfiguredAddedTokens(files));
  for (const ConfiguredToken& token : configured) {
    options.added_tokens.push_back(
        {token.content, token.id, is_special(token.content)});
  }
  for (const std::string& content : all_special)
    options.added_tokens.push_back({content, -1, true});
  options.unk_token = special.unk().value_or("<unk>");
  options.bos_token = special.bos().value_or("");
  return SentencePieceTokenizer::FromFile(model_path, std::move(options));
}

absl::StatusOr<std::unique_ptr<HfJsonTokenizer>> LoadHfJsonTokenizer(
    const std::string& model_dir) {
  if (!IsDirectory(model_dir)) {
    return absl::NotFoundError(
        absl::StrCat("tokenizer directory ", model_dir, ": not found"));
  }
  const std::string json_path = model_dir + "/tokenizer.json";
  if (!IsFile(json_path))
    return absl::NotFoundError(absl::StrCat(json_path, ": not found"));
  BINQ_ASSIGN_OR_RETURN(const TokenizerSideFiles files,
                        ReadTokenizerSideFiles(model_dir));
  HfJsonOptions options;
  // transformers' Llama and Gemma fast tokenizers rebuild the post-processor
  // from add_bos_token; other classes take tokenizer.json's as it is.
  if (IsLlamaClass(files.tokenizer_class) ||
      IsGemmaClass(files.tokenizer_class)) {
    BINQ_RETURN_IF_ERROR(RefuseAddEos(files));
    if (files.tokenizer_config.has_value()) {
      BINQ_ASSIGN_OR_RETURN(
          options.add_bos,
          OptionalTriState(*files.tokenizer_config, "add_bos_token",
                           files.tokenizer_config_path));
    }
    SpecialTokens special(std::nullopt, std::nullopt, std::nullopt,
                          std::nullopt);
    BINQ_RETURN_IF_ERROR(ApplySpecialTokens(files, &special));
    if (options.add_bos.has_value())
      options.bos_token = special.bos().value_or("");
  }
  return HfJsonTokenizer::FromFile(json_path, std::move(options));
}

TokenizerChoice ChooseTokenizer(const std::string& model_dir) {
  const std::string dir = model_dir + "/";
  const bool has_model = IsFile(dir + "tokenizer.model");
  const bool has_json = IsFile(dir + "tokenizer.json");
  const bool has_vocab = IsFile(dir + "vocab.json"),
             has_merges = IsFile(dir + "merges.txt");
  // The class decides between files; a folder whose tokenizer_config.json
  // cannot be read is left to the loaders to report.
  std::string cls;
  auto files = ReadTokenizerSideFiles(model_dir);
  if (files.ok()) cls = files->tokenizer_class;
  const bool sentencepiece_class = IsLlamaClass(cls) || IsGemmaClass(cls);
  if (has_model && (sentencepiece_class ||
                    (cls.empty() && !has_json && !(has_vocab && has_merges)))) {
    return TokenizerChoice::kSentencePiece;
  }
  if (has_vocab && has_merges && IsGpt2Class(cls))
    return TokenizerChoice::kByteLevelBpeFiles;
  if (has_json) return TokenizerChoice::kTokenizerJson;
  if ((has_vocab || has_merges || has_model) && IsGpt2Class(cls))
    return TokenizerChoice::kByteLevelBpeFiles;
  if (has_model) return TokenizerChoice::kSentencePiece;
  return TokenizerChoice::kNone;
}

absl::string_view TokenizerChoiceName(TokenizerChoice choice) {
  switch (choice) {
    case TokenizerChoice::kSentencePiece:
      return "SentencePiece tokenizer.model";
    case TokenizerChoice::kByteLevelBpeFiles:
      return "byte-level BPE vocab.json + merges.txt";
    case TokenizerChoice::kTokenizerJson:
      return "tokenizer.json";
    case TokenizerChoice::kNone:
      break;
  }
  return "none";
}

absl::StatusOr<std::unique_ptr<Tokenizer>> LoadTokenizer(
    const std::string& model_dir) {
  if (!IsDirectory(model_dir)) {
    return absl::NotFoundError(
        absl::StrCat("tokenizer directory ", model_dir, ": not found"));
  }
  switch (ChooseTokenizer(model_dir)) {
    case TokenizerChoice::kSentencePiece: {
      BINQ_ASSIGN_OR_RETURN(std::unique_ptr<SentencePieceTokenizer> t,
                            LoadSentencePieceTokenizer(model_dir));
      return std::unique_ptr<Tokenizer>(std::move(t));
    }
    case TokenizerChoice::kByteLevelBpeFiles: {
      BINQ_ASSIGN_OR_RETURN(std::unique_ptr<BpeTokenizer> t,
                            LoadBpeTokenizer(model_dir));
      return std::unique_ptr<Tokenizer>(std::move(t));
    }
    case TokenizerChoice::kTokenizerJson: {
      BINQ_ASSIGN_OR_RETURN(std::unique_ptr<HfJsonTokenizer> t,
                            LoadHfJsonTokenizer(model_dir));
      return std::unique_ptr<Tokenizer>(std::move(t));
    }
    case TokenizerChoice::kNone:
      break;
  }
  BINQ_ASSIGN_OR_RETURN(const TokenizerSideFiles files,
                        ReadTokenizerSideFiles(model_dir));
  if (!files.tokenizer_class.empty()) {
    return absl::UnimplementedError(
        absl::StrCat(files.tokenizer_config_path, ": tokenizer_class '",
                     files.tokenizer_class,
                     "' is not supported with the files in ", model_dir,
                     " (binq reads tokenizer.model, tokenizer.json, "
                     "or vocab.json + merges.txt)"));
  }
  return absl::NotFoundError(
      absl::StrCat(model_dir,
                   ": no tokenizer files (tokenizer.model, tokenizer.json, "
                   "or vocab.json + merges.txt)"));
}

}  // namespace binq::core
