#include "core/pipeline/output_dir.h"

#include <dirent.h>
#include <fcntl.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/strip.h"
#include "core/base/path_util.h"
#include "core/base/status_macros.h"
#include "core/io/posix_file.h"

namespace binq::core {

absl::Status CheckReplaceable(const std::string& dir, const std::string& marker) {
  struct stat st;
  if (::lstat(dir.c_str(), &st) != 0) {
    if (errno == ENOENT) return absl::OkStatus();
    return ErrnoStatus(errno, dir, "cannot stat the output directory");
  }
  const std::string why = absl::StrCat("; remove it or choose another output directory (an existing one is "
                                       "replaced only when it is empty or an earlier result with ", marker, ")");
  if (!S_ISDIR(st.st_mode)) {
    return absl::InvalidArgumentError(absl::StrCat("output directory ", dir, ": exists and is not a folder", why));
  }
  if (struct stat m; ::lstat(JoinPath(dir, marker).c_str(), &m) == 0 && S_ISREG(m.st_mode)) {
    return absl::OkStatus();
  }
  DIR* d = ::opendir(dir.c_str());
  if (d == nullptr) return ErrnoStatus(errno, dir, "cannot read the output directory");
  bool empty = true;
  while (const dirent* e = ::readdir(d)) {
    const std::string name = e->d_name;
    if (name != "." && name != "..") empty = false;
  }
  ::closedir(d);
  if (empty) return absl::OkStatus();
  return absl::InvalidArgumentError(
      absl::StrCat("output directory ", dir, ": exists, is not empty and holds no ", marker, why));
}

absl::StatusOr<std::unique_ptr<OutputDir>> OutputDir::Create(const std::string& dir, const std::string& marker) {
  const std::string clean(absl::StripSuffix(dir, "/"));
  if (clean.empty()) return absl::InvalidArgumentError("output directory: must not be empty");
  if (!marker.empty()) BINQ_RETURN_IF_ERROR(CheckReplaceable(clean, marker));
  BINQ_RETURN_IF_ERROR(MakeDirs(ParentDir(clean)));
  std::string pattern = absl::StrCat(clean, ".partial-XXXXXX");
  std::vector<char> buffer(pattern.begin(), pattern.end());
  buffer.push_back('\0');
  if (::mkdtemp(buffer.data()) == nullptr) {
    return ErrnoStatus(errno, pattern, "cannot create the staging folder");
  }
  // mkdtemp makes it private (0700); results are for the lab to read.
  if (::chmod(buffer.data(), 0755) != 0) return ErrnoStatus(errno, buffer.data(), "cannot chmod");
  return std::unique_ptr<OutputDir>(new OutputDir(clean, buffer.data(), marker));
}

OutputDir::~OutputDir() {
  if (!committed_) (void)RemoveTree(staging_);
}

std::string OutputDir::Staged(const std::string& name) const { return JoinPath(staging_, name); }
std::string OutputDir::Final(const std::string& name) const { return JoinPath(dir_, name); }

absl::Status OutputDir::Commit() {
  if (committed_) return absl::FailedPreconditionError(absl::StrCat(dir_, ": already committed"));
  if (!marker_.empty()) BINQ_RETURN_IF_ERROR(CheckReplaceable(dir_, marker_));
  BINQ_RETURN_IF_ERROR(SyncDir(staging_));
  std::string aside;
  struct stat st;
  if (::lstat(dir_.c_str(), &st) == 0) {
    aside = absl::StrCat(dir_, ".old-", ::getpid());
    BINQ_RETURN_IF_ERROR(RemoveTree(aside));
    if (::rename(dir_.c_str(), aside.c_str()) != 0) {
      return ErrnoStatus(errno, dir_, "cannot move the previous result aside");
    }
  }
  if (::rename(staging_.c_str(), dir_.c_str()) != 0) {
    const int err = errno;
    if (!aside.empty()) (void)::rename(aside.c_str(), dir_.c_str());  // put it back
    return ErrnoStatus(err, dir_, "cannot move the result into place");
  }
  committed_ = true;
  BINQ_RETURN_IF_ERROR(SyncDir(ParentDir(dir_)));
  if (!aside.empty()) BINQ_RETURN_IF_ERROR(RemoveTree(aside));
  return absl::OkStatus();
}

absl::Status WriteTextFile(const std::string& path, const std::string& contents) {
  ScopedFd fd(::open(path.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644));
  if (!fd.valid()) return ErrnoStatus(errno, path, "cannot create");
  if (int err = WriteAll(fd.get(), contents.data(), contents.size()); err != 0) {
    return ErrnoStatus(err, path, "cannot write");
  }
  if (::fsync(fd.get()) != 0) return ErrnoStatus(errno, path, "cannot fsync");
  if (int err = fd.Close(); err != 0) return ErrnoStatus(err, path, "cannot close");
  return absl::OkStatus();
}

int64_t DiskBytes(const std::string& path) {
  struct stat st;
  if (::lstat(path.c_str(), &st) != 0) return 0;
  if (!S_ISDIR(st.st_mode)) return static_cast<int64_t>(st.st_size);
  int64_t total = 0;
  DIR* d = ::opendir(path.c_str());
  if (d == nullptr) return 0;
  while (const dirent* e = ::readdir(d)) {
    const std::string name = e->d_name;
    if (name != "." && name != "..") total += DiskBytes(JoinPath(path, name));
  }
  ::closedir(d);
  return total;
}

}  // namespace binq::core
