// Byte-level BPE (GPT-2, OPT) from a Hugging Face `vocab.json` and
// `merges.txt`, giving the ids the slow `GPT2Tokenizer` gives:
//  1. added tokens (special tokens such as OPT's `</s>`, `<pad>`) are cut out
//     of the text first, leftmost and longest first, and map to their ids;
//  2. the text between them is split by the GPT-2 pre-tokenization pattern
//     (gpt2_pretokenizer.h);
//  3. each piece's UTF-8 bytes are mapped to GPT-2's printable characters
//     (ByteToUnicode) and merged by BPE: repeatedly the adjacent pair with
//     the lowest merge rank, every occurrence left to right.
// Results per piece are cached (shared by all calls; each Encode reads the
// cache under one shared lock and adds its new pieces at the end).
#ifndef BINQ_CORE_TEXT_BPE_TOKENIZER_H_
#define BINQ_CORE_TEXT_BPE_TOKENIZER_H_

#include <array>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/container/flat_hash_map.h"
#include "absl/container/inlined_vector.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/synchronization/mutex.h"
#include "absl/types/span.h"
#include "core/text/bpe_merge.h"
#include "core/text/tokenizer.h"

namespace binq::core {

// A token matched verbatim in the text before BPE (HF "added token"; all of
// GPT-2's and OPT's are special tokens).
struct AddedToken {
  std::string content;
  // -1: as transformers adds a token: the id of `content` in vocab.json if it
  // is there (looked up as written: "</s>"), else the next free id.
  int32_t id = -1;
};

struct BpeOptions {
  // Ids are assigned in this order; a content seen before is skipped.
  std::vector<AddedToken> added_tokens;
  std::string bos_token;  // content of the BOS token (an added or vocabulary token); "" for none
  bool add_bos = false;   // EncodeForModel prepends it
};

// Immutable after creation except for the piece cache; every method is
// thread-safe (the cache has its own lock).
class BpeTokenizer final : public Tokenizer {
 public:
  // Reads `vocab.json` (an object token → id, tokens in byte-mapped form) and
  // `merges.txt` (optional "#version" first line, then "left right" per line,
  // in rank order). NOT_FOUND for a file that cannot be opened; DATA_LOSS
  // naming the file (and line) for malformed content: not JSON, a negative
  // id, a byte without its token, a merge line without two parts or whose
  // result is not in the vocabulary. INVALID_ARGUMENT for a bad option (an
  // added token with an empty content, a BOS token that is not a token).
  [[nodiscard]] static absl::StatusOr<std::unique_ptr<BpeTokenizer>> FromFiles(const std::string& vocab_path,
                                                                               const std::string& merges_path,
                                                                               BpeOptions options = {});

  // The same from the files' contents; `vocab_name` and `merges_name` name
  // them in errors.
  [[nodiscard]] static absl::StatusOr<std::unique_ptr<BpeTokenizer>> FromContents(
      absl::string_view vocab_json, absl::string_view merges_txt, BpeOptions options,
      absl::string_view vocab_name = "vocab.json", absl::string_view merges_name = "merges.txt");

  // Ids of `text` without BOS: HF `tokenizer(text, add_special_tokens=False)`.
  // Added tokens written in the text map to their ids (as in HF); with no
  // added tokens (BpeOptions{}) this is plain BPE. INVALID_ARGUMENT naming the
  // byte offset for text that is not well-formed UTF-8: Python strings
  // cannot hold such text, so HF has no encoding for it to match.
  [[nodiscard]] absl::StatusOr<std::vector<int32_t>> Encode(absl::string_view text) const override;

  // Token bytes concatenated (added tokens as their content), decoded as
  // UTF-8 with errors="replace" like HF's GPT-2 tokenizer; no clean-up of
  // spaces. Ids that are neither in the vocabulary nor added tokens are
  // skipped.
  std::string Decode(absl::Span<const int32_t> ids) const override;

  int32_t bos_id() const override { return bos_id_; }
  bool adds_bos() const override { return add_bos_ && bos_id_ >= 0; }
  // One past the largest id of the vocabulary and the added tokens.
  int64_t vocab_size() const override { return static_cast<int64_t>(token_bytes_.size()); }

  // The id of `token`: an added token's content, or a vocabulary entry in its
  // byte-mapped form ("Ġthe"); nullopt if neither.
  std::optional<int32_t> TokenToId(absl::string_view token) const;
  // The added tokens with their ids, in the order they were added.
  const std::vector<AddedToken>& added_tokens() const { return added_tokens_; }
  // Words (pieces) whose ids are cached; for tests and benchmarks.
  size_t cache_size() const;
  void ClearCache() const;

 private:
  // Piece → ids; most pieces are one to three tokens.
  using PieceCache = absl::flat_hash_map<std::string, absl::InlinedVector<int32_t, 4>>;

  BpeTokenizer() = default;
  // Appends the ids of the non-added text `text` (valid UTF-8); pieces missing
  // from cache_ are looked up in, or added to, `fresh`.
  void EncodeOrdinary(absl::string_view text, PieceCache* fresh, std::vector<int32_t>* ids) const
      ABSL_SHARED_LOCKS_REQUIRED(cache_mu_);
  // Appends the BPE ids of one pre-token.
  void EncodePiece(absl::string_view piece, PieceCache* fresh, std::vector<int32_t>* ids) const
      ABSL_SHARED_LOCKS_REQUIRED(cache_mu_);
  void MergePiece(absl::string_view piece, std::vector<int32_t>* ids) const;

  int32_t bos_id_ = -1;
  bool add_bos_ = false;
  absl::flat_hash_map<std::string, int32_t> vocab_;  // byte-mapped token → id
  BpeMergeTable merges_;                             // (left id, right id) → merge
  std::array<int32_t, 256> byte_ids_{};              // id of each single byte
  std::vector<std::string> token_bytes_;             // id → raw bytes (added: content)
  std::vector<bool> known_id_;                       // id → in vocab or added
  std::vector<AddedToken> added_tokens_;             // with their final ids
  absl::flat_hash_map<std::string, int32_t> added_;  // content → id
  std::array<bool, 256> added_first_byte_{};         // a content starts with this byte
  size_t longest_added_ = 0;

  static constexpr size_t kMaxCacheEntries = 1 << 20;  // then the cache starts over
  static constexpr size_t kMaxCachedPieceBytes = 256;  // longer pieces are not cached
  mutable absl::Mutex cache_mu_;
  mutable PieceCache cache_ ABSL_GUARDED_BY(cache_mu_);
};

// GPT-2's reversible byte → printable character map (as UTF-8 strings):
// printable Latin-1 bytes map to themselves, the other 68 bytes to U+0100 on.
const std::array<std::string, 256>& ByteToUnicode();

}  // namespace binq::core

#endif  // BINQ_CORE_TEXT_BPE_TOKENIZER_H_
