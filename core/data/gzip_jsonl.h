// Documents stored as gzip-compressed JSON lines (C4's shards,
// `c4-train.00000-of-01024.json.gz`): one document per non-blank line, its
// text in the string field "text", in file order — the rows of Hugging Face's
// `allenai/c4` with those `data_files` (ALGORITHMS.md §8.1).
//
// The C4 train shard inflates to ~800 MB of text of which the sampler needs a
// few thousand documents, so GzipJsonlDocuments does not keep the texts: one
// pass inflates and checks the whole file and remembers where each document
// starts, plus an access point every `access_point_span` inflated bytes
// (the deflate bit position and the 32 KiB window before it, kept deflated,
// as zlib's zran example does). Text(k) inflates from the nearest access
// point before document k: ~span/2 bytes. Memory: 16 bytes per document and
// ~12 KiB per access point (~6 MB + ~35 MB for the C4 train shard with the
// default 256 KiB span).
//
// Errors name the file: NOT_FOUND / PERMISSION_DENIED (cannot open),
// DATA_LOSS (not gzip, corrupt or truncated compressed data, CRC mismatch,
// file changed after it was indexed), INVALID_ARGUMENT (a line that is not a
// JSON object, has no "text" or a "text" that is not a string, invalid UTF-8;
// with the 1-based line number), CANCELLED.
#ifndef BINQ_CORE_DATA_GZIP_JSONL_H_
#define BINQ_CORE_DATA_GZIP_JSONL_H_

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "core/base/cancel_token.h"
#include "core/data/file_util.h"
#include "core/data/progress.h"

namespace binq::core {

struct GzipJsonlOptions {
  // Inflated bytes between two access points: a smaller span makes Text()
  // faster and the index bigger (32 KiB per access point).
  uint64_t access_point_span = uint64_t{256} << 10;
  // Label of the reading step in progress reports.
  std::string progress_step = "reading documents";
};

// Random access to the documents of one .jsonl.gz file. Immutable after
// Open(); Text() is thread-safe (pread and a private inflater per call).
// Owns the open file descriptor.
class GzipJsonlDocuments {
 public:
  // Reads all of `path` once (progress in compressed "bytes"; cancellable
  // between 1 MiB reads), checking every line, and builds the index.
  [[nodiscard]] static absl::StatusOr<std::unique_ptr<GzipJsonlDocuments>> Open(
      const std::string& path, const GzipJsonlOptions& options = {},
      const DataProgressFn& progress = nullptr, const CancelToken* cancel = nullptr);

  int64_t size() const { return static_cast<int64_t>(documents_.size()); }
  const std::string& path() const { return file_.path(); }

  // The "text" of document `k` (0 ≤ k < size()). INVALID_ARGUMENT for k out
  // of range; DATA_LOSS when the file no longer holds what Open() read.
  [[nodiscard]] absl::StatusOr<std::string> Text(int64_t k) const;

  // Bytes the index holds (documents + access points), for reports.
  uint64_t index_bytes() const;
  uint64_t inflated_bytes() const { return inflated_bytes_; }

  // Where the inflater can restart: a deflate block boundary.
  struct AccessPoint {
    uint64_t out = 0;       // inflated offset of the next byte
    uint64_t in = 0;        // compressed offset of the first byte inflate did not take
    int bits = 0;           // bits of the byte before `in` that are still to be read
    std::string window;     // the (up to) 32 KiB inflated before `out`, deflated
    uint32_t window_size = 0;  // its inflated size
  };
  const std::vector<AccessPoint>& access_points() const { return access_points_; }

 private:
  struct Document {
    uint64_t offset = 0;  // inflated offset of the line's first byte
    uint32_t length = 0;  // bytes, without the "\n"
    uint32_t line = 0;    // 1-based line number, for messages
  };

  explicit GzipJsonlDocuments(data_internal::ReadOnlyFile file) : file_(std::move(file)) {}

  data_internal::ReadOnlyFile file_;
  data_internal::ReadOnlyFile::Stamp stamp_;  // when indexed
  std::vector<Document> documents_;
  std::vector<AccessPoint> access_points_;  // sorted by `out`; none at offset 0
  uint64_t inflated_bytes_ = 0;
};

// The "text" of the first `max_documents` documents of `path` (all of them
// when max_documents < 0), streaming: reading stops once they are found, so
// what follows them is not checked (after a line that does not parse, it
// inflates on to the end so that corrupt data reports DATA_LOSS). Errors as
// above; progress in documents when max_documents ≥ 0, else in compressed
// bytes.
[[nodiscard]] absl::StatusOr<std::vector<std::string>> ReadGzipJsonlTexts(
    const std::string& path, int64_t max_documents, const DataProgressFn& progress = nullptr,
    const CancelToken* cancel = nullptr, absl::string_view progress_step = "reading documents");

}  // namespace binq::core

#endif  // BINQ_CORE_DATA_GZIP_JSONL_H_
