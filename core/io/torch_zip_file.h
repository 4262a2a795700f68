// Reading a state dict saved by torch.save (PyTorch >= 1.6, the zip format
// of pytorch_model*.bin files) without LibTorch and without running pickle
// code. The archive holds `<prefix>/data.pkl` (the pickled dict, read by
// ParseStateDictPickle), one `<prefix>/data/<key>` entry of raw little-endian
// bytes per storage, and `<prefix>/byteorder`, `<prefix>/version`, ...
//
// Tensors are read through a memory mapping of the whole file: a contiguous
// tensor's view points into the mapping; a non-contiguous one (a transposed
// or strided view that was saved as such) is gathered into a row-major buffer
// the object owns, on first Get. Tensors that share a storage (tied weights)
// share the mapped bytes.
#ifndef BINQ_CORE_IO_TORCH_ZIP_FILE_H_
#define BINQ_CORE_IO_TORCH_ZIP_FILE_H_

#include <cstdint>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/synchronization/mutex.h"
#include "core/io/posix_file.h"
#include "core/io/safetensors.h"

namespace binq::core {

// A read-only torch.save archive of a state dict.
//
// Ownership: the object owns the mapping and any gathered buffers; views from
// Get() point into them and die with the object. The file must not be
// rewritten in place while open.
// Thread-safety: safe for concurrent use (Get gathers under a lock).
class TorchZipFile {
 public:
  // Maps `path`, parses the zip directory and data.pkl, and checks every
  // tensor against its storage entry. Errors, each message naming `path`
  // (and the tensor when one is at fault):
  //   NOT_FOUND, PERMISSION_DENIED, UNAVAILABLE: as MappedFile::Open;
  //   INVALID_ARGUMENT the legacy (pre-1.6, not zip) torch.save format; a
  //                    big-endian archive; a storage type binq does not read
  //                    (e.g. ComplexFloatStorage); a compressed or encrypted
  //                    entry; anything ParseStateDictPickle refuses (globals
  //                    outside its allow-list, values that are not tensors);
  //   DATA_LOSS        a corrupt or truncated zip or pickle; no data.pkl; a
  //                    storage entry that is missing or whose byte size is
  //                    not numel * element size; a tensor whose elements run
  //                    past its storage.
  [[nodiscard]] static absl::StatusOr<std::unique_ptr<TorchZipFile>> Open(
      const std::string& path);

  TorchZipFile(const TorchZipFile&) = delete;
  TorchZipFile& operator=(const TorchZipFile&) = delete;

  const std::string& path() const { return file_->path(); }

  // Tensor names, sorted (byte-wise).
  std::vector<std::string> TensorNames() const;
  bool Has(absl::string_view name) const;

  // Whether the tensor's view points into the mapping (false: it is
  // gathered into a buffer on first Get). NOT_FOUND for an unknown name.
  [[nodiscard]] absl::StatusOr<bool> IsMapped(absl::string_view name) const;

  // The tensor's dtype, shape and row-major bytes. NOT_FOUND naming the tensor
  // and the file when there is no such tensor; RESOURCE_EXHAUSTED when a
  // gather buffer cannot be allocated.
  [[nodiscard]] absl::StatusOr<TensorView> Get(absl::string_view name) const;

 private:
  struct Tensor {
    DType dtype = DType::kF32;
    std::vector<int64_t> shape;
    std::vector<int64_t> strides;      // elements
    const uint8_t* storage = nullptr;  // the storage's first byte
    uint64_t offset = 0;               // elements
    bool contiguous = true;
    uint64_t nbytes = 0;  // numel * element size
  };

  explicit TorchZipFile(std::unique_ptr<MappedFile> file)
      : file_(std::move(file)) {}
  [[nodiscard]] absl::Status Index();

  const std::unique_ptr<MappedFile> file_;
  std::map<std::string, Tensor, std::less<>> tensors_;
  mutable absl::Mutex mu_;
  // Row-major copies of non-contiguous tensors, by name. Node-based, so the
  // buffers never move once inserted.
  mutable std::map<std::string, std::vector<uint8_t>, std::less<>> gathered_
      ABSL_GUARDED_BY(mu_);
};

}  // namespace binq::core

#endif  // BINQ_CORE_IO_TORCH_ZIP_FILE_H_
