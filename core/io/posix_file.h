// Small POSIX file helpers shared by the checkpoint readers and writers:
// errno → Status, an owning descriptor, a read-only memory mapping, full
// writes, and the fsync steps that make a rename durable.
//
// Everything here is thread-compatible: distinct objects may be used from
// different threads; a MappedFile is immutable after Open and may be read
// from any number of threads.
#ifndef BINQ_CORE_IO_POSIX_FILE_H_
#define BINQ_CORE_IO_POSIX_FILE_H_

#include <sys/types.h>

#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <utility>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"

namespace binq::core {

// `path: action: strerror(err)` with a code chosen from errno:
//   ENOENT, ENOTDIR → NOT_FOUND; EACCES, EPERM, EROFS → PERMISSION_DENIED;
//   ENOSPC, EDQUOT → RESOURCE_EXHAUSTED; anything else → UNAVAILABLE.
absl::Status ErrnoStatus(int err, absl::string_view path,
                         absl::string_view action);

// Closes a descriptor on every return path.
class ScopedFd {
 public:
  explicit ScopedFd(int fd = -1) : fd_(fd) {}
  ~ScopedFd();
  ScopedFd(ScopedFd&& other) noexcept : fd_(other.fd_) { other.fd_ = -1; }
  ScopedFd& operator=(ScopedFd&& other) noexcept;
  ScopedFd(const ScopedFd&) = delete;
  ScopedFd& operator=(const ScopedFd&) = delete;

  int get() const { return fd_; }
  bool valid() const { return fd_ >= 0; }
  // Closes now; returns close's errno, or 0 (also when already closed).
  int Close();

 private:
  int fd_;
};

// A whole regular file mapped read-only. The bytes stay valid while the
// object lives. The file must not be truncated in place while mapped (reads
// past the new end would fault); binq replaces files by rename, which is safe.
class MappedFile {
 public:
  // Errors, each naming `path`: NOT_FOUND, PERMISSION_DENIED, INVALID_ARGUMENT
  // (not a regular file), UNAVAILABLE (other open/stat/mmap failures). An
  // empty file maps to size() == 0 and data() == nullptr.
  [[nodiscard]] static absl::StatusOr<std::unique_ptr<MappedFile>> Open(
      const std::string& path);
  ~MappedFile();
  MappedFile(const MappedFile&) = delete;
  MappedFile& operator=(const MappedFile&) = delete;

  const std::string& path() const { return path_; }
  const uint8_t* data() const { return data_; }
  uint64_t size() const { return size_; }

 private:
  MappedFile(std::string path, const uint8_t* data, uint64_t size)
      : path_(std::move(path)), data_(data), size_(size) {}

  const std::string path_;
  const uint8_t* const data_;
  const uint64_t size_;
};

// Writes all `n` bytes (looping over short writes and EINTR). Returns 0 or
// the errno of the failed write.
int WriteAll(int fd, const void* data, size_t n);
// The same at file offset `offset` (pwrite; the file position is unchanged).
int PWriteAll(int fd, const void* data, size_t n, off_t offset);

// The folder part of `path` ("." for a bare name, "/" for "/x").
std::string ParentDir(const std::string& path);

// Creates the folder `dir` and its missing parents (mode 0755, less the
// umask). Errors as ErrnoStatus, naming the folder that could not be made.
//
// These two use POSIX calls, not std::filesystem: LibTorch's shared library
// exports its own copy of std::filesystem, which a process linking both may
// call instead of libstdc++'s, and its remove_all crashes there.
[[nodiscard]] absl::Status MakeDirs(const std::string& dir);

// Removes `path` and everything under it, not following symbolic links. A
// missing `path` is fine. Errors as ErrnoStatus, naming what could not be
// removed.
[[nodiscard]] absl::Status RemoveTree(const std::string& path);

// fsyncs the folder `dir`, so that entries created or renamed in it survive
// a crash. Errors as ErrnoStatus, naming `dir`.
[[nodiscard]] absl::Status SyncDir(const std::string& dir);

}  // namespace binq::core

#endif  // BINQ_CORE_IO_POSIX_FILE_H_
