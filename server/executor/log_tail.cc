#include "server/executor/log_tail.h"

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <system_error>
#include <vector>

#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"

namespace binq::server {

int64_t FileSize(const std::string& path) {
  std::error_code ec;
  const auto size = std::filesystem::file_size(path, ec);
  return ec ? 0 : static_cast<int64_t>(size);
}

std::string LogTail(const std::string& path, int64_t offset, int max_lines, size_t max_bytes) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return "";
  // Only the end of the file matters; read at most a window of it.
  const int64_t size = FileSize(path);
  const int64_t window = static_cast<int64_t>(max_bytes) * 4 + 4096;
  const int64_t start = std::max(offset, size - window);
  if (start >= size) return "";
  in.seekg(start);
  std::string text(static_cast<size_t>(size - start), '\0');
  in.read(text.data(), static_cast<std::streamsize>(text.size()));
  text.resize(static_cast<size_t>(in.gcount()));

  std::vector<std::string> lines;
  for (absl::string_view line : absl::StrSplit(text, '\n')) {
    line = absl::StripAsciiWhitespace(line);
    if (!line.empty()) lines.emplace_back(line);
  }
  if (static_cast<int>(lines.size()) > max_lines) {
    lines.erase(lines.begin(), lines.end() - max_lines);
  }
  std::string tail = absl::StrJoin(lines, "\n");
  if (tail.size() > max_bytes) tail = "…" + tail.substr(tail.size() - max_bytes);
  return tail;
}

LogEnd ReadLogEnd(const std::string& path, int64_t max_bytes) {
  LogEnd end;
  std::ifstream in(path, std::ios::binary);
  if (!in) return end;
  in.seekg(0, std::ios::end);
  const int64_t size = static_cast<int64_t>(in.tellg());
  const int64_t start = std::max<int64_t>(0, size - std::max<int64_t>(max_bytes, 1));
  in.seekg(start);
  end.text.assign(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
  if (start > 0) {
    end.truncated = true;
    const size_t newline = end.text.find('\n');
    end.text.erase(0, newline == std::string::npos ? end.text.size() : newline + 1);
  }
  return end;
}

}  // namespace binq::server
