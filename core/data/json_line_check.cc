#include "core/data/json_line_check.h"

#include <array>

#include "core/data/utf8.h"

namespace binq::core::data_internal {
namespace {

// Byte classes inside a JSON string.
enum : unsigned char { kPlain = 0, kQuote, kBackslash, kControl, kHigh };

constexpr std::array<unsigned char, 256> MakeClasses() {
  std::array<unsigned char, 256> table{};
  for (int c = 0; c < 256; ++c) {
    table[c] = c < 0x20 ? kControl : c >= 0x80 ? kHigh : kPlain;
  }
  table['"'] = kQuote;
  table['\\'] = kBackslash;
  return table;
}
constexpr std::array<unsigned char, 256> kClasses = MakeClasses();

class Scanner {
 public:
  explicit Scanner(absl::string_view s)
      : p_(reinterpret_cast<const unsigned char*>(s.data())), end_(p_ + s.size()) {}

  bool Run() {
    SkipSpace();
    if (!Take('{')) return false;
    SkipSpace();
    int texts = 0;
    if (!Take('}')) {
      for (;;) {
        const unsigned char* key = p_ + 1;
        bool escaped = false;
        if (!String(&escaped) || escaped) return false;
        const bool is_text = p_ - key == 5 && key[0] == 't' && key[1] == 'e' && key[2] == 'x' &&
                             key[3] == 't';
        SkipSpace();
        if (!Take(':')) return false;
        SkipSpace();
        if (p_ == end_) return false;
        if (*p_ == '"') {
          if (!String(&escaped)) return false;
          if (is_text) ++texts;
        } else if (is_text || !Literal()) {
          return false;  // "text" must be a string; other values: literals only
        }
        SkipSpace();
        if (Take('}')) break;
        if (!Take(',')) return false;
        SkipSpace();
      }
    }
    SkipSpace();
    return p_ == end_ && texts == 1;
  }

 private:
  void SkipSpace() {
    while (p_ < end_ && (*p_ == ' ' || *p_ == '\t' || *p_ == '\n' || *p_ == '\r')) ++p_;
  }
  bool Take(unsigned char c) {
    if (p_ < end_ && *p_ == c) {
      ++p_;
      return true;
    }
    return false;
  }
  bool Literal() {
    for (const absl::string_view word : {"true", "false", "null"}) {
      if (static_cast<size_t>(end_ - p_) >= word.size() &&
          absl::string_view(reinterpret_cast<const char*>(p_), word.size()) == word) {
        p_ += word.size();
        return true;
      }
    }
    return false;
  }
  static int Hex(unsigned char c) {
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    if (c >= 'A' && c <= 'F') return c - 'A' + 10;
    return -1;
  }
  // \uXXXX at p_ (after the backslash and 'u'): its code unit, or −1.
  int CodeUnit() {
    if (end_ - p_ < 4) return -1;
    int value = 0;
    for (int i = 0; i < 4; ++i) {
      const int h = Hex(p_[i]);
      if (h < 0) return -1;
      value = value * 16 + h;
    }
    p_ += 4;
    return value;
  }
  // A string at p_ (which must be '"'); leaves p_ after the closing quote.
  bool String(bool* escaped) {
    *escaped = false;
    if (!Take('"')) return false;
    for (;;) {
      while (p_ < end_ && kClasses[*p_] == kPlain) ++p_;
      if (p_ == end_) return false;
      switch (kClasses[*p_]) {
        case kQuote:
          ++p_;
          return true;
        case kControl:
          return false;
        case kHigh: {
          char32_t cp;
          const int n = DecodeUtf8(p_, end_, &cp);
          if (n == 0) return false;
          p_ += n;
          break;
        }
        case kBackslash: {
          *escaped = true;
          ++p_;
          if (p_ == end_) return false;
          const unsigned char e = *p_++;
          if (e == 'u') {
            const int unit = CodeUnit();
            if (unit < 0 || (unit >= 0xDC00 && unit <= 0xDFFF)) return false;
            if (unit >= 0xD800 && unit <= 0xDBFF) {  // needs its low surrogate
              if (!Take('\\') || !Take('u')) return false;
              const int low = CodeUnit();
              if (low < 0xDC00 || low > 0xDFFF) return false;
            }
          } else if (e != '"' && e != '\\' && e != '/' && e != 'b' && e != 'f' && e != 'n' &&
                     e != 'r' && e != 't') {
            return false;
          }
          break;
        }
        default:
          break;
      }
    }
  }

  const unsigned char* p_;
  const unsigned char* end_;
};

}  // namespace

bool IsFlatJsonObjectWithText(absl::string_view line) { return Scanner(line).Run(); }

}  // namespace binq::core::data_internal
