// Tokenizer: text → token ids, as the model's own (slow) Hugging Face
// tokenizer does it. Implementations: byte-level BPE (GPT-2, OPT;
// bpe_tokenizer.h), SentencePiece (LLaMA-1/2, Gemma;
// sentencepiece_tokenizer.h), tokenizer.json BPE (LLaMA-3, Qwen2/3;
// hf_json_tokenizer.h); LoadTokenizer in tokenizer_loader.h picks one. No
// LibTorch here. Implementations are thread-safe.
#ifndef BINQ_CORE_TEXT_TOKENIZER_H_
#define BINQ_CORE_TEXT_TOKENIZER_H_

#include <cstdint>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/types/span.h"

namespace binq::core {

class Tokenizer {
 public:
  virtual ~Tokenizer() = default;

  // Ids of `text` without adding any special token (HF's
  // `tokenizer(text, add_special_tokens=False)`); a special token written in
  // the text (OPT's `</s>`) is that token, as in HF. INVALID_ARGUMENT for
  // text that is not valid UTF-8 (naming the byte offset).
  [[nodiscard]] virtual absl::StatusOr<std::vector<int32_t>> Encode(absl::string_view text) const = 0;

  // What the references feed the model: Encode(text) with BOS prepended when
  // the model's tokenizer adds it (OPT: `</s>`, id 2; LLaMA `<s>` 1; Gemma
  // `<bos>`; LLaMA-3 `<|begin_of_text|>`; Qwen2 none; ALGORITHMS.md §8.2).
  [[nodiscard]] absl::StatusOr<std::vector<int32_t>> EncodeForModel(absl::string_view text) const {
    auto ids = Encode(text);
    if (!ids.ok() || !adds_bos()) return ids;
    ids->insert(ids->begin(), bos_id());
    return ids;
  }

  // The text of `ids` (invalid UTF-8 from partial tokens replaced by U+FFFD,
  // ids the tokenizer does not know skipped).
  virtual std::string Decode(absl::Span<const int32_t> ids) const = 0;
  virtual int32_t bos_id() const = 0;      // -1 when there is none
  virtual bool adds_bos() const = 0;       // the HF tokenizer prepends BOS on every call
  virtual int64_t vocab_size() const = 0;  // one past the largest id
};

}  // namespace binq::core

#endif  // BINQ_CORE_TEXT_TOKENIZER_H_
