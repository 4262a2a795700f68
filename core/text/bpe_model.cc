#include "core/text/bpe_model.h"

#include <algorithm>
#include <utility>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "core/base/status_macros.h"
#include "core/text/bpe_tokenizer.h"
#include "core/text/json_file.h"
#include "core/text/utf8.h"

namespace binq::core {
namespace {

using nlohmann::json;

}  // namespace

// Characters outside the GPT-2 map are kept as UTF-8.
std::string BpeModel::ByteLevelBytes(absl::string_view token) {
  static const absl::flat_hash_map<char32_t, unsigned char> inverse = [] {
    absl::flat_hash_map<char32_t, unsigned char> m;
    for (int b = 0; b < 256; ++b) {
      char32_t cp;
      DecodeUtf8(
          reinterpret_cast<const unsigned char*>(ByteToUnicode()[b].data()),
          &cp);
      m[cp] = static_cast<unsigned char>(b);
    }
    return m;
  }();
  std::string out;
  const auto* p = reinterpret_cast<const unsigned char*>(token.data());
  for (size_t i = 0; i < token.size();) {
    char32_t cp;
    const int length = DecodeUtf8(p + i, &cp);
    auto it = inverse.find(cp);
    if (it != inverse.end()) {
      out.push_back(static_cast<char>(it->second));
    } else {
      out.append(token.data() + i, length);
    }
    i += length;
  }
  return out;
}

namespace {

// A merges entry: "left right" (older files) or ["left", "right"].
absl::Status MergeParts(const json& entry, absl::string_view file, size_t index,
                        std::string* left, std::string* right) {
  if (entry.is_string()) {
    const std::string s = entry.get<std::string>();
    const size_t space = s.find(' ');
    if (space != std::string::npos && space > 0 && space + 1 < s.size() &&
        s.find(' ', space + 1) == std::string::npos) {
      *left = s.substr(0, space);
      *right = s.substr(space + 1);
      return absl::OkStatus();
    }
  } else if (entry.is_array() && entry.size() == 2 && entry[0].is_string() &&
             entry[1].is_string()) {
    *left = entry[0].get<std::string>();
    *right = entry[1].get<std::string>();
    if (!left->empty() && !right->empty()) return absl::OkStatus();
  }
  return absl::DataLossError(
      absl::StrCat(file, ": model.merges[", index,
                   "] must be \"left right\" or [\"left\", \"right\"]; got ",
                   ShortJson(entry)));
}

absl::Status CheckUnsupported(const json& model, absl::string_view file) {
  if (model.contains("dropout") && !model["dropout"].is_null() &&
      !(model["dropout"].is_number() &&
        model["dropout"].get<double>() == 0.0)) {
    return absl::UnimplementedError(
        absl::StrCat(file, ": model.dropout ", ShortJson(model["dropout"]),
                     " is not supported (null or 0 only)"));
  }
  for (const char* key : {"continuing_subword_prefix", "end_of_word_suffix"}) {
    if (model.contains(key) && !model[key].is_null() &&
        !(model[key].is_string() && model[key].get<std::string>().empty())) {
      return absl::UnimplementedError(
          absl::StrCat(file, ": model.", key, " ", ShortJson(model[key]),
                       " is not supported (null only)"));
    }
  }
  return absl::OkStatus();
}

absl::StatusOr<bool> FlagOf(const json& model, const char* key,
                            absl::string_view file) {
  if (!model.contains(key) || model[key].is_null()) return false;
  if (!model[key].is_boolean()) {
    return absl::DataLossError(
        absl::StrCat(file, ": model.", key, " must be true or false"));
  }
  return model[key].get<bool>();
}

}  // namespace

absl::StatusOr<std::unique_ptr<BpeModel>> BpeModel::FromJson(
    const json& model, absl::string_view file, bool byte_level) {
  BINQ_RETURN_IF_ERROR(CheckUnsupported(model, file));
  std::unique_ptr<BpeModel> m(new BpeModel());
  m->byte_level_ = byte_level;
  BINQ_ASSIGN_OR_RETURN(m->byte_fallback_,
                        FlagOf(model, "byte_fallback", file));
  BINQ_ASSIGN_OR_RETURN(m->fuse_unk_, FlagOf(model, "fuse_unk", file));
  BINQ_ASSIGN_OR_RETURN(m->ignore_merges_,
                        FlagOf(model, "ignore_merges", file));

  if (!model.contains("vocab") || !model["vocab"].is_object() ||
      model["vocab"].empty()) {
    return absl::DataLossError(absl::StrCat(
        file, ": model.vocab must be a non-empty object token → id"));
  }
  int64_t max_id = -1;
  for (const auto& [token, value] : model["vocab"].items()) {
    if (!value.is_number_integer() || value.get<int64_t>() < 0 ||
        value.get<int64_t>() > INT32_MAX) {
      return absl::DataLossError(absl::StrCat(file, ": model.vocab['", token,
                                              "'] is ", ShortJson(value),
                                              ", expected an id in [0, 2^31)"));
    }
    if (!ValidateUtf8(token).ok()) {
      return absl::DataLossError(absl::StrCat(
          file, ": model.vocab has a token that is not valid UTF-8"));
    }
    const auto id = static_cast<int32_t>(value.get<int64_t>());
    m->vocab_[token] = id;
    max_id = std::max<int64_t>(max_id, id);
  }
  m->id_to_token_.resize(max_id + 1);
  m->known_id_.assign(max_id + 1, false);
  for (const auto& [token, id] : m->vocab_) {
    m->id_to_token_[id] = token;
    m->known_id_[id] = true;
    if (byte_level && m->ignore_merges_)
      m->raw_vocab_.emplace(ByteLevelBytes(token), id);
  }
  if (model.contains("unk_token") && !model["unk_token"].is_null()) {
    if (!model["unk_token"].is_string()) {
      return absl::DataLossError(
          absl::StrCat(file, ": model.unk_token must be a string or null"));
    }
    const std::optional<int32_t> unk =
        m->TokenToId(model["unk_token"].get<std::string>());
    if (!unk.has_value()) {
      return absl::DataLossError(absl::StrCat(
          file, ": model.unk_token '", model["unk_token"].get<std::string>(),
          "' is not in model.vocab"));
    }
    m->unk_id_ = *unk;
  }
  for (int b = 0; b < 256; ++b) {
    const std::optional<int32_t> fallback =
        m->TokenToId(absl::StrFormat("<0x%02X>", b));
    m->fallback_ids_[b] = fallback.value_or(-1);
    if (!byte_level) continue;
    const std::optional<int32_t> id = m->TokenToId(ByteToUnicode()[b]);
    if (!id.has_value()) {
      return absl::DataLossError(
          absl::StrFormat("%s: model.vocab has no token for byte 0x%02x "
                          "('%s'), which a ByteLevel pre-tokenizer needs",
                          file, b, ByteToUnicode()[b]));
    }
    m->byte_ids_[b] = *id;
  }

  if (!model.contains("merges") || !model["merges"].is_array()) {
    return absl::DataLossError(
        absl::StrCat(file, ": model.merges must be a list"));
  }
  const json& merges = model["merges"];
  for (size_t i = 0; i < merges.size(); ++i) {
    std::string left, right;
    BINQ_RETURN_IF_ERROR(MergeParts(merges[i], file, i, &left, &right));
    const std::optional<int32_t> l = m->TokenToId(left),
                                 r = m->TokenToId(right);
    const std::optional<int32_t> result = m->TokenToId(left + right);
    if (!l.has_value() || !r.has_value() || !result.has_value()) {
      // The library refuses such a file too.
      return absl::DataLossError(
          absl::StrCat(file, ": model.merges[", i, "] ('", left, "', '", right,
                       "') has a part or result that is not in model.vocab"));
    }
    // As in the library, a later duplicate overrides.
    m->merges_[BpePairKey(*l, *r)] =
        BpeMergeRule{static_cast<int32_t>(i), *result};
  }
  return m;
}

std::optional<int32_t> BpeModel::TokenToId(absl::string_view token) const {
  auto it = vocab_.find(token);
  if (it == vocab_.end()) return std::nullopt;
  return it->second;
}

const std::string* BpeModel::IdToToken(int32_t id) const {
  if (id < 0 || id >= size() || !known_id_[id]) return nullptr;
  return &id_to_token_[id];
}

void BpeModel::TokenizeUncached(absl::string_view word,
                                std::vector<int32_t>* ids) const {
  if (ignore_merges_) {
    const auto& whole = byte_level_ ? raw_vocab_ : vocab_;
    if (auto it = whole.find(word); it != whole.end()) {
      ids->push_back(it->second);
      return;
    }
  }
  thread_local std::vector<int32_t> symbols;
  symbols.clear();
  const auto* p = reinterpret_cast<const unsigned char*>(word.data());
  if (byte_level_) {
    for (size_t i = 0; i < word.size(); ++i) symbols.push_back(byte_ids_[p[i]]);
  } else {
    bool last_was_unk = false;
    for (size_t i = 0; i < word.size();) {
      char32_t cp;
      const int length = DecodeUtf8(p + i, &cp);
      const absl::string_view ch = word.substr(i, length);
      i += length;
      if (auto it = vocab_.find(ch); it != vocab_.end()) {
        symbols.push_back(it->second);
        last_was_unk = false;
        continue;
      }
      if (byte_fallback_ && std::all_of(ch.begin(), ch.end(), [&](char c) {
            return fallback_ids_[static_cast<unsigned char>(c)] >= 0;
          })) {
        for (char c : ch)
          symbols.push_back(fallback_ids_[static_cast<unsigned char>(c)]);
        last_was_unk = false;
        continue;
      }
      if (unk_id_ < 0) continue;  // the library drops it
      if (!(fuse_unk_ && last_was_unk)) symbols.push_back(unk_id_);
      last_was_unk = true;
    }
  }
  MergeBpeSymbols(merges_, BpeMergeOrder::kOneAtATime, &symbols);
  ids->insert(ids->end(), symbols.begin(), symbols.end());
}

BpeModel::Session::Session(const BpeModel& model) : model_(model) {
  model_.cache_mu_.ReaderLock();
}

BpeModel::Session::~Session() {
  model_.cache_mu_.ReaderUnlock();
  if (fresh_.empty()) return;
  absl::MutexLock lock(&model_.cache_mu_);
  if (model_.cache_.size() + fresh_.size() > kMaxCacheEntries)
    model_.cache_.clear();
  for (auto& [word, ids] : fresh_)
    model_.cache_.try_emplace(word, std::move(ids));
}

void BpeModel::Session::Tokenize(absl::string_view word,
                                 std::vector<int32_t>* ids) {
  // The constructor took the reader lock for the Session's life; this tells
  // clang's thread-safety analysis so.
  model_.cache_mu_.AssertReaderHeld();
  if (word.empty()) return;
  if (word.size() > kMaxCachedWordBytes) {
    model_.TokenizeUncached(word, ids);
    return;
  }
  auto it = model_.cache_.find(word);
  if (it == model_.cache_.end()) {
    it = fresh_.find(word);
    if (it == fresh_.end()) {
      const size_t first = ids->size();
      model_.TokenizeUncached(word, ids);
      if (fresh_.size() < kMaxCacheEntries)
        fresh_.try_emplace(word, ids->begin() + first, ids->end());
      return;
    }
  }
  ids->insert(ids->end(), it->second.begin(), it->second.end());
}

}  // namespace binq::core
