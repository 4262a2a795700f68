// A tokenizer from a Hugging Face `tokenizer.json` with a `BPE` model, giving
// the ids the `tokenizers` library gives (`Tokenizer.from_file(path)
// .encode(text, add_special_tokens=False).ids` for Encode):
//  1. added tokens (tokenizer.json's added_tokens; `lstrip`/`rstrip`
//     honoured) are cut out of the text (added_token_matcher.h) — those with
//     normalized=false before normalization, the others after;
//  2. the rest is normalized (hf_normalizer.h), pre-tokenized
//     (hf_pretokenizer.h) and each word goes through the BPE model
//     (bpe_model.h);
//  3. the post-processor's TemplateProcessing "single" decides BOS: a
//     template "<bos> $A" is BOS added (LLaMA-2, LLaMA-3, Gemma); none or
//     ByteLevel only is no BOS (Qwen2). Templates that add more than one token
//     before the text, or any after it (EOS), are refused at load.
// Covers byte-level BPE (LLaMA-3, Qwen2/3, GPT-2/OPT files) and the
// Metaspace + byte_fallback form of converted SentencePiece models (LLaMA-2,
// Gemma). Immutable after creation except for the word cache; thread-safe.
#ifndef BINQ_CORE_TEXT_HF_JSON_TOKENIZER_H_
#define BINQ_CORE_TEXT_HF_JSON_TOKENIZER_H_

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/types/span.h"
#include "core/text/added_token_matcher.h"
#include "core/text/bpe_model.h"
#include "core/text/hf_normalizer.h"
#include "core/text/hf_pretokenizer.h"
#include "core/text/tokenizer.h"

namespace binq::core {

struct HfJsonOptions {
  // When set, overrides the post-processor: BOS added or not (transformers'
  // Llama/Gemma fast tokenizers rebuild the template from
  // tokenizer_config.json's add_bos_token). The BOS is then `bos_token`
  // (an added token or vocabulary entry), else the template's.
  std::optional<bool> add_bos;
  std::string bos_token;
};

class HfJsonTokenizer final : public Tokenizer {
 public:
  // NOT_FOUND when the file cannot be read; DATA_LOSS naming the file and the
  // field for malformed content (including JSON nested deeper than
  // kMaxTokenizerJsonDepth); UNIMPLEMENTED naming the field for a model,
  // normalizer, pre-tokenizer, post-processor or added-token flag binq does
  // not implement.
  [[nodiscard]] static absl::StatusOr<std::unique_ptr<HfJsonTokenizer>>
  FromFile(const std::string& path, HfJsonOptions options = {});
  [[nodiscard]] static absl::StatusOr<std::unique_ptr<HfJsonTokenizer>>
  FromContents(absl::string_view json_text, HfJsonOptions options,
               absl::string_view name = "tokenizer.json");

  // INVALID_ARGUMENT naming the byte offset for invalid UTF-8.
  [[nodiscard]] absl::StatusOr<std::vector<int32_t>> Encode(
      absl::string_view text) const override;
  // Tokens joined as the file's decoder does it for ByteLevel (bytes back from
  // the printable map) and for the SentencePiece-style decoders (Metaspace,
  // or Replace "▁"→" " + ByteFallback + Fuse [+ Strip]); other decoders:
  // the token strings joined. Added tokens as their text; unknown ids skipped.
  std::string Decode(absl::Span<const int32_t> ids) const override;
  int32_t bos_id() const override { return bos_id_; }
  bool adds_bos() const override { return add_bos_ && bos_id_ >= 0; }
  int64_t vocab_size() const override { return vocab_size_; }

  std::optional<int32_t> TokenToId(
      absl::string_view token) const;  // added token or vocabulary entry

 private:
  enum class DecoderKind { kByteLevel, kSentencePiece, kJoin };
  HfJsonTokenizer() = default;
  // Appends the ids of ordinary text at `offset` of the original text.
  void EncodeSegment(absl::string_view segment, size_t offset,
                     BpeModel::Session* session,
                     std::vector<int32_t>* ids) const;

  std::unique_ptr<BpeModel> model_;
  HfNormalizer normalizer_;
  HfPreTokenizer pre_tokenizer_;
  AddedTokenMatcher raw_tokens_;         // normalized=false
  AddedTokenMatcher normalized_tokens_;  // normalized=true
  absl::flat_hash_map<int32_t, std::string> added_by_id_;
  absl::flat_hash_map<std::string, int32_t> added_by_content_;
  DecoderKind decoder_ = DecoderKind::kJoin;
  bool strip_leading_space_ = false;  // kSentencePiece
  int32_t bos_id_ = -1;
  bool add_bos_ = false;
  int64_t vocab_size_ = 0;
};

}  // namespace binq::core

#endif  // BINQ_CORE_TEXT_HF_JSON_TOKENIZER_H_
