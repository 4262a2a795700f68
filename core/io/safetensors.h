// Reading and writing safetensors files without LibTorch
// (https://huggingface.co/docs/safetensors): an 8-byte little-endian header
// length N, N bytes of JSON header, then the data section. The header maps
// each tensor name to {"dtype", "shape", "data_offsets": [begin, end]} (byte
// offsets into the data section) and may hold "__metadata__", a map of
// strings to strings.
//
// Tensor data is raw little-endian; this code assumes a little-endian host
// (checked at compile time) and never byte-swaps.
#ifndef BINQ_CORE_IO_SAFETENSORS_H_
#define BINQ_CORE_IO_SAFETENSORS_H_

#include <cstddef>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/types/span.h"
#include "core/io/dtype.h"
#include "core/io/posix_file.h"

namespace binq::core {

// A tensor's bytes, usually inside a SafetensorsFile's mapping: `data` is
// valid while that file object lives, and is NOT necessarily aligned for
// `dtype` (read it with memcpy, as ToFloat32 does).
struct TensorView {
  DType dtype = DType::kF32;
  std::vector<int64_t> shape;  // empty for a scalar
  const uint8_t* data = nullptr;
  size_t nbytes = 0;

  // Product of `shape` (1 for a scalar).
  int64_t numel() const;
};

// A read-only safetensors file, memory-mapped: tensor data is not copied.
//
// Open validates the whole header up front, so every TensorView handed out
// lies inside the file and matches its dtype and shape. The data section may
// have bytes no tensor covers (they are ignored).
//
// Ownership: the object owns the mapping; views from Get() point into it and
// die with the object. The file must not be rewritten in place while open
// (binq replaces files by rename, which is safe).
// Thread-safety: immutable after Open, so concurrent calls on one object are
// safe.
class SafetensorsFile {
 public:
  // Maps `path` and validates its header. Errors, each message naming `path`
  // (and the tensor when one is at fault):
  //   NOT_FOUND         no such file;
  //   PERMISSION_DENIED not readable;
  //   INVALID_ARGUMENT  not a regular file, or a tensor of a dtype binq does
  //                     not read (see DType);
  //   DATA_LOSS         truncated or corrupt: shorter than 8 bytes, header
  //                     length past the end of the file or over 100 MB,
  //                     header not a JSON object or with duplicate keys, a
  //                     tensor without dtype/shape/data_offsets, a shape with
  //                     a negative or non-integer dimension, data_offsets not
  //                     [begin, end] with begin <= end, a byte size other than
  //                     numel * element size, offsets past the data section,
  //                     overlapping tensors, `__metadata__` not a map of
  //                     strings;
  //   UNAVAILABLE       other failures to open, stat or map (errno text).
  [[nodiscard]] static absl::StatusOr<std::unique_ptr<SafetensorsFile>> Open(
      const std::string& path);

  ~SafetensorsFile();
  SafetensorsFile(const SafetensorsFile&) = delete;
  SafetensorsFile& operator=(const SafetensorsFile&) = delete;

  // The path given to Open.
  const std::string& path() const { return path_; }

  // Tensor names, sorted (byte-wise), not in header order.
  std::vector<std::string> TensorNames() const;
  bool Has(absl::string_view name) const;

  // The tensor's dtype, shape and bytes. NOT_FOUND naming the tensor and the
  // file when there is no such tensor.
  [[nodiscard]] absl::StatusOr<TensorView> Get(absl::string_view name) const;

  // `__metadata__` (empty when the file has none).
  const std::map<std::string, std::string>& metadata() const {
    return metadata_;
  }

 private:
  SafetensorsFile(std::string path, std::unique_ptr<MappedFile> file);
  // Parses and validates the header; fills tensors_ and metadata_.
  [[nodiscard]] absl::Status Index();

