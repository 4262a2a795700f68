// UTF-8 helpers for the tokenizers, with the well-formedness rules of
// Unicode's Table 3-7 (no overlong forms, no surrogates, nothing above
// U+10FFFF) — the rules Python's UTF-8 codec applies. Internal to core/text.
#ifndef BINQ_CORE_TEXT_UTF8_H_
#define BINQ_CORE_TEXT_UTF8_H_

#include <cstddef>
#include <string>

#include "absl/status/status.h"
#include "absl/strings/string_view.h"

namespace binq::core {

// OK when `text` is well-formed UTF-8; otherwise INVALID_ARGUMENT naming the
// byte offset where the ill-formed sequence starts, the byte, and why (the
// reasons Python's decoder gives: "invalid start byte", "invalid
// continuation byte", "unexpected end of data").
[[nodiscard]] absl::Status ValidateUtf8(absl::string_view text);

// Decodes the code point at `p` of well-formed UTF-8 (not checked); stores it
// in `*cp` and returns its length in bytes (1-4).
inline int DecodeUtf8(const unsigned char* p, char32_t* cp) {
  const unsigned char b0 = p[0];
  if (b0 < 0x80) {
    *cp = b0;
    return 1;
  }
  if (b0 < 0xE0) {
    *cp = (static_cast<char32_t>(b0 & 0x1F) << 6) | (p[1] & 0x3F);
    return 2;
  }
  if (b0 < 0xF0) {
    *cp =
        (static_cast<char32_t>(b0 & 0x0F) << 12) | (static_cast<char32_t>(p[1] & 0x3F) << 6) | (p[2] & 0x3F);
    return 3;
  }
  *cp = (static_cast<char32_t>(b0 & 0x07) << 18) | (static_cast<char32_t>(p[1] & 0x3F) << 12) |
        (static_cast<char32_t>(p[2] & 0x3F) << 6) | (p[3] & 0x3F);
  return 4;
}

// Appends the UTF-8 form of `cp` (a scalar value) to `out`.
void AppendUtf8(char32_t cp, std::string* out);

// `bytes` decoded as Python's bytes.decode("utf-8", errors="replace") does it:
// each maximal ill-formed subpart becomes one U+FFFD. (The Hugging Face GPT-2
// tokenizer decodes with errors="replace".)
std::string ReplaceInvalidUtf8(absl::string_view bytes);

}  // namespace binq::core

#endif  // BINQ_CORE_TEXT_UTF8_H_
