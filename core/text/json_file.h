// Reading the JSON files of a tokenizer folder defensively: nesting deeper
// than a limit is refused before nlohmann-json sees the text (its dump() and
// some of its algorithms recurse, and a 100,000-deep value crashed binq-run),
// and every error names the file. Internal to core/text.
#ifndef BINQ_CORE_TEXT_JSON_FILE_H_
#define BINQ_CORE_TEXT_JSON_FILE_H_

#include <optional>
#include <string>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "nlohmann/json.hpp"

namespace binq::core {

// Tokenizer files nest a few levels (tokenizer.json about 6).
inline constexpr int kMaxTokenizerJsonDepth = 64;

// OK when no array/object in `text` nests deeper than `max_depth` (brackets
// inside strings do not count); else DATA_LOSS naming `name` and the byte
// offset. Does not validate the JSON otherwise.
[[nodiscard]] absl::Status CheckJsonDepth(absl::string_view text, int max_depth,
                                          absl::string_view name);

// The parsed `text`: DATA_LOSS naming `name` when too deep or not JSON.
[[nodiscard]] absl::StatusOr<nlohmann::json> ParseJsonText(
    absl::string_view text, absl::string_view name,
    int max_depth = kMaxTokenizerJsonDepth);

// The whole file (NOT_FOUND naming it when it cannot be opened).
[[nodiscard]] absl::StatusOr<std::string> ReadWholeFile(
    const std::string& path);

// The parsed file, or nullopt when there is no such regular file; DATA_LOSS
// naming the file when it is malformed or not a JSON object.
[[nodiscard]] absl::StatusOr<std::optional<nlohmann::json>>
ReadJsonObjectIfPresent(const std::string& path);

bool IsRegularFilePath(const std::string& path);
bool IsDirectoryPath(const std::string& path);

// A short rendering of `value` for error messages (at most ~80 characters;
// safe on any value that passed CheckJsonDepth).
std::string ShortJson(const nlohmann::json& value);

}  // namespace binq::core

#endif  // BINQ_CORE_TEXT_JSON_FILE_H_
