// Small POSIX file helpers shared by the dataset readers (internal to
// binq::core_data). Errors name the file.
#ifndef BINQ_CORE_DATA_FILE_UTIL_H_
#define BINQ_CORE_DATA_FILE_UTIL_H_

#include <cstdint>
#include <string>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"

namespace binq::core::data_internal {

// An open read-only file descriptor, closed on destruction. Move-only.
class ReadOnlyFile {
 public:
  ReadOnlyFile() = default;
  ~ReadOnlyFile();
  ReadOnlyFile(ReadOnlyFile&& other) noexcept;
  ReadOnlyFile& operator=(ReadOnlyFile&& other) noexcept;
  ReadOnlyFile(const ReadOnlyFile&) = delete;
  ReadOnlyFile& operator=(const ReadOnlyFile&) = delete;

  // Opens a regular file. NOT_FOUND when missing, PERMISSION_DENIED,
  // INVALID_ARGUMENT when `path` is not a regular file.
  [[nodiscard]] static absl::StatusOr<ReadOnlyFile> Open(const std::string& path);

  // Reads up to `size` bytes at `offset` (pread; safe from several threads).
  // Returns the count read (0 at the end); an I/O error names the file.
  [[nodiscard]] absl::StatusOr<size_t> ReadAt(uint64_t offset, char* buffer, size_t size) const;

  // Size and modification time now (fstat), to notice a file that changed.
  struct Stamp {
    uint64_t size = 0;
    int64_t mtime_ns = 0;
    bool operator==(const Stamp& o) const { return size == o.size && mtime_ns == o.mtime_ns; }
  };
  [[nodiscard]] absl::StatusOr<Stamp> CurrentStamp() const;

  const std::string& path() const { return path_; }
  uint64_t size() const { return size_; }  // at Open()

 private:
  int fd_ = -1;
  std::string path_;
  uint64_t size_ = 0;
};

// The whole file's bytes.
[[nodiscard]] absl::StatusOr<std::string> ReadFileBytes(const std::string& path);

}  // namespace binq::core::data_internal

#endif  // BINQ_CORE_DATA_FILE_UTIL_H_
