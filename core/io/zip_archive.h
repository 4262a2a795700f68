// A minimal, bounds-checked reader for zip archives held in memory, enough
// for the archives torch.save writes (PyTorch >= 1.6): the central directory,
// ZIP64 (sizes and offsets past 4 GiB, which real checkpoints need), and
// entries stored without compression. torch writes every entry stored and
// 64-byte aligned, with its sizes only in the central directory (the local
// header has the data-descriptor flag), so sizes are taken from there.
//
// Not supported, reported as errors naming the archive (and entry):
// compressed or encrypted entries (when read), multi-volume archives.
// CRC-32 is not checked: it would read every byte of a multi-GB checkpoint at
// open, defeating memory mapping; truncation and bad offsets are caught by
// bounds checks instead.
#ifndef BINQ_CORE_IO_ZIP_ARCHIVE_H_
#define BINQ_CORE_IO_ZIP_ARCHIVE_H_

#include <cstdint>
#include <map>
#include <string>
#include <utility>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/types/span.h"

namespace binq::core {

// The central directory of one archive. Holds a pointer to the archive's
// bytes, which the caller owns and must keep alive (and unchanged) while the
// object is used. Immutable after Parse: thread-safe.
class ZipArchive {
 public:
  struct Entry {
    std::string name;
    uint16_t method = 0;  // 0 = stored, 8 = deflate, ...
    uint16_t flags = 0;   // bit 0 = encrypted
    uint64_t compressed_size = 0;
    uint64_t size = 0;  // uncompressed
    uint64_t local_header_offset = 0;
    uint64_t data_offset = 0;  // first byte of the entry's (stored) data
  };

  // Parses the central directory of the `size` bytes at `data` and checks
  // every entry's local header: each entry's data lies inside the archive.
  // `path` names the archive in messages. Errors, each naming `path`:
  //   DATA_LOSS        no end-of-central-directory record (not a zip, or
  //                    truncated), records or entries running past the end,
  //                    bad signatures, inconsistent counts or ZIP64 fields,
  //                    a stored entry whose two sizes differ, a local header
  //                    whose name differs from the central directory's,
  //                    repeated names;
  //   INVALID_ARGUMENT a multi-volume archive.
  [[nodiscard]] static absl::StatusOr<ZipArchive> Parse(const uint8_t* data,
                                                        uint64_t size,
                                                        std::string path);

  const std::string& path() const { return path_; }
  // In central-directory order.
  const std::vector<Entry>& entries() const { return entries_; }
  // nullptr when there is no entry of that name.
  const Entry* Find(absl::string_view name) const;

  // The bytes of a stored entry, inside the archive. INVALID_ARGUMENT naming
  // the archive and entry when it is compressed or encrypted.
  [[nodiscard]] absl::StatusOr<absl::Span<const uint8_t>> Read(
      const Entry& entry) const;

 private:
  ZipArchive(const uint8_t* data, uint64_t size, std::string path)
      : data_(data), size_(size), path_(std::move(path)) {}
  [[nodiscard]] absl::Status ParseDirectory();

  const uint8_t* data_;
  uint64_t size_;
  std::string path_;
  std::vector<Entry> entries_;
  std::map<std::string, size_t, std::less<>> by_name_;
};

}  // namespace binq::core

#endif  // BINQ_CORE_IO_ZIP_ARCHIVE_H_
