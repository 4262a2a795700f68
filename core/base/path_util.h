// Small path and directory helpers on POSIX calls.
//
// Why not std::filesystem: libtorch_cpu.so exports its own copy of
// libstdc++'s std::filesystem symbols; in a process that loads it, calls
// from our code can bind to that copy, built with another compiler, and
// crash. Code that may end up in a LibTorch process uses these instead.
#ifndef BINQ_CORE_BASE_PATH_UTIL_H_
#define BINQ_CORE_BASE_PATH_UTIL_H_

#include <string>
#include <vector>

#include "absl/strings/string_view.h"

namespace binq {

bool IsDirectory(const std::string& path);    // follows symbolic links
bool IsRegularFile(const std::string& path);  // follows symbolic links
// "a" + "/" + "b", without doubling a trailing slash of `a`; `b` absolute
// replaces `a`.
std::string JoinPath(absl::string_view a, absl::string_view b);
// Names of the subdirectories of `dir` (not "." or ".."), sorted; empty when
// `dir` cannot be read.
std::vector<std::string> ListSubdirectories(const std::string& dir);

}  // namespace binq

#endif  // BINQ_CORE_BASE_PATH_UTIL_H_
