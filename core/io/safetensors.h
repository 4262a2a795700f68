// safetensors files: an 8-byte little-endian header length, a JSON header
// (dtype, shape, data_offsets per tensor; optional string `__metadata__`),
// then raw little-endian data. This host is assumed little-endian.
#ifndef BINQ_CORE_IO_SAFETENSORS_H_
#define BINQ_CORE_IO_SAFETENSORS_H_

#include <cstddef>
#include <cstdint>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "core/io/dtype.h"

namespace binq::core {

// A tensor's bytes inside a mapped file; valid while the file is open.
struct TensorView {
  DType dtype;
  std::vector<int64_t> shape;
  const uint8_t* data = nullptr;
  size_t nbytes = 0;
  int64_t numel() const;
};

// A read-only, memory-mapped safetensors file; the data is not copied.
// Immutable after Open: safe for concurrent readers.
class SafetensorsFile {
 public:
  // NOT_FOUND: no such file. DATA_LOSS: truncated or corrupt (header length,
  // JSON, offsets, sizes, overlaps). INVALID_ARGUMENT: a dtype binq does not
  // read. Every message names the file (and the tensor where relevant).
  [[nodiscard]] static absl::StatusOr<std::unique_ptr<SafetensorsFile>> Open(const std::string& path);
  ~SafetensorsFile();
  SafetensorsFile(const SafetensorsFile&) = delete;
  SafetensorsFile& operator=(const SafetensorsFile&) = delete;

  const std::string& path() const { return path_; }
  std::vector<std::string> TensorNames() const;  // sorted
  bool Has(absl::string_view name) const;
  // NOT_FOUND naming the tensor and the file.
  [[nodiscard]] absl::StatusOr<TensorView> Get(absl::string_view name) const;
  const std::map<std::string, std::string>& metadata() const { return metadata_; }

 private:
  SafetensorsFile() = default;
  std::string path_;
  void* map_ = nullptr;
  size_t map_size_ = 0;
  std::map<std::string, TensorView, std::less<>> tensors_;
  std::map<std::string, std::string> metadata_;
};

// Values of a F32/F16/BF16/F64 view as floats; INVALID_ARGUMENT otherwise.
[[nodiscard]] absl::StatusOr<std::vector<float>> ToFloat32(const TensorView& view);

// Collects tensors and writes one safetensors file atomically (temp file in
// the same folder, fsync, rename). Header keys sorted, padded with spaces to a
// multiple of 8. Not thread-safe.
class SafetensorsWriter {
 public:
  // INVALID_ARGUMENT for a duplicate name or bytes that do not match the shape.
  [[nodiscard]] absl::Status Add(const std::string& name, DType dtype, std::vector<int64_t> shape,
                                 const void* data, size_t nbytes);
  void SetMetadata(std::map<std::string, std::string> metadata) { metadata_ = std::move(metadata); }
  // UNAVAILABLE with the path and errno text on an I/O failure.
  [[nodiscard]] absl::Status WriteFile(const std::string& path) const;

 private:
  struct Entry {
    DType dtype;
    std::vector<int64_t> shape;
    std::string bytes;
  };
  std::map<std::string, Entry> entries_;
  std::map<std::string, std::string> metadata_;
};

}  // namespace binq::core

#endif  // BINQ_CORE_IO_SAFETENSORS_H_
