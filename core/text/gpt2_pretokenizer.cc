#include "core/text/gpt2_pretokenizer.h"

#include "core/text/unicode_class.h"
#include "core/text/utf8.h"

namespace binq::core {
namespace {

// Class and length of the character at `i` (i < n).
inline CharClass ClassAt(const unsigned char* p, size_t i, int* length) {
  if (p[i] < 0x80) {
    *length = 1;
    return ClassOf(p[i]);
  }
  char32_t cp;
  *length = DecodeUtf8(p + i, &cp);
  return ClassOf(cp);
}

// End of the run of characters of class `c` starting at `i`.
inline size_t RunEnd(const unsigned char* p, size_t i, size_t n, CharClass c) {
  while (i < n) {
    int length;
    if (ClassAt(p, i, &length) != c) break;
    i += length;
  }
  return i;
}

// Length of the contraction ('s 't 're 've 'm 'll 'd; lowercase ASCII only, as
// the pattern has no IGNORECASE) at `i`, where p[i] == '\''; 0 if none.
inline size_t ContractionLength(const unsigned char* p, size_t i, size_t n) {
  if (i + 1 >= n) return 0;
  const unsigned char a = p[i + 1];
  if (a == 's' || a == 't' || a == 'm' || a == 'd') return 2;
  if (i + 2 >= n) return 0;
  const unsigned char b = p[i + 2];
  if ((a == 'r' && b == 'e') || (a == 'v' && b == 'e') || (a == 'l' && b == 'l')) return 3;
  return 0;
}

}  // namespace

bool Gpt2PretokenIterator::Next(absl::string_view* piece) {
  const auto* p = reinterpret_cast<const unsigned char*>(text_.data());
  const size_t n = text_.size();
  const size_t start = pos_;
  if (start >= n) return false;
  size_t end = start;  // start: no match decided yet

  if (p[start] == '\'') end = start + ContractionLength(p, start, n);
  if (end == start) {
    int length;
    const CharClass c = ClassAt(p, start, &length);
    if (c != CharClass::kSpace) {
      // ` ?\p{L}+`, ` ?\p{N}+`, ` ?[^\s\p{L}\p{N}]+` without the space.
      end = RunEnd(p, start + length, n, c);
    } else {
      // A U+0020 followed by a letter, number or other character starts one of
      // those three alternatives (they come before the whitespace ones).
      if (p[start] == ' ' && start + 1 < n) {
        int next_length;
        const CharClass next = ClassAt(p, start + 1, &next_length);
        if (next != CharClass::kSpace) end = RunEnd(p, start + 1 + next_length, n, next);
      }
      if (end == start) {
        // `\s+(?!\S)`: the whole run if the text ends there, otherwise the run
        // without its last character (which then precedes the non-space);
        // `\s+` when that leaves nothing (a single whitespace character).
        size_t run_end = start, last = start;
        while (run_end < n) {
          int l;
          if (ClassAt(p, run_end, &l) != CharClass::kSpace) break;
          last = run_end;
          run_end += l;
        }
        end = (run_end == n || last == start) ? run_end : last;
      }
    }
  }
  *piece = text_.substr(start, end - start);
  pos_ = end;
  return true;
}

std::vector<std::string> SplitGpt2Pretokens(absl::string_view text) {
  std::vector<std::string> out;
  Gpt2PretokenIterator it(text);
  absl::string_view piece;
  while (it.Next(&piece)) out.emplace_back(piece);
  return out;
}

}  // namespace binq::core
