// The `BPE` model of a Hugging Face tokenizer.json, as the `tokenizers`
// library runs it on one pre-token ("word"):
//  * byte-level vocabularies (LLaMA-3, Qwen2; the pre-tokenizer ends with
//    ByteLevel): each byte of the word is the symbol of its GPT-2 printable
//    character (ByteToUnicode);
//  * character vocabularies (LLaMA-2's and Gemma's converted
//    SentencePiece models): each character is its symbol; one that is not in
//    the vocabulary becomes its UTF-8 bytes `<0xAB>` with `byte_fallback`,
//    else the unk token (consecutive unks fused with `fuse_unk`), else is
//    dropped (as the library does);
//  * `ignore_merges`: a word that is itself in the vocabulary is that token;
//  * then merges one at a time, lowest (rank, position) first (bpe_merge.h).
// Results per word are cached (a shared cache read under one lock per
// Session). Internal to core/text.
#ifndef BINQ_CORE_TEXT_BPE_MODEL_H_
#define BINQ_CORE_TEXT_BPE_MODEL_H_

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
#include "core/text/bpe_merge.h"
#include "nlohmann/json.hpp"

namespace binq::core {

class BpeModel {
 public:
  // From tokenizer.json's "model" object (`file` names tokenizer.json in
  // errors). DATA_LOSS naming the field for malformed content (vocab not an
  // object of ids, a merge that is neither "a b" nor ["a", "b"], a merge
  // result missing from the vocabulary, a byte-level vocabulary without a
  // byte's symbol); UNIMPLEMENTED for dropout, continuing_subword_prefix or
  // end_of_word_suffix.
  [[nodiscard]] static absl::StatusOr<std::unique_ptr<BpeModel>> FromJson(
      const nlohmann::json& model, absl::string_view file, bool byte_level);

  // One Encode call's access to the cache: reads it under a shared lock held
  // for the Session's life and adds its new words when it ends.
  class Session {
   public:
    explicit Session(const BpeModel& model);
    ~Session();
    Session(const Session&) = delete;
    Session& operator=(const Session&) = delete;
    // Appends the ids of `word` (well-formed UTF-8).
    void Tokenize(absl::string_view word, std::vector<int32_t>* ids);

   private:
    const BpeModel& model_;
    absl::flat_hash_map<std::string, absl::InlinedVector<int32_t, 4>> fresh_;
  };

  bool byte_level() const { return byte_level_; }
  // The raw bytes of a byte-level vocabulary token ("Ġthe" → " the").
  static std::string ByteLevelBytes(absl::string_view token);
  std::optional<int32_t> TokenToId(
      absl::string_view token) const;  // vocabulary form ("Ġthe", "▁the")
  const std::string* IdToToken(
      int32_t id) const;  // nullptr when not in the vocabulary
  int64_t size() const {
    return static_cast<int64_t>(id_to_token_.size());
  }  // one past the largest id

 private:
  using WordCache =
      absl::flat_hash_map<std::string, absl::InlinedVector<int32_t, 4>>;
  BpeModel() = default;
  void TokenizeUncached(absl::string_view word,
                        std::vector<int32_t>* ids) const;

  bool byte_level_ = false;
  bool byte_fallback_ = false;
  bool fuse_unk_ = false;
  bool ignore_merges_ = false;
  int32_t unk_id_ = -1;
  absl::flat_hash_map<std::string, int32_t> vocab_;  // token → id
  absl::flat_hash_map<std::string, int32_t>
      raw_vocab_;  // byte-level: raw bytes → id (ignore_merges)
  std::vector<std::string> id_to_token_;  // "" for gaps
  std::vector<bool> known_id_;
  BpeMergeTable merges_;
  std::array<int32_t, 256> byte_ids_{};  // byte-level: id of each byte's symbol
  std::array<int32_t, 256> fallback_ids_{};  // `<0xAB>` ids, -1 when missing

  static constexpr size_t kMaxCacheEntries =
      1 << 20;  // then the cache starts over
  static constexpr size_t kMaxCachedWordBytes =
      256;  // longer words are not cached
  mutable absl::Mutex cache_mu_;
  mutable WordCache cache_ ABSL_GUARDED_BY(cache_mu_);
};

}  // namespace binq::core

#endif  // BINQ_CORE_TEXT_BPE_MODEL_H_
