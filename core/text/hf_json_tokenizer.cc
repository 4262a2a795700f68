#include "core/text/hf_json_tokenizer.h"

#include <algorithm>
#include <utility>

#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_replace.h"
#include "core/base/status_macros.h"
#include "core/text/json_file.h"
#include "core/text/utf8.h"

namespace binq::core {
namespace {

using nlohmann::json;

constexpr absl::string_view kUnderline = "\xE2\x96\x81";

// The ids a post-processor puts before and after the text.
struct Template {
  std::vector<int32_t> before, after;
};

absl::Status ReadTemplate(const json& v, absl::string_view file,
                          Template* out) {
  if (v.is_null()) return absl::OkStatus();
  if (!v.is_object() || !v.contains("type") || !v["type"].is_string()) {
    return absl::DataLossError(absl::StrCat(
        file, ": post_processor must be null or an object with a 'type'; got ",
        ShortJson(v)));
  }
  const std::string type = v["type"].get<std::string>();
  if (type == "ByteLevel") return absl::OkStatus();  // offsets only
  if (type == "Sequence") {
    if (!v.contains("processors") || !v["processors"].is_array()) {
      return absl::DataLossError(absl::StrCat(
          file, ": post_processor Sequence needs a 'processors' list"));
    }
    for (const json& p : v["processors"])
      BINQ_RETURN_IF_ERROR(ReadTemplate(p, file, out));
    return absl::OkStatus();
  }
  if (type != "TemplateProcessing") {
    return absl::UnimplementedError(absl::StrCat(
        file, ": post_processor type '", type,
        "' is not supported (TemplateProcessing, ByteLevel, Sequence, null)"));
  }
  if (!v.contains("single") || !v["single"].is_array()) {
    return absl::DataLossError(absl::StrCat(
        file, ": post_processor TemplateProcessing needs a 'single' list"));
  }
  bool seen_text = false;
  for (const json& item : v["single"]) {
    if (item.is_object() && item.contains("Sequence")) {
      seen_text = true;
      continue;
    }
    const bool special = item.is_object() && item.contains("SpecialToken") &&
                         item["SpecialToken"].is_object() &&
                         item["SpecialToken"].contains("id") &&
                         item["SpecialToken"]["id"].is_string();
    if (!special) {
      return absl::DataLossError(
          absl::StrCat(file, ": post_processor.single item ", ShortJson(item),
                       " is neither a Sequence nor a SpecialToken"));
    }
    const std::string name = item["SpecialToken"]["id"].get<std::string>();
    const json* entry = v.contains("special_tokens") &&
                                v["special_tokens"].is_object() &&
                                v["special_tokens"].contains(name)
                            ? &v["special_tokens"][name]
                            : nullptr;
    if (entry == nullptr || !entry->is_object() || !entry->contains("ids") ||
        !(*entry)["ids"].is_array()) {
      return absl::DataLossError(absl::StrCat(
          file, ": post_processor.special_tokens has no ids for '", name, "'"));
    }
    for (const json& id : (*entry)["ids"]) {
      if (!id.is_number_integer() || id.get<int64_t>() < 0 ||
          id.get<int64_t>() > INT32_MAX) {
        return absl::DataLossError(
            absl::StrCat(file, ": post_processor.special_tokens['", name,
                         "'].ids has ", ShortJson(id), ", expected ids"));
      }
      (seen_text ? out->after : out->before)
          .push_back(static_cast<int32_t>(id.get<int64_t>()));
    }
  }
  return absl::OkStatus();
}

// An id from "<0xAB>", or -1.
int ByteFallbackValue(absl::string_view token) {
  if (token.size() != 6 || !absl::StartsWith(token, "<0x") || token[5] != '>')
    return -1;
  int value = 0;
  for (char c : token.substr(3, 2)) {
    value <<= 4;
    if (c >= '0' && c <= '9') {
      value |= c - '0';
    } else if (c >= 'A' && c <= 'F') {
      value |= c - 'A' + 10;
    } else {
      return -1;
    }
  }
  return value;
}

}  // namespace

absl::StatusOr<std::unique_ptr<HfJsonTokenizer>> HfJsonTokenizer::FromFile(
    const std::string& path, HfJsonOptions options) {
  BINQ_ASSIGN_OR_RETURN(const std::string text, ReadWholeFile(path));
  return FromContents(text, std::move(options), path);
}

absl::StatusOr<std::unique_ptr<HfJsonTokenizer>> HfJsonTokenizer::FromContents(
    absl::string_view json_text, HfJsonOptions options,
    absl::string_view name) {
  BINQ_ASSIGN_OR_RETURN(const json j, ParseJsonText(json_text, name));
  if (!j.is_object())
    return absl::DataLossError(absl::StrCat(name, ": expected a JSON object"));
  std::unique_ptr<HfJsonTokenizer> t(new HfJsonTokenizer());
  auto field = [&](const char* key) -> const json& {
    static const json kNull;
    return j.contains(key) ? j[key] : kNull;
  };

  BINQ_ASSIGN_OR_RETURN(t->normalizer_,
                        HfNormalizer::FromJson(field("normalizer"), name));
  BINQ_ASSIGN_OR_RETURN(t->pre_tokenizer_,
                        HfPreTokenizer::FromJson(field("pre_tokenizer"), name));
  const json& model = field("model");
  if (!model.is_object())
    return absl::DataLossError(absl::StrCat(name, ": model must be an object"));
  const std::string model_type =
      model.contains("type") && model["type"].is_string()
          ? model["type"].get<std::string>()
          : "BPE";
  if (model_type != "BPE") {
    return absl::UnimplementedError(absl::StrCat(
        name, ": model type '", model_type, "' is not supported (BPE only)"));
  }
  BINQ_ASSIGN_OR_RETURN(
      t->model_,
      BpeModel::FromJson(model, name, t->pre_tokenizer_.byte_level()));
  t->vocab_size_ = t->model_->size();

  const json& added = field("added_tokens");
  if (!added.is_null() && !added.is_array()) {
    return absl::DataLossError(
        absl::StrCat(name, ": added_tokens must be a list"));
  }
  for (size_t i = 0; i < (added.is_array() ? added.size() : 0); ++i) {
    const json& a = added[i];
    if (!a.is_object() || !a.contains("id") || !a["id"].is_number_integer() ||
        a["id"].get<int64_t>() < 0 || a["id"].get<int64_t>() > INT32_MAX ||
        !a.contains("content") || !a["content"].is_string() ||
        a["content"].get<std::string>().empty()) {
      return absl::DataLossError(absl::StrCat(
          name, ": added_tokens[", i,
          "] needs an id >= 0 and a non-empty string content; got ",
          ShortJson(a)));
    }
    auto flag = [&](const char* key, bool fallback) {
      return a.contains(key) && a[key].is_boolean() ? a[key].get<bool>()
                                                    : fallback;
    };
    const std::string content = a["content"].get<std::string>();
    if (!ValidateUtf8(content).ok()) {
      return absl::DataLossError(absl::StrCat(name, ": added_tokens[", i,
                                              "].content is not valid UTF-8"));
    }
    if (flag("single_word", false)) {
      return absl::UnimplementedError(absl::StrCat(
          name, ": added_tokens[", i, "] '", content,
          "' has single_word=true, which binq does not implement"));
    }
    // As the library adds it: a content in the vocabulary keeps that id.
    const auto id = t->model_->TokenToId(content).value_or(
        static_cast<int32_t>(a["id"].get<int64_t>()));
    const bool special = flag("special", false);
    const MatchedToken token{content, id, flag("lstrip", false),
                             flag("rstrip", false)};
    (flag("normalized", !special) && !t->normalizer_.identity()
         ? t->normalized_tokens_
         : t->raw_tokens_)
        .Add(token);
    t->added_by_id_[id] = content;
    t->added_by_content_.emplace(content, id);
    t->vocab_size_ =
        std::max<int64_t>(t->vocab_size_, static_cast<int64_t>(id) + 1);
  }

  Template tmpl;
  BINQ_RETURN_IF_ERROR(ReadTemplate(field("post_processor"), name, &tmpl));
  if (!tmpl.after.empty() || tmpl.before.size() > 1) {
    return absl::UnimplementedError(
        absl::StrCat(name, ": post_processor adds ", tmpl.before.size(),
                     " token(s) before and ", tmpl.after.size(),
                     " after the text; binq supports at most one BOS before it "
                     "and nothing after"));
  }
  if (!tmpl.before.empty()) {
    t->bos_id_ = tmpl.before[0];
    t->add_bos_ = true;
  }
  if (!options.bos_token.empty()) {
    const std::optional<int32_t> bos = t->TokenToId(options.bos_token);
    if (!bos.has_value()) {
      return absl::InvalidArgumentError(
          absl::StrCat("BOS token '", options.bos_token, "' is neither in ",
                       name, "'s vocabulary nor added"));
    }
    if (options.add_bos.has_value() || t->bos_id_ < 0) t->bos_id_ = *bos;
  }
  if (options.add_bos.has_value()) t->add_bos_ = *options.add_bos;

  // The decoder, for Decode only.
  const json& decoder = field("decoder");
  std::vector<const json*> steps;
  if (decoder.is_object() && decoder.contains("type") &&
      decoder["type"] == "Sequence" && decoder.contains("decoders") &&
      decoder["decoders"].is_array()) {
    for (const json& d : decoder["decoders"]) steps.push_back(&d);
  } else if (decoder.is_object()) {
    steps.push_back(&decoder);
  }
  for (const json* d : steps) {
    if (!d->is_object() || !d->contains("type") || !(*d)["type"].is_string())
      continue;
    const std::string type = (*d)["type"].get<std::string>();
    if (type == "ByteLevel") {
      t->decoder_ = DecoderKind::kByteLevel;
    } else if (type == "Metaspace") {
      t->decoder_ = DecoderKind::kSentencePiece;
      t->strip_leading_space_ =
          !(d->contains("prepend_scheme") && (*d)["prepend_scheme"] == "never");
    } else if (type == "Replace" || type == "ByteFallback") {
      t->decoder_ = DecoderKind::kSentencePiece;
    } else if (type == "Strip" && d->contains("start") &&
               (*d)["start"].is_number_integer() &&
               (*d)["start"].get<int64_t>() > 0) {
      t->strip_leading_space_ = true;
    }
  }
  return t;
}

std::optional<int32_t> HfJsonTokenizer::TokenToId(
    absl::string_view token) const {
  if (auto it = added_by_content_.find(token); it != added_by_content_.end())
    return it->second;
  return model_->TokenToId(token);
}

void HfJsonTokenizer::EncodeSegment(absl::string_view segment, size_t offset,
                                    BpeModel::Session* session,
                                    std::vector<int32_t>* ids) const {
  if (segment.empty()) return;
  std::string normalized;
  absl::string_view text = segment;
  if (!normalizer_.identity()) {
    normalized = normalizer_.Apply(segment);
    text = normalized;
  }
  auto tokenize = [&](absl::string_view word) { session->Tokenize(word, ids); };
  if (normalized_tokens_.empty()) {
    pre_tokenizer_.Apply(text, offset == 0, tokenize);
    return;
  }
  normalized_tokens_.Split(
      text,
      [&](size_t sub_offset, absl::string_view stretch) {
        pre_tokenizer_.Apply(stretch, offset == 0 && sub_offset == 0, tokenize);
      },
      [&](int32_t id) { ids->push_back(id); });
}

absl::StatusOr<std::vector<int32_t>> HfJsonTokenizer::Encode(
    absl::string_view text) const {
  BINQ_RETURN_IF_ERROR(ValidateUtf8(text));
  std::vector<int32_t> ids;
  ids.reserve(text.size() / 4 + 1);
  BpeModel::Session session(*model_);
  raw_tokens_.Split(
      text,
      [&](size_t offset, absl::string_view stretch) {
        EncodeSegment(stretch, offset, &session, &ids);
      },
      [&](int32_t id) { ids.push_back(id); });
  return ids;
}

std::string HfJsonTokenizer::Decode(absl::Span<const int32_t> ids) const {
  std::string out;
  for (const int32_t id : ids) {
    if (auto it = added_by_id_.find(id); it != added_by_id_.end()) {
      out += decoder_ == DecoderKind::kSentencePiece
                 ? absl::StrReplaceAll(it->second, {{kUnderline, " "}})
                 : it->second;
      continue;
    }
    const std::string* token = model_->IdToToken(id);
    if (token == nullptr) continue;
    switch (decoder_) {
      case DecoderKind::kByteLevel:
        out += BpeModel::ByteLevelBytes(*token);
        break;
      case DecoderKind::kSentencePiece:
        if (const int byte = ByteFallbackValue(*token); byte >= 0) {
          out.push_back(static_cast<char>(byte));
        } else {
          out += absl::StrReplaceAll(*token, {{kUnderline, " "}});
        }
        break;
      case DecoderKind::kJoin:
        out += *token;
        break;
    }
  }
  if (strip_leading_space_ && !out.empty() && out[0] == ' ') out.erase(0, 1);
  return ReplaceInvalidUtf8(out);
}

}  // namespace binq::core
