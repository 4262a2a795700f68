// Writing a Hugging Face checkpoint folder that transformers loads: the
// weights as safetensors (one model.safetensors when they fit in one shard,
// else model-00001-of-0000N.safetensors ... plus model.safetensors.index.json
// with {"metadata": {"total_size": bytes}, "weight_map": {name: file}}), each
// file with __metadata__ {"format": "pt"} (transformers requires it), and the
// config and tokenizer files copied from the source model's folder.
//
// Streaming: the caller declares every tensor (name, dtype, shape) up front,
// so the shards and every tensor's place in them are fixed at Create; then it
// writes each tensor's bytes, in any order, straight into its shard file
// (pwrite). Nothing is buffered: peak memory is whatever the caller holds. A
// shard is fsynced and closed as soon as its last tensor is written.
//
// Atomic: everything is written into a temp sibling folder
// (`<dir>.tmp-XXXXXX`), fsynced, and moved into place by Commit (an atomic
// exchange when `dir` already exists, whose old contents are then removed).
// Until Commit succeeds, `dir` is untouched; a writer destroyed without
// Commit (cancelled job, error) removes its temp folder. A crash leaves at
// most a `<dir>.tmp-*` sibling, never a half-written `dir`.
#ifndef BINQ_CORE_IO_CHECKPOINT_WRITER_H_
#define BINQ_CORE_IO_CHECKPOINT_WRITER_H_

#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "core/io/dtype.h"
#include "core/io/posix_file.h"
#include "core/base/hf_folder_layout.h"
#include "core/io/safetensors.h"

namespace binq::core {

// One tensor to be written.
struct CheckpointTensorSpec {
  std::string name;
  DType dtype = DType::kF32;
  std::vector<int64_t> shape;
};

// The files copied from CheckpointWriterOptions::side_files_from when
// present there (symbolic links, as in the hub cache, are followed): the
// config and every tokenizer file of the folder-layout table.
inline constexpr const auto& kCheckpointSideFiles = kHfSideFiles;

struct CheckpointWriterOptions {
  // Tensor bytes per shard before a new one starts (transformers 4's
  // default; a tensor larger than this gets a shard of its own).
  uint64_t max_shard_bytes = 5'000'000'000;
  // A folder to copy kCheckpointSideFiles from; empty: copy nothing.
  std::string side_files_from;
  // Extra __metadata__ entries for every shard ("format" is always "pt").
  std::map<std::string, std::string> metadata;
};

// Writes one checkpoint folder.
//
// Ownership: owns the temp folder and open shard files; Write does not keep
// the caller's buffers.
// Thread-safety: none; use one writer from one thread.
// Errors: the first I/O error is kept and returned by every later Write and
// Commit (the folder is then abandoned); argument errors are not sticky.
class CheckpointWriter {
 public:
  // Plans the shards for `tensors` (filled greedily in the given order; in
  // each file the data is ordered by element size, largest first, then name,
  // so every tensor is aligned for its dtype), creates the temp folder (and
  // `dir`'s missing parents), and copies the side files. Errors:
  //   INVALID_ARGUMENT an empty, reserved ("__metadata__"), repeated or
  //                    non-UTF-8 name; a negative dimension; a size that
  //                    overflows; max_shard_bytes == 0; `dir` exists and is
  //                    not a folder; a header over the 100 MB readers accept;
  //   NOT_FOUND        side_files_from is not a folder;
  //   PERMISSION_DENIED, RESOURCE_EXHAUSTED, UNAVAILABLE: creating or copying
  //                    failed (message has the path and errno text).
  [[nodiscard]] static absl::StatusOr<std::unique_ptr<CheckpointWriter>> Create(
      const std::string& dir, std::vector<CheckpointTensorSpec> tensors,
      CheckpointWriterOptions options = {});

  // Removes the temp folder unless Commit succeeded.
  ~CheckpointWriter();
  CheckpointWriter(const CheckpointWriter&) = delete;
  CheckpointWriter& operator=(const CheckpointWriter&) = delete;

