// SentencePiece tokenizer (`tokenizer.model`, LLaMA-1/2, Vicuna, TinyLlama,
// Gemma) giving the ids of transformers' slow tokenizers, which the
// reference scripts use (`use_fast=False`; transformers 4.57):
//  1. added tokens (`<s>`, `</s>`, `<unk>`, Gemma's `<bos>`, ...) are cut out
//     of the text first (added_token_matcher.h) and map to their ids;
//  2. each stretch between them is encoded by the SentencePiece BPE model
//     (sentencepiece_model.h: binq's reading of tokenizer.model, checked
//     against Debian's libsentencepiece):
//     * kPlain (LlamaTokenizer with legacy=true — LLaMA-1 folders, which have
//       no `legacy` key — and GemmaTokenizer): SentencePiece's own Encode of
//       the stretch, with the model's normalizer as it is (dummy prefix
//       included when the model has one: so every stretch gets its `▁`);
//     * kLlamaNonLegacy (LlamaTokenizer legacy=false, LLaMA-2 folders):
//       the model is loaded with add_dummy_prefix=false; "▁" in the text is
//       read as a space and one "▁" is put before the whole text; a stretch
//       that starts with "▁" or " " is encoded behind the unk token's text
//       and those leading pieces dropped (transformers' trick to keep the
//       leading space); a lone leading "▁" before a special token is dropped.
// Immutable after creation; thread-safe.
#ifndef BINQ_CORE_TEXT_SENTENCEPIECE_TOKENIZER_H_
#define BINQ_CORE_TEXT_SENTENCEPIECE_TOKENIZER_H_

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "absl/container/flat_hash_set.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/types/span.h"
#include "core/text/added_token_matcher.h"
#include "core/text/tokenizer.h"

namespace binq::core {

namespace sp_internal {
class SentencePieceModel;
}

enum class SentencePieceMode { kPlain, kLlamaNonLegacy };

struct SentencePieceOptions {
  SentencePieceMode mode = SentencePieceMode::kPlain;
  bool add_prefix_space = true;  // kLlamaNonLegacy: the "▁" put before the text
  struct Token {
    std::string content;
    int32_t id = -1;  // -1: the piece's id if `content` is a piece, else the
                      // next free id
    bool special =
        false;  // one of the tokenizer's special tokens (all_special_tokens)
  };
  // Cut out of the text first, in this order (a content seen before is
  // skipped).
  std::vector<Token> added_tokens;
  std::string unk_token =
      "<unk>";            // the text kLlamaNonLegacy encodes stretches behind
  std::string bos_token;  // "" for none
  bool add_bos = false;   // EncodeForModel prepends it
};

class SentencePieceTokenizer final : public Tokenizer {
 public:
  ~SentencePieceTokenizer() override;

  // DATA_LOSS naming `model_name` when the bytes are not a SentencePiece
  // model; INVALID_ARGUMENT for a BOS token that is no token, or an added
  // token with empty content.
  [[nodiscard]] static absl::StatusOr<std::unique_ptr<SentencePieceTokenizer>>
  FromSerializedModel(const std::string& model_bytes,
                      SentencePieceOptions options,
                      absl::string_view model_name);
  // The same from a file (NOT_FOUND when it cannot be read).
  [[nodiscard]] static absl::StatusOr<std::unique_ptr<SentencePieceTokenizer>>
  FromFile(const std::string& path, SentencePieceOptions options);

  // `tokenizer(text, add_special_tokens=False)` of the slow tokenizer.
  // INVALID_ARGUMENT naming the byte offset for invalid UTF-8.
  [[nodiscard]] absl::StatusOr<std::vector<int32_t>> Encode(
      absl::string_view text) const override;
  // Runs of pieces through SentencePiece's Decode; added tokens as their text.
  std::string Decode(absl::Span<const int32_t> ids) const override;
  int32_t bos_id() const override { return bos_id_; }
  bool adds_bos() const override { return add_bos_ && bos_id_ >= 0; }
  int64_t vocab_size() const override { return vocab_size_; }

 private:
  SentencePieceTokenizer();
  // Appends the ids of one stretch of ordinary text.
  absl::Status EncodeStretch(absl::string_view stretch,
                             std::vector<int32_t>* ids) const;

  SentencePieceMode mode_ = SentencePieceMode::kPlain;
  bool add_prefix_space_ = true;
  std::unique_ptr<sp_internal::SentencePieceModel> model_;
  AddedTokenMatcher matcher_;
  absl::flat_hash_set<int32_t> special_ids_;  // added tokens marked special
  std::vector<std::pair<int32_t, std::string>>
      added_by_id_;  // for Decode, sorted by id
  std::string unk_token_;
  size_t unk_token_length_ = 0;  // pieces of unk_token_ (kLlamaNonLegacy)
  int32_t underline_id_ = -1;    // the piece "▁", -1 if none
  int32_t bos_id_ = -1;
  bool add_bos_ = false;
  int64_t vocab_size_ = 0;
};

}  // namespace binq::core

#endif  // BINQ_CORE_TEXT_SENTENCEPIECE_TOKENIZER_H_
