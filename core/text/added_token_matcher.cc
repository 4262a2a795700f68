#include "core/text/added_token_matcher.h"

#include <algorithm>

#include "core/text/unicode_class.h"
#include "core/text/utf8.h"

namespace binq::core {
namespace {

// Start of the whitespace run that ends at `end` (not before `floor`).
size_t WhitespaceStart(absl::string_view text, size_t floor, size_t end) {
  size_t i = end;
  while (i > floor) {
    size_t j = i - 1;
    while (j > floor && (static_cast<unsigned char>(text[j]) & 0xC0) == 0x80)
      --j;
    char32_t cp;
    DecodeUtf8(reinterpret_cast<const unsigned char*>(text.data()) + j, &cp);
    if (ClassOf(cp) != CharClass::kSpace) break;
    i = j;
  }
  return i;
}

// End of the whitespace run that starts at `start`.
size_t WhitespaceEnd(absl::string_view text, size_t start) {
  size_t i = start;
  while (i < text.size()) {
    char32_t cp;
    const int length = DecodeUtf8(
        reinterpret_cast<const unsigned char*>(text.data()) + i, &cp);
    if (ClassOf(cp) != CharClass::kSpace) break;
    i += length;
  }
  return i;
}

}  // namespace

void AddedTokenMatcher::Add(const MatchedToken& token) {
  if (token.content.empty() || by_content_.contains(token.content)) return;
  by_content_.emplace(token.content, tokens_.size());
  tokens_.push_back(token);
  first_byte_[static_cast<unsigned char>(token.content[0])] = true;
  longest_ = std::max(longest_, token.content.size());
}

void AddedTokenMatcher::Split(
    absl::string_view text,
    const std::function<void(size_t, absl::string_view)>& on_text,
    const std::function<void(int32_t)>& on_token) const {
  size_t segment_start = 0;
  size_t i = 0;
  while (i < text.size()) {
    if (first_byte_[static_cast<unsigned char>(text[i])]) {
      const size_t max_length = std::min(longest_, text.size() - i);
      const MatchedToken* match = nullptr;
      size_t length = max_length;
      for (; length > 0; --length) {
        auto it = by_content_.find(text.substr(i, length));
        if (it != by_content_.end()) {
          match = &tokens_[it->second];
          break;
        }
      }
      if (match != nullptr) {
        const size_t begin =
            match->lstrip ? WhitespaceStart(text, segment_start, i) : i;
        const size_t end =
            match->rstrip ? WhitespaceEnd(text, i + length) : i + length;
        on_text(segment_start,
                text.substr(segment_start, begin - segment_start));
        on_token(match->id);
        i = end;
        segment_start = end;
        continue;
      }
    }
    ++i;
  }
  on_text(segment_start, text.substr(segment_start));
}

}  // namespace binq::core
