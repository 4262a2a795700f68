#include "core/text/bpe_tokenizer.h"

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <fstream>
#include <sstream>
#include <utility>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_split.h"
#include "core/base/status_macros.h"
#include "core/text/bpe_merge.h"
#include "core/text/json_file.h"
#include "core/text/gpt2_pretokenizer.h"
#include "core/text/utf8.h"
#include "nlohmann/json.hpp"

namespace binq::core {
namespace {

absl::StatusOr<std::string> ReadFile(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return absl::NotFoundError(absl::StrCat(path, ": cannot open: ", std::strerror(errno)));
  std::stringstream s;
  s << in.rdbuf();
  if (in.bad()) return absl::DataLossError(absl::StrCat(path, ": read failed"));
  return s.str();
}

// Inverse of ByteToUnicode for the code points it produces; -1 elsewhere.
const std::array<int, 324>& UnicodeToByte() {
  static const std::array<int, 324> table = [] {
    std::array<int, 324> t;
    t.fill(-1);
    for (int b = 0; b < 256; ++b) {
      char32_t cp;
      DecodeUtf8(reinterpret_cast<const unsigned char*>(ByteToUnicode()[b].data()), &cp);
      t[cp] = b;
    }
    return t;
  }();
  return table;
}

// The raw bytes a byte-mapped vocabulary token stands for. Characters outside
// the map (none in GPT-2's files) are kept as their UTF-8.
std::string TokenToBytes(absl::string_view token) {
  std::string out;
  const auto* p = reinterpret_cast<const unsigned char*>(token.data());
  size_t i = 0;
  while (i < token.size()) {
    char32_t cp;
    const int length = DecodeUtf8(p + i, &cp);
    if (cp < UnicodeToByte().size() && UnicodeToByte()[cp] >= 0) {
      out.push_back(static_cast<char>(UnicodeToByte()[cp]));
    } else {
      out.append(token.data() + i, length);
    }
    i += length;
  }
  return out;
}

}  // namespace

const std::array<std::string, 256>& ByteToUnicode() {
  static const std::array<std::string, 256> table = [] {
    std::array<std::string, 256> t;
    auto printable = [](int b) {
      return (b >= '!' && b <= '~') || (b >= 0xA1 && b <= 0xAC) || (b >= 0xAE && b <= 0xFF);
    };
    int next = 0;  // the non-printable bytes, in byte order, take U+0100, U+0101, ...
    for (int b = 0; b < 256; ++b) {
      AppendUtf8(printable(b) ? static_cast<char32_t>(b) : static_cast<char32_t>(256 + next++), &t[b]);
    }
    return t;
  }();
  return table;
}

absl::StatusOr<std::unique_ptr<BpeTokenizer>> BpeTokenizer::FromFiles(const std::string& vocab_path,
                                                                      const std::string& merges_path,
                                                                      BpeOptions options) {
  BINQ_ASSIGN_OR_RETURN(const std::string vocab, ReadFile(vocab_path));
  BINQ_ASSIGN_OR_RETURN(const std::string merges, ReadFile(merges_path));
  return FromContents(vocab, merges, std::move(options), vocab_path, merges_path);
}

absl::StatusOr<std::unique_ptr<BpeTokenizer>> BpeTokenizer::FromContents(absl::string_view vocab_json,
                                                                         absl::string_view merges_txt,
                                                                         BpeOptions options,
                                                                         absl::string_view vocab_name,
                                                                         absl::string_view merges_name) {
  std::unique_ptr<BpeTokenizer> t(new BpeTokenizer());

  // vocab.json: {"token": id, ...}.
  // Depth-checked first: a deeply nested value must not reach dump() below.
  BINQ_ASSIGN_OR_RETURN(const nlohmann::json vocab, ParseJsonText(vocab_json, vocab_name));
  if (!vocab.is_object() || vocab.empty()) {
    return absl::DataLossError(absl::StrCat(vocab_name, ": expected a non-empty object token → id"));
  }
  int64_t max_id = -1;
  t->vocab_.reserve(vocab.size());
  for (const auto& [token, value] : vocab.items()) {
    if (!value.is_number_integer() || value.get<int64_t>() < 0 || value.get<int64_t>() > INT32_MAX) {
      return absl::DataLossError(absl::StrCat(vocab_name, ": token '", token, "' has id ", ShortJson(value),
                                              ", expected an integer in [0, 2^31)"));
    }
    const auto id = static_cast<int32_t>(value.get<int64_t>());
    if (ValidateUtf8(token).ok() == false) {
      return absl::DataLossError(absl::StrCat(vocab_name, ": token with id ", id, " is not valid UTF-8"));
    }
    t->vocab_[token] = id;
    max_id = std::max<int64_t>(max_id, id);
  }
  // Added tokens: their ids first, as transformers assigns them.
  std::vector<AddedToken> added_tokens;
  absl::flat_hash_map<std::string, int32_t> added;
  for (const AddedToken& token : options.added_tokens) {
    if (token.content.empty() || !ValidateUtf8(token.content).ok()) {
      return absl::InvalidArgumentError(
          absl::StrCat("added token with id ", token.id, ": needs a non-empty UTF-8 content"));
    }
    if (added.contains(token.content)) continue;
    int32_t id = token.id;
    if (id < 0) {
      auto it = t->vocab_.find(token.content);
      id = it != t->vocab_.end() ? it->second : static_cast<int32_t>(max_id + 1);
    }
    max_id = std::max<int64_t>(max_id, id);
    added.emplace(token.content, id);
    added_tokens.push_back({token.content, id});
  }
  t->token_bytes_.resize(max_id + 1);
  t->known_id_.assign(max_id + 1, false);
  for (const auto& [token, id] : t->vocab_) {
    t->token_bytes_[id] = TokenToBytes(token);
    t->known_id_[id] = true;
  }
  for (int b = 0; b < 256; ++b) {
    auto it = t->vocab_.find(ByteToUnicode()[b]);
    if (it == t->vocab_.end()) {
      return absl::DataLossError(
          absl::StrFormat("%s: no token for byte 0x%02x ('%s'); not a byte-level BPE "
                          "vocabulary",
                          vocab_name, b, ByteToUnicode()[b]));
    }
    t->byte_ids_[b] = it->second;
  }

  // merges.txt: rank = line order. As in HF, a later duplicate overrides.
  int32_t rank = 0;
  int line_number = 0;
  for (absl::string_view line : absl::StrSplit(merges_txt, '\n')) {
    ++line_number;
    if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
    if (line.empty() || (line_number == 1 && absl::StartsWith(line, "#version"))) continue;
    const std::vector<absl::string_view> parts = absl::StrSplit(line, ' ');
    if (parts.size() != 2 || parts[0].empty() || parts[1].empty()) {
      return absl::DataLossError(
          absl::StrCat(merges_name, ":", line_number, ": expected 'left right', got '", line, "'"));
    }
    const int32_t this_rank = rank++;
    auto left = t->vocab_.find(parts[0]);
    auto right = t->vocab_.find(parts[1]);
    // A part outside the vocabulary never occurs as a symbol (symbols are
    // bytes or merge results, both checked to be in it): the rule never applies.
    if (left == t->vocab_.end() || right == t->vocab_.end()) continue;
    auto result = t->vocab_.find(absl::StrCat(parts[0], parts[1]));
    if (result == t->vocab_.end()) {
      return absl::DataLossError(absl::StrCat(merges_name, ":", line_number, ": '", line, "' makes '",
                                              parts[0], parts[1], "', which is not in ", vocab_name));
    }
    t->merges_[BpePairKey(left->second, right->second)] = BpeMergeRule{this_rank, result->second};
  }

  for (const AddedToken& token : added_tokens) {
    t->token_bytes_[token.id] = token.content;
    t->known_id_[token.id] = true;
    t->added_first_byte_[static_cast<unsigned char>(token.content[0])] = true;
    t->longest_added_ = std::max(t->longest_added_, token.content.size());
  }
  t->added_ = std::move(added);
  t->added_tokens_ = std::move(added_tokens);
  if (!options.bos_token.empty()) {
    const std::optional<int32_t> bos = t->TokenToId(options.bos_token);
    if (!bos.has_value()) {
      return absl::InvalidArgumentError(absl::StrCat("BOS token '", options.bos_token, "' is neither in ",
                                                     vocab_name, " nor an added token"));
    }
    t->bos_id_ = *bos;
  }
  t->add_bos_ = options.add_bos;
  return t;
}

absl::StatusOr<std::vector<int32_t>> BpeTokenizer::Encode(absl::string_view text) const {
  BINQ_RETURN_IF_ERROR(ValidateUtf8(text));
  std::vector<int32_t> ids;
  ids.reserve(text.size() / 4 + 1);
  PieceCache fresh;  // pieces this call merged; shared after the scan
  {
    absl::ReaderMutexLock lock(&cache_mu_);
    if (added_.empty()) {
      EncodeOrdinary(text, &fresh, &ids);
    } else {
      // Leftmost-longest match of the added tokens; the text between them is
      // pre-tokenized on its own (so no piece crosses an added token).
      const auto* p = reinterpret_cast<const unsigned char*>(text.data());
      size_t segment_start = 0;
      size_t i = 0;
      while (i < text.size()) {
        if (added_first_byte_[p[i]]) {
          const size_t max_length = std::min(longest_added_, text.size() - i);
          bool matched = false;
          for (size_t length = max_length; length > 0; --length) {
            auto it = added_.find(text.substr(i, length));
            if (it == added_.end()) continue;
            EncodeOrdinary(text.substr(segment_start, i - segment_start), &fresh, &ids);
            ids.push_back(it->second);
            i += length;
            segment_start = i;
            matched = true;
            break;
          }
          if (matched) continue;
        }
        ++i;
      }
      EncodeOrdinary(text.substr(segment_start), &fresh, &ids);
    }
  }
  if (!fresh.empty()) {
    absl::MutexLock lock(&cache_mu_);
    if (cache_.size() + fresh.size() > kMaxCacheEntries) cache_.clear();
    for (auto& [piece, piece_ids] : fresh) cache_.try_emplace(piece, std::move(piece_ids));
  }
  return ids;
}

void BpeTokenizer::EncodeOrdinary(absl::string_view text, PieceCache* fresh,
                                  std::vector<int32_t>* ids) const {
  Gpt2PretokenIterator pieces(text);
  absl::string_view piece;
  while (pieces.Next(&piece)) EncodePiece(piece, fresh, ids);
}

void BpeTokenizer::EncodePiece(absl::string_view piece, PieceCache* fresh, std::vector<int32_t>* ids) const {
  if (piece.size() == 1) {  // one byte: nothing to merge, nothing to cache
    ids->push_back(byte_ids_[static_cast<unsigned char>(piece[0])]);
    return;
  }
  if (piece.size() > kMaxCachedPieceBytes) {
    MergePiece(piece, ids);
    return;
  }
  auto it = cache_.find(piece);
  if (it == cache_.end()) {
    it = fresh->find(piece);
    if (it == fresh->end()) {
      const size_t first = ids->size();
      MergePiece(piece, ids);
      if (fresh->size() < kMaxCacheEntries) fresh->try_emplace(piece, ids->begin() + first, ids->end());
      return;
    }
  }
  ids->insert(ids->end(), it->second.begin(), it->second.end());
}

void BpeTokenizer::MergePiece(absl::string_view piece, std::vector<int32_t>* ids) const {
  // Merges in rounds, like the slow tokenizer (bpe_merge.h). Scratch reused
  // across calls on this thread (misses are frequent on text with many
  // distinct words).
  thread_local std::vector<int32_t> symbols;
  symbols.resize(piece.size());
  for (size_t i = 0; i < piece.size(); ++i) symbols[i] = byte_ids_[static_cast<unsigned char>(piece[i])];
  MergeBpeSymbols(merges_, BpeMergeOrder::kRounds, &symbols);
  ids->insert(ids->end(), symbols.begin(), symbols.end());
}

std::string BpeTokenizer::Decode(absl::Span<const int32_t> ids) const {
  std::string bytes;
  for (const int32_t id : ids) {
    if (id >= 0 && id < static_cast<int64_t>(token_bytes_.size()) && known_id_[id]) bytes += token_bytes_[id];
  }
  return ReplaceInvalidUtf8(bytes);
}

std::optional<int32_t> BpeTokenizer::TokenToId(absl::string_view token) const {
  if (auto it = added_.find(token); it != added_.end()) return it->second;
  if (auto it = vocab_.find(token); it != vocab_.end()) return it->second;
  return std::nullopt;
}

size_t BpeTokenizer::cache_size() const {
  absl::ReaderMutexLock lock(&cache_mu_);
  return cache_.size();
}

void BpeTokenizer::ClearCache() const {
  absl::MutexLock lock(&cache_mu_);
  cache_.clear();
}

}  // namespace binq::core
