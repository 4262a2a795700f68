// The pre-tokenization pattern of LLaMA-3's (and, with one digit per piece,
// Qwen2's / Qwen3's) tokenizer.json, a `Split` with behavior "Isolated":
//   (?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\r\n\p{L}\p{N}]?\p{L}+|\p{N}{1,3}|
//    ?[^\s\p{L}\p{N}]+[\r\n]*|\s*[\r\n]+|\s+(?!\S)|\s+
// (Qwen2: `\p{N}` for `\p{N}{1,3}`), as a hand-written left-to-right scanner
// like gpt2_pretokenizer.h: at each position the first alternative that
// matches, each greedy, backtracking where the pattern would. Character
// classes: unicode_class.h. `(?i:...)` folds case as the `tokenizers`
// library's Oniguruma does: ASCII, and U+017F (ſ) for s. Internal to core/text.
#ifndef BINQ_CORE_TEXT_LLAMA3_PRETOKENIZER_H_
#define BINQ_CORE_TEXT_LLAMA3_PRETOKENIZER_H_

#include <string>
#include <vector>

#include "absl/strings/string_view.h"

namespace binq::core {

// The two patterns (tokenizer.json spells them exactly so).
extern const char kLlama3SplitPattern[];
extern const char kQwen2SplitPattern[];

// Iterates the pieces of `text` (well-formed UTF-8, outliving the iterator);
// the pieces cover `text` exactly, in order. `max_digits`: 3 (LLaMA-3) or 1
// (Qwen2).
class Llama3PretokenIterator {
 public:
  Llama3PretokenIterator(absl::string_view text, int max_digits)
      : text_(text), max_digits_(max_digits) {}
  bool Next(absl::string_view* piece);

 private:
  absl::string_view text_;
  int max_digits_;
  size_t pos_ = 0;
};

// All pieces, for tests and tools.
std::vector<std::string> SplitLlama3Pretokens(absl::string_view text,
                                              int max_digits);

}  // namespace binq::core

#endif  // BINQ_CORE_TEXT_LLAMA3_PRETOKENIZER_H_
