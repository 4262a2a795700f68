#include "core/text/utf8.h"

#include "absl/strings/str_format.h"
#include "core/base/utf8_lead.h"

namespace binq::core {
namespace {

enum class Utf8Error { kNone, kInvalidStart, kInvalidContinuation, kTruncated };

// Length of the well-formed sequence at `p` (n bytes left), or 0 with the
// error and the length of its maximal ill-formed subpart (at least 1) in
// `*bad_length` (Unicode Table 3-7; the "maximal subpart" practice that
// Python follows).
int SequenceLength(const unsigned char* p, size_t n, Utf8Error* error, int* bad_length) {
  const unsigned char b0 = p[0];
  *error = Utf8Error::kNone;
  if (b0 < 0x80) return 1;
  const Utf8Lead lead = ClassifyUtf8Lead(b0);
  const int length = lead.length;
  const unsigned char lo = lead.second_lo, hi = lead.second_hi;
  if (length == 0) {
    *error = Utf8Error::kInvalidStart;
    *bad_length = 1;
    return 0;
  }
  for (int i = 1; i < length; ++i) {
    if (static_cast<size_t>(i) >= n) {
      *error = Utf8Error::kTruncated;
      *bad_length = i;
      return 0;
    }
    const unsigned char b = p[i];
    const unsigned char min = i == 1 ? lo : 0x80, max = i == 1 ? hi : 0xBF;
    if (b < min || b > max) {
      *error = Utf8Error::kInvalidContinuation;
      *bad_length = i;
      return 0;
    }
  }
  return length;
}

}  // namespace

absl::Status ValidateUtf8(absl::string_view text) {
  const auto* p = reinterpret_cast<const unsigned char*>(text.data());
  const size_t n = text.size();
  size_t i = 0;
  while (i < n) {
    // ASCII runs are the common case: eight bytes at a time.
    while (i + 8 <= n) {
      uint64_t word;
      __builtin_memcpy(&word, p + i, 8);
      if (word & 0x8080808080808080ULL) break;
      i += 8;
    }
    if (i >= n) break;
    if (p[i] < 0x80) {
      ++i;
      continue;
    }
    Utf8Error error;
    int bad_length = 0;
    const int length = SequenceLength(p + i, n - i, &error, &bad_length);
    if (length == 0) {
      const char* why = error == Utf8Error::kInvalidStart          ? "invalid start byte"
                        : error == Utf8Error::kInvalidContinuation ? "invalid continuation byte"
                                                                   : "unexpected end of data";
      return absl::InvalidArgumentError(
          absl::StrFormat("text is not valid UTF-8 at byte offset %d (byte 0x%02x: %s)", i, p[i], why));
    }
    i += length;
  }
  return absl::OkStatus();
}

void AppendUtf8(char32_t cp, std::string* out) {
  if (cp < 0x80) {
    out->push_back(static_cast<char>(cp));
  } else if (cp < 0x800) {
    out->push_back(static_cast<char>(0xC0 | (cp >> 6)));
    out->push_back(static_cast<char>(0x80 | (cp & 0x3F)));
  } else if (cp < 0x10000) {
    out->push_back(static_cast<char>(0xE0 | (cp >> 12)));
    out->push_back(static_cast<char>(0x80 | ((cp >> 6) & 0x3F)));
    out->push_back(static_cast<char>(0x80 | (cp & 0x3F)));
  } else {
    out->push_back(static_cast<char>(0xF0 | (cp >> 18)));
    out->push_back(static_cast<char>(0x80 | ((cp >> 12) & 0x3F)));
    out->push_back(static_cast<char>(0x80 | ((cp >> 6) & 0x3F)));
    out->push_back(static_cast<char>(0x80 | (cp & 0x3F)));
  }
}

std::string ReplaceInvalidUtf8(absl::string_view bytes) {
  const auto* p = reinterpret_cast<const unsigned char*>(bytes.data());
  const size_t n = bytes.size();
  std::string out;
  out.reserve(n);
  size_t i = 0;
  while (i < n) {
    Utf8Error error;
    int bad_length = 0;
    const int length = SequenceLength(p + i, n - i, &error, &bad_length);
    if (length > 0) {
      out.append(bytes.data() + i, length);
      i += length;
    } else {
      out.append("\xEF\xBF\xBD");  // U+FFFD
      i += bad_length;
    }
  }
  return out;
}

}  // namespace binq::core