  const std::string path_;
  const std::unique_ptr<MappedFile> file_;
  std::map<std::string, TensorView, std::less<>> tensors_;
  std::map<std::string, std::string> metadata_;
};

// The values of an F32, F16, BF16 or F64 view as floats (F64 rounds to
// nearest; beyond float's range gives ±inf). INVALID_ARGUMENT for any other
// dtype, or for a view whose nbytes does not match its shape.
[[nodiscard]] absl::StatusOr<std::vector<float>> ToFloat32(
    const TensorView& view);

// One tensor of a safetensors header, for writers that stream the data
// themselves (CheckpointWriter).
struct SafetensorsHeaderEntry {
  std::string name;
  DType dtype = DType::kF32;
  std::vector<int64_t> shape;
  uint64_t nbytes = 0;  // numel(shape) * DTypeSize(dtype), checked by callers
};

// The first bytes of a safetensors file holding `entries`: the 8-byte
// little-endian header length, then the JSON header (keys sorted, as JSON
// objects print; `__metadata__` only when `metadata` is non-empty) padded with
// spaces to a multiple of 8. Data offsets run contiguously in `entries` order
// from 0, so the data must follow the header in that order, with no gaps.
// INVALID_ARGUMENT, naming `path` (used only in messages), for an empty,
// reserved or repeated name, names or metadata that are not valid UTF-8, or a
// header over the 100 MB readers accept.
[[nodiscard]] absl::StatusOr<std::string> EncodeSafetensorsHeader(
    const std::vector<SafetensorsHeaderEntry>& entries,
    const std::map<std::string, std::string>& metadata, absl::string_view path);

// Collects tensors (copying their bytes) and writes them as one safetensors
// file. The header's keys are sorted (tensor names and `__metadata__`, which
// is written only when non-empty), the header is padded with spaces to a
// multiple of 8 bytes, and tensor data follows in header order with no gaps.
//
// Ownership: the writer owns copies of everything added; callers may free
// their buffers once Add returns.
// Thread-safety: none; use one writer from one thread (or lock around it).
class SafetensorsWriter {
 public:
  // Adds a tensor of `dtype` and `shape` whose bytes (little-endian,
  // row-major) are `bytes`, copied. INVALID_ARGUMENT naming the tensor for an
  // empty or reserved ("__metadata__") name, a name already added, a negative
  // dimension, or a byte count other than numel(shape) * DTypeSize(dtype).
  [[nodiscard]] absl::Status Add(const std::string& name, DType dtype,
                                 std::vector<int64_t> shape,
                                 absl::Span<const uint8_t> bytes);
  // The same, for `nbytes` bytes at `data` (which may be null when nbytes is
  // 0).
  [[nodiscard]] absl::Status Add(const std::string& name, DType dtype,
                                 std::vector<int64_t> shape, const void* data,
                                 size_t nbytes);

  // Replaces the `__metadata__` map.
  void SetMetadata(std::map<std::string, std::string> metadata) {
    metadata_ = std::move(metadata);
  }

  // Writes everything added so far to `path` atomically: into
  // `path + ".tmp-<pid>"` in the same folder, fsync, rename over `path`, then
  // fsync the folder. On failure the temp file is removed and `path` is left
  // as it was (except after a failed folder fsync: the new file is in place
  // but may not survive a crash). May be called more than once. Errors:
  //   INVALID_ARGUMENT   a name or metadata string that is not valid UTF-8,
  //                      or a header over the 100 MB readers accept;
  //   NOT_FOUND          the folder does not exist;
  //   PERMISSION_DENIED  the folder is not writable (EACCES, EPERM, EROFS);
  //   RESOURCE_EXHAUSTED the disk or quota is full (ENOSPC, EDQUOT);
  //   UNAVAILABLE        any other I/O failure.
  // Each message has the path and the errno text.
  [[nodiscard]] absl::Status WriteFile(const std::string& path) const;

 private:
  struct Entry {
    DType dtype;
    std::vector<int64_t> shape;
    std::vector<uint8_t> bytes;
  };
  std::map<std::string, Entry> entries_;  // sorted: the header and data order
  std::map<std::string, std::string> metadata_;
};

}  // namespace binq::core

#endif  // BINQ_CORE_IO_SAFETENSORS_H_
