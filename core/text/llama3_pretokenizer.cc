#include "core/text/llama3_pretokenizer.h"

#include "core/text/unicode_class.h"
#include "core/text/utf8.h"

namespace binq::core {

const char kLlama3SplitPattern[] =
    R"((?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\r\n\p{L}\p{N}]?\p{L}+|\p{N}{1,3}| ?[^\s\p{L}\p{N}]+[\r\n]*|\s*[\r\n]+|\s+(?!\S)|\s+)";
const char kQwen2SplitPattern[] =
    R"((?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\r\n\p{L}\p{N}]?\p{L}+|\p{N}| ?[^\s\p{L}\p{N}]+[\r\n]*|\s*[\r\n]+|\s+(?!\S)|\s+)";

namespace {

struct Char {
  char32_t cp = 0;
  int length = 0;  // 0: past the end
  CharClass cls = CharClass::kOther;
};

inline Char CharAt(const unsigned char* p, size_t i, size_t n) {
  Char c;
  if (i >= n) return c;
  c.length = DecodeUtf8(p + i, &c.cp);
  c.cls = ClassOf(c.cp);
  return c;
}

inline bool IsNewline(char32_t cp) { return cp == '\r' || cp == '\n'; }

// End of the run of class `cls` from `i`.
inline size_t RunEnd(const unsigned char* p, size_t i, size_t n,
                     CharClass cls) {
  for (Char c = CharAt(p, i, n); c.length > 0 && c.cls == cls;
       c = CharAt(p, i, n))
    i += c.length;
  return i;
}

// Length of `(?i:'s|'t|'re|'ve|'m|'ll|'d)` at `i` (p[i] == '\''); 0 if none.
inline size_t ContractionLength(const unsigned char* p, size_t i, size_t n) {
  const Char a = CharAt(p, i + 1, n);
  if (a.length == 0) return 0;
  const char32_t la = a.cp < 128 ? static_cast<char32_t>(a.cp | 0x20) : a.cp;
  if (la == 's' || la == 't' || la == 'm' || la == 'd' || a.cp == 0x17F)
    return 1 + a.length;
  const Char b = CharAt(p, i + 1 + a.length, n);
  if (b.length == 0 || b.cp >= 128) return 0;
  const char32_t lb = b.cp | 0x20;
  if ((la == 'r' && lb == 'e') || (la == 'v' && lb == 'e') ||
      (la == 'l' && lb == 'l'))
    return 3;
  return 0;
}

// The whitespace alternatives at `i` (a whitespace character):
// `\s*[\r\n]+` up to the last CR/LF of the run, else `\s+(?!\S)` (the run,
// less its last character when a non-space follows), else `\s+`.
inline size_t WhitespaceEnd(const unsigned char* p, size_t i, size_t n) {
  size_t end = i, last_start = i, after_newline = 0;
  for (Char c = CharAt(p, end, n); c.length > 0 && c.cls == CharClass::kSpace;
       c = CharAt(p, end, n)) {
    last_start = end;
    end += c.length;
    if (IsNewline(c.cp)) after_newline = end;
  }
  if (after_newline != 0) return after_newline;
  if (end == n || last_start == i) return end;
  return last_start;
}

}  // namespace

bool Llama3PretokenIterator::Next(absl::string_view* piece) {
  const auto* p = reinterpret_cast<const unsigned char*>(text_.data());
  const size_t n = text_.size();
  const size_t start = pos_;
  if (start >= n) return false;
  size_t end = start;
  if (p[start] == '\'') end = start + ContractionLength(p, start, n);
  if (end == start) {
    const Char c0 = CharAt(p, start, n);
    const Char c1 = CharAt(p, start + c0.length, n);
    if (c0.cls == CharClass::kLetter) {
      end = RunEnd(p, start, n, CharClass::kLetter);
    } else if (c0.cls != CharClass::kNumber && !IsNewline(c0.cp) &&
               c1.cls == CharClass::kLetter && c1.length > 0) {
      end = RunEnd(p, start + c0.length, n, CharClass::kLetter);
    } else if (c0.cls == CharClass::kNumber) {
      end = start;
      for (int k = 0; k < max_digits_; ++k) {
        const Char c = CharAt(p, end, n);
        if (c.length == 0 || c.cls != CharClass::kNumber) break;
        end += c.length;
      }
    } else if (c0.cls == CharClass::kOther ||
               (c0.cp == ' ' && c1.length > 0 && c1.cls == CharClass::kOther)) {
      const size_t others = c0.cls == CharClass::kOther ? start : start + 1;
      end = RunEnd(p, others, n, CharClass::kOther);
      while (end < n && IsNewline(p[end])) ++end;
    } else {
      end = WhitespaceEnd(p, start, n);
    }
  }
  *piece = text_.substr(start, end - start);
  pos_ = end;
  return true;
}

std::vector<std::string> SplitLlama3Pretokens(absl::string_view text,
                                              int max_digits) {
  std::vector<std::string> out;
  Llama3PretokenIterator it(text, max_digits);
  absl::string_view piece;
  while (it.Next(&piece)) out.emplace_back(piece);
  return out;
}

}  // namespace binq::core
