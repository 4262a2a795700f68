// Plain-text dataset files read into the rows the reference loaders see
// (ALGORITHMS.md §8.1): the Hugging Face `wikitext` and `ptb_text_only`
// builders open the publishers' files as UTF-8 text with Python's universal
// newlines and iterate over lines. Also the text helpers they need, with
// Python's semantics (UTF-8 validation, newline translation, str.strip()).
//
// All functions are thread-compatible (no shared state). File errors name the
// file: NOT_FOUND (missing), PERMISSION_DENIED, INVALID_ARGUMENT (not a
// regular file; invalid UTF-8, with the byte offset and line).
#ifndef BINQ_CORE_DATA_TEXT_ROWS_H_
#define BINQ_CORE_DATA_TEXT_ROWS_H_

#include <cstdint>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"

namespace binq::core {

// Byte offset of the first byte where `text` stops being valid UTF-8 as
// Python's strict "utf-8" codec decodes it (no overlong forms, no surrogates
// U+D800…U+DFFF, nothing above U+10FFFF, no truncated sequence), or -1 when
// all of it is valid.
int64_t FindInvalidUtf8(absl::string_view text);

// Python's universal newlines on read: "\r\n" and a lone "\r" become "\n".
std::string TranslateNewlines(absl::string_view text);

// Python's str.isspace() for one code point (the 29 code points CPython's
// Py_UNICODE_ISSPACE accepts: \t\n\v\f\r, \x1c…\x1f, space, U+0085, U+00A0,
// U+1680, U+2000…U+200A, U+2028, U+2029, U+202F, U+205F, U+3000).
bool IsPythonWhitespace(char32_t code_point);

// Python's str.strip() with no argument on valid UTF-8 `text`: a view into
// `text` without leading and trailing whitespace code points.
absl::string_view PythonStrip(absl::string_view text);

// The contents of `path` as Python's `open(path, encoding="utf-8").read()`
// returns them: checked to be UTF-8, newlines translated. A byte-order mark
// is kept (as the "utf-8" codec keeps U+FEFF).
[[nodiscard]] absl::StatusOr<std::string> ReadUtf8TextFile(const std::string& path);

// Lines of already translated text, each keeping its trailing "\n" (the last
// one may lack it); "" gives no line. As iterating over a Python text file.
std::vector<std::string> SplitLinesKeepEnds(absl::string_view text);

// WikiText-2 raw rows (HF `wikitext`, `wikitext-2-raw-v1`): one row per line
// keeping its "\n"; a line that is whitespace only becomes "".
[[nodiscard]] absl::StatusOr<std::vector<std::string>> ReadWikiTextRows(const std::string& path);

// Penn Treebank rows (HF `ptb_text_only`): one row per line, stripped as
// str.strip() does; every line is kept, empty ones as "".
[[nodiscard]] absl::StatusOr<std::vector<std::string>> ReadPtbRows(const std::string& path);

}  // namespace binq::core

#endif  // BINQ_CORE_DATA_TEXT_ROWS_H_
