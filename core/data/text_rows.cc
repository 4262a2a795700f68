#include "core/data/text_rows.h"

#include <utility>

#include "absl/strings/str_cat.h"
#include "core/base/status_macros.h"
#include "core/data/file_util.h"
#include "core/data/utf8.h"

namespace binq::core {
namespace {

bool IsContinuation(unsigned char c) { return (c & 0xC0) == 0x80; }

// Length of the valid UTF-8 sequence at text[pos] (and its code point), or 0.
int DecodeAt(absl::string_view text, size_t pos, char32_t* code_point) {
  const auto* data = reinterpret_cast<const unsigned char*>(text.data());
  return data_internal::DecodeUtf8(data + pos, data + text.size(), code_point);
}

// 1-based line of byte `offset` under universal newlines.
int64_t LineOf(absl::string_view text, size_t offset) {
  int64_t line = 1;
  for (size_t i = 0; i < offset && i < text.size(); ++i) {
    if (text[i] == '\n') {
      ++line;
    } else if (text[i] == '\r' && (i + 1 >= text.size() || text[i + 1] != '\n')) {
      ++line;
    }
  }
  return line;
}

}  // namespace

int64_t FindInvalidUtf8(absl::string_view text) {
  size_t pos = 0;
  while (pos < text.size()) {
    // Fast path over ASCII.
    if (static_cast<unsigned char>(text[pos]) < 0x80) {
      ++pos;
      continue;
    }
    char32_t cp;
    const int n = DecodeAt(text, pos, &cp);
    if (n == 0) return static_cast<int64_t>(pos);
    pos += static_cast<size_t>(n);
  }
  return -1;
}

std::string TranslateNewlines(absl::string_view text) {
  std::string out;
  out.reserve(text.size());
  for (size_t i = 0; i < text.size(); ++i) {
    const char c = text[i];
    if (c != '\r') {
      out.push_back(c);
      continue;
    }
    out.push_back('\n');
    if (i + 1 < text.size() && text[i + 1] == '\n') ++i;  // "\r\n" is one newline
  }
  return out;
}

bool IsPythonWhitespace(char32_t c) {
  if (c <= 0x20) return c == 0x20 || (c >= 0x09 && c <= 0x0D) || (c >= 0x1C && c <= 0x1F);
  switch (c) {
    case 0x85:
    case 0xA0:
    case 0x1680:
    case 0x2028:
    case 0x2029:
    case 0x202F:
    case 0x205F:
    case 0x3000:
      return true;
    default:
      return c >= 0x2000 && c <= 0x200A;
  }
}

absl::string_view PythonStrip(absl::string_view text) {
  size_t begin = 0;
  while (begin < text.size()) {
    char32_t cp;
    const int n = DecodeAt(text, begin, &cp);
    if (n == 0 || !IsPythonWhitespace(cp)) break;
    begin += static_cast<size_t>(n);
  }
  size_t end = text.size();
  while (end > begin) {
    size_t start = end - 1;  // first byte of the last code point
    while (start > begin && IsContinuation(static_cast<unsigned char>(text[start]))) --start;
    char32_t cp;
    const int n = DecodeAt(text, start, &cp);
    if (n == 0 || start + static_cast<size_t>(n) != end || !IsPythonWhitespace(cp)) break;
    end = start;
  }
  return text.substr(begin, end - begin);
}

absl::StatusOr<std::string> ReadUtf8TextFile(const std::string& path) {
  BINQ_ASSIGN_OR_RETURN(std::string bytes, data_internal::ReadFileBytes(path));
  if (const int64_t bad = FindInvalidUtf8(bytes); bad >= 0) {
    return absl::InvalidArgumentError(absl::StrCat(
        path, ": invalid UTF-8 at byte offset ", bad, " (line ", LineOf(bytes, bad),
        "; byte 0x", absl::Hex(static_cast<unsigned char>(bytes[bad]), absl::kZeroPad2), ")"));
  }
  return TranslateNewlines(bytes);
}

std::vector<std::string> SplitLinesKeepEnds(absl::string_view text) {
  std::vector<std::string> lines;
  size_t begin = 0;
  while (begin < text.size()) {
    const size_t newline = text.find('\n', begin);
    const size_t end = newline == absl::string_view::npos ? text.size() : newline + 1;
    lines.emplace_back(text.substr(begin, end - begin));
    begin = end;
  }
  return lines;
}

absl::StatusOr<std::vector<std::string>> ReadWikiTextRows(const std::string& path) {
  BINQ_ASSIGN_OR_RETURN(std::string text, ReadUtf8TextFile(path));
  std::vector<std::string> rows = SplitLinesKeepEnds(text);
  // The HF builder yields `row if row.strip() else ""`.
  for (std::string& row : rows) {
    if (PythonStrip(row).empty()) row.clear();
  }
  return rows;
}

absl::StatusOr<std::vector<std::string>> ReadPtbRows(const std::string& path) {
  BINQ_ASSIGN_OR_RETURN(std::string text, ReadUtf8TextFile(path));
  std::vector<std::string> rows = SplitLinesKeepEnds(text);
  for (std::string& row : rows) row = std::string(PythonStrip(row));
  return rows;
}

}  // namespace binq::core
