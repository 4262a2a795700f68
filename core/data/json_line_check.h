// A fast, conservative check of one JSON line (internal to binq::core_data):
// reading the C4 train shard parses ~800 MB of JSON only to count and check
// the documents, which nlohmann::json does at ~100 MB/s.
#ifndef BINQ_CORE_DATA_JSON_LINE_CHECK_H_
#define BINQ_CORE_DATA_JSON_LINE_CHECK_H_

#include "absl/strings/string_view.h"

namespace binq::core::data_internal {

// True only when `line` is certainly a valid JSON object (as nlohmann::json
// parses it) holding exactly one key "text" whose value is a string: an
// object of keys without escapes and values that are strings, true, false or
// null, with valid UTF-8 and valid escapes. False means "not sure": the
// caller parses the line with nlohmann::json to decide and to say what is
// wrong. Never true for a line nlohmann::json would reject.
bool IsFlatJsonObjectWithText(absl::string_view line);

}  // namespace binq::core::data_internal

#endif  // BINQ_CORE_DATA_JSON_LINE_CHECK_H_
