// Every tensor of a Hugging Face model folder by name, whatever the weight
// format: one of (in the order transformers prefers them)
//   model.safetensors.index.json  + the safetensors shards it lists;
//   model.safetensors;
//   pytorch_model.bin.index.json  + the torch.save shards it lists;
//   pytorch_model.bin             (torch.save zip archive, PyTorch >= 1.6).
// An index is {"metadata": {...}, "weight_map": {tensor name: shard file}}.
//
// Data is memory-mapped, not read: a view of a safetensors tensor or of a
// contiguous torch tensor points into the mapping, so opening a 26 GB model
// costs address space, not memory. Non-contiguous torch tensors are gathered
// into buffers the reader owns (see TorchZipFile).
//
// Finding the folder of a hub id is LocateModel's job (core/base).
#ifndef BINQ_CORE_IO_CHECKPOINT_READER_H_
#define BINQ_CORE_IO_CHECKPOINT_READER_H_

#include <map>
#include <memory>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "core/io/safetensors.h"
#include "core/io/torch_zip_file.h"

namespace binq::core {

enum class CheckpointFormat {
  kSafetensors,         // model.safetensors
  kShardedSafetensors,  // model.safetensors.index.json
  kTorch,               // pytorch_model.bin
  kShardedTorch,        // pytorch_model.bin.index.json
};

// "safetensors", "sharded safetensors", "torch", "sharded torch".
const char* CheckpointFormatName(CheckpointFormat format);

// The weight files of one model folder, opened and validated together.
//
// Ownership: owns every opened file; views from Get() point into their
// mappings (or gathered buffers) and stay valid while the reader lives.
// Thread-safety: safe for concurrent use after Open.
class CheckpointReader {
 public:
  // Opens the weights in `dir`. Every shard an index lists is opened and
  // validated up front, and every tensor the index lists must be in the shard
  // it names (tensors a shard holds but the index does not list are ignored,
  // as transformers' index is authoritative). Errors, each naming the file
  // (and tensor) at fault:
  //   NOT_FOUND        `dir` is not a folder, or holds none of the four files
  //                    above (the message lists them);
  //   DATA_LOSS        an index that is not valid JSON or has no
  //                    "weight_map" of tensor name → file name; an index
  //                    naming a shard that does not exist, a shard file name
  //                    with a '/' (or "." / ".."), or a tensor missing from
  //                    its shard; and everything SafetensorsFile::Open and
  //                    TorchZipFile::Open report as DATA_LOSS;
  //   INVALID_ARGUMENT as SafetensorsFile::Open and TorchZipFile::Open
  //                    (unknown dtypes, refused pickles, legacy format, ...);
  //   PERMISSION_DENIED, UNAVAILABLE: reading a file failed.
  [[nodiscard]] static absl::StatusOr<std::unique_ptr<CheckpointReader>> Open(
      const std::string& dir);

  CheckpointReader(const CheckpointReader&) = delete;
  CheckpointReader& operator=(const CheckpointReader&) = delete;

  const std::string& dir() const { return dir_; }
  CheckpointFormat format() const { return format_; }
  // The weight files opened (the index is not one), sorted.
  std::vector<std::string> files() const;

  // Tensor names, sorted (byte-wise).
  std::vector<std::string> TensorNames() const;
  bool Has(absl::string_view name) const;

  // The path of the file holding `name`; NOT_FOUND naming the tensor and
  // folder when there is no such tensor.
  [[nodiscard]] absl::StatusOr<std::string> FileOf(
      absl::string_view name) const;

  // The tensor's dtype, shape and row-major little-endian bytes (not
  // necessarily aligned for the dtype). NOT_FOUND naming the tensor and
  // folder when there is no such tensor.
  [[nodiscard]] absl::StatusOr<TensorView> Get(absl::string_view name) const;

 private:
  // Where one tensor lives: exactly one of the two is set.
  struct Source {
    const SafetensorsFile* safetensors = nullptr;
    const TorchZipFile* torch = nullptr;
  };

  CheckpointReader(std::string dir, CheckpointFormat format)
      : dir_(std::move(dir)), format_(format) {}
  // Opens `file` (a name inside dir_) as the format's kind of shard.
  [[nodiscard]] absl::StatusOr<Source> OpenShard(const std::string& file);
  // Makes every tensor of a single (unsharded) file visible.
  [[nodiscard]] absl::Status OpenSingle(const std::string& file);
  // Reads the index `index_file` and opens the shards it lists.
  [[nodiscard]] absl::Status OpenSharded(const std::string& index_file);

  const std::string dir_;
  const CheckpointFormat format_;
  std::vector<std::unique_ptr<SafetensorsFile>> safetensors_;
  std::vector<std::unique_ptr<TorchZipFile>> torch_;
  std::map<std::string, Source, std::less<>> tensors_;
};

}  // namespace binq::core

#endif  // BINQ_CORE_IO_CHECKPOINT_READER_H_
