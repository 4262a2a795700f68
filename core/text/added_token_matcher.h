// Cuts added tokens (special tokens such as "<s>", "<|begin_of_text|>", and
// user-defined ones such as Gemma's "\n\n") out of a text, as transformers'
// slow tokenizers (a trie) and the `tokenizers` library (Aho-Corasick,
// leftmost-longest) do: at the leftmost position where some token starts,
// the longest token there wins. Internal to core/text.
#ifndef BINQ_CORE_TEXT_ADDED_TOKEN_MATCHER_H_
#define BINQ_CORE_TEXT_ADDED_TOKEN_MATCHER_H_

#include <array>
#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/strings/string_view.h"

namespace binq::core {

struct MatchedToken {
  std::string content;
  int32_t id = -1;
  bool lstrip = false;  // the match takes the whitespace before it
  bool rstrip = false;  // ... and after it
};

class AddedTokenMatcher {
 public:
  AddedTokenMatcher() = default;
  // A content seen before is ignored; empty contents are ignored.
  void Add(const MatchedToken& token);
  bool empty() const { return by_content_.empty(); }

  // Calls `on_text(offset, text)` for each stretch of ordinary text (possibly
  // empty) and `on_token(id)` for each token, in order. `text` must be
  // well-formed UTF-8 (lstrip/rstrip take Unicode White_Space).
  void Split(absl::string_view text,
             const std::function<void(size_t, absl::string_view)>& on_text,
             const std::function<void(int32_t)>& on_token) const;

 private:
  absl::flat_hash_map<std::string, size_t>
      by_content_;  // content → index in tokens_
  std::vector<MatchedToken> tokens_;
  std::array<bool, 256> first_byte_{};
  size_t longest_ = 0;
};

}  // namespace binq::core

#endif  // BINQ_CORE_TEXT_ADDED_TOKEN_MATCHER_H_
