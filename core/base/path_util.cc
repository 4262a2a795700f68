#include "core/base/path_util.h"

#include <dirent.h>
#include <sys/stat.h>

#include <algorithm>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"

namespace binq {

bool IsDirectory(const std::string& path) {
  struct stat st;
  return ::stat(path.c_str(), &st) == 0 && S_ISDIR(st.st_mode);
}

bool IsRegularFile(const std::string& path) {
  struct stat st;
  return ::stat(path.c_str(), &st) == 0 && S_ISREG(st.st_mode);
}

std::string JoinPath(absl::string_view a, absl::string_view b) {
  if (a.empty() || absl::StartsWith(b, "/")) return std::string(b);
  if (b.empty()) return std::string(a);
  return absl::EndsWith(a, "/") ? absl::StrCat(a, b) : absl::StrCat(a, "/", b);
}

std::vector<std::string> ListSubdirectories(const std::string& dir) {
  std::vector<std::string> names;
  DIR* d = ::opendir(dir.c_str());
  if (d == nullptr) return names;
  while (const dirent* e = ::readdir(d)) {
    const std::string name = e->d_name;
    if (name == "." || name == "..") continue;
    if (IsDirectory(JoinPath(dir, name))) names.push_back(name);
  }
  ::closedir(d);
  std::sort(names.begin(), names.end());
  return names;
}

}  // namespace binq