  const std::string& dir() const { return dir_; }
  // Where files go until Commit.
  const std::string& temp_dir() const { return temp_dir_; }
  // Weight file names, in shard order.
  std::vector<std::string> shard_files() const;
  // The side files copied at Create, in kCheckpointSideFiles order.
  const std::vector<std::string>& copied_side_files() const { return copied_; }

  // Writes the bytes of the declared tensor `name` (little-endian,
  // row-major). Each tensor exactly once. Errors: INVALID_ARGUMENT for a name
  // never declared, a second write, a byte count other than numel * element
  // size, or (the TensorView form) a dtype or shape other than declared;
  // I/O errors as in Create, sticky.
  [[nodiscard]] absl::Status Write(absl::string_view name, const void* data,
                                   size_t nbytes);
  [[nodiscard]] absl::Status Write(absl::string_view name,
                                   const TensorView& view);

  // Writes `contents` as `file_name` in the folder (e.g. a config.json
  // rewritten for the new dtype), replacing a copied side file of that name.
  // INVALID_ARGUMENT when `file_name` is not a plain file name or is one of
  // the weight files or the index; I/O errors as in Create.
  [[nodiscard]] absl::Status WriteSideFile(const std::string& file_name,
                                           absl::string_view contents);

  // Writes the index (when sharded), fsyncs, and moves the folder into place,
  // replacing `dir` if it exists. FAILED_PRECONDITION naming the first
  // missing tensors when some were never written, or when already committed;
  // I/O errors as in Create (with the path).
  [[nodiscard]] absl::Status Commit();

 private:
  struct Planned {
    size_t shard = 0;
    DType dtype = DType::kF32;
    std::vector<int64_t> shape;
    uint64_t offset = 0;  // in the shard file
    uint64_t nbytes = 0;
    bool written = false;
  };
  struct Shard {
    std::string file;    // name in the folder
    std::string header;  // the file's first bytes
    size_t pending = 0;  // tensors not yet written
    ScopedFd fd;         // open while some tensors are written, some pending
    bool done = false;   // fsynced and closed
  };

  CheckpointWriter(std::string dir, CheckpointWriterOptions options)
      : dir_(std::move(dir)), options_(std::move(options)) {}
  [[nodiscard]] absl::Status Plan(std::vector<CheckpointTensorSpec> tensors);
  [[nodiscard]] absl::Status MakeTempDir();
  [[nodiscard]] absl::Status CopySideFiles();
  // Creates the shard file and writes its header, if not yet open.
  [[nodiscard]] absl::Status OpenShard(Shard& shard);
  // fsyncs and closes a shard with nothing pending.
  [[nodiscard]] absl::Status FinishShard(Shard& shard);
  [[nodiscard]] absl::Status WriteIndex();
  [[nodiscard]] absl::Status MoveIntoPlace();
  // Keeps the first I/O error.
  absl::Status Fail(absl::Status status);

  const std::string dir_;
  const CheckpointWriterOptions options_;
  std::string temp_dir_;
  std::vector<Shard> shards_;
  std::map<std::string, Planned, std::less<>> tensors_;
  std::vector<std::string> declared_order_;  // for the "missing" message
  std::vector<std::string> copied_;
  uint64_t total_bytes_ = 0;
  absl::Status error_;
  bool committed_ = false;
};

// Declares `tensors`, writes each one from `fetch` (called once per tensor,
// in order; the view must stay valid until it returns the next one or the
// function returns) and commits. Errors from fetch are returned with the
// tensor's name; others as CheckpointWriter's.
[[nodiscard]] absl::Status WriteCheckpoint(
    const std::string& dir, const std::vector<CheckpointTensorSpec>& tensors,
    const std::function<
        absl::StatusOr<TensorView>(const CheckpointTensorSpec&)>& fetch,
    const CheckpointWriterOptions& options = {});

}  // namespace binq::core

#endif  // BINQ_CORE_IO_CHECKPOINT_WRITER_H_
