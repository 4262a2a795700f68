#include "core/text/json_file.h"

#include <sys/stat.h>

#include <cerrno>
#include <cstring>
#include <fstream>
#include <sstream>
#include <utility>

#include "absl/strings/str_cat.h"
#include "core/base/status_macros.h"

namespace binq::core {

absl::Status CheckJsonDepth(absl::string_view text, int max_depth,
                            absl::string_view name) {
  int depth = 0;
  bool in_string = false;
  for (size_t i = 0; i < text.size(); ++i) {
    const char c = text[i];
    if (in_string) {
      if (c == '\\') {
        ++i;  // the escaped character cannot end the string
      } else if (c == '"') {
        in_string = false;
      }
      continue;
    }
    if (c == '"') {
      in_string = true;
    } else if (c == '[' || c == '{') {
      if (++depth > max_depth) {
        return absl::DataLossError(
            absl::StrCat(name, ": JSON nested deeper than ", max_depth,
                         " levels at byte ", i, "; not a tokenizer file"));
      }
    } else if (c == ']' || c == '}') {
      --depth;
    }
  }
  return absl::OkStatus();
}

absl::StatusOr<nlohmann::json> ParseJsonText(absl::string_view text,
                                             absl::string_view name,
                                             int max_depth) {
  BINQ_RETURN_IF_ERROR(CheckJsonDepth(text, max_depth, name));
  try {
    return nlohmann::json::parse(text.begin(), text.end());
  } catch (const nlohmann::json::exception& e) {
    return absl::DataLossError(
        absl::StrCat(name, ": not valid JSON: ", e.what()));
  }
}

absl::StatusOr<std::string> ReadWholeFile(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in)
    return absl::NotFoundError(
        absl::StrCat(path, ": cannot open: ", std::strerror(errno)));
  std::stringstream s;
  s << in.rdbuf();
  if (in.bad()) return absl::DataLossError(absl::StrCat(path, ": read failed"));
  return s.str();
}

bool IsRegularFilePath(const std::string& path) {
  struct stat st;
  return ::stat(path.c_str(), &st) == 0 && S_ISREG(st.st_mode);
}

bool IsDirectoryPath(const std::string& path) {
  struct stat st;
  return ::stat(path.c_str(), &st) == 0 && S_ISDIR(st.st_mode);
}

absl::StatusOr<std::optional<nlohmann::json>> ReadJsonObjectIfPresent(
    const std::string& path) {
  if (!IsRegularFilePath(path)) return std::optional<nlohmann::json>();
  BINQ_ASSIGN_OR_RETURN(const std::string text, ReadWholeFile(path));
  BINQ_ASSIGN_OR_RETURN(nlohmann::json j, ParseJsonText(text, path));
  if (!j.is_object())
    return absl::DataLossError(absl::StrCat(path, ": expected a JSON object"));
  return std::optional<nlohmann::json>(std::move(j));
}

std::string ShortJson(const nlohmann::json& value) {
  std::string s =
      value.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
  if (s.size() > 80) s = absl::StrCat(s.substr(0, 77), "...");
  return s;
}

}  // namespace binq::core
