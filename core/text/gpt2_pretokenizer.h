// The GPT-2 pre-tokenization: splits text into the pieces that
//   regex.findall(r"'s|'t|'re|'ve|'m|'ll|'d| ?\p{L}+| ?\p{N}+| ?[^\s\p{L}\p{N}]+|\s+(?!\S)|\s+", text)
// returns with Python's `regex` module, without a regex engine: one left-to-
// right scan deciding each match as the alternation would (first alternative
// that matches, each greedy, `\s+(?!\S)` giving back one whitespace character
// when a non-space follows). Character classes: unicode_class.h.
// Internal to core/text.
#ifndef BINQ_CORE_TEXT_GPT2_PRETOKENIZER_H_
#define BINQ_CORE_TEXT_GPT2_PRETOKENIZER_H_

#include <string>
#include <vector>

#include "absl/strings/string_view.h"

namespace binq::core {

// Iterates the pieces of `text`, which must be well-formed UTF-8 (check with
// ValidateUtf8 first) and outlive the iterator. The pieces cover `text`
// exactly, in order. Not thread-safe (one iterator per thread).
class Gpt2PretokenIterator {
 public:
  explicit Gpt2PretokenIterator(absl::string_view text) : text_(text) {}

  // Stores the next piece in `*piece`; false at the end.
  bool Next(absl::string_view* piece);

 private:
  absl::string_view text_;
  size_t pos_ = 0;
};

// All pieces of `text` (well-formed UTF-8), for tests and tools.
std::vector<std::string> SplitGpt2Pretokens(absl::string_view text);

}  // namespace binq::core

#endif  // BINQ_CORE_TEXT_GPT2_PRETOKENIZER_H_
