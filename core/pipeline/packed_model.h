// binq.safetensors: a quantized model in binq's packed form — every
// quantized linear as codes, per-(row, group) levels and exceptions
// (core/quant/packing.h), every other tensor (embeddings, norms, biases) as
// is — from which the de-quantized weights are rebuilt bit for bit.
//
// Tensor names follow the checkpoint: a quantized `X.weight` becomes
// `X.codes`, `X.levels`, `X.salient_columns`, `X.exception_index`,
// `X.exception_value`; other tensors keep their names. `__metadata__` holds
// "binq.format" ("1"), "binq.layers" (JSON: per quantized weight its packing
// scheme and shape), "binq.storage" (JSON: the exact byte counts) and any
// extra entries the writer is given (the job spec).
#ifndef BINQ_CORE_PIPELINE_PACKED_MODEL_H_
#define BINQ_CORE_PIPELINE_PACKED_MODEL_H_

#include <cstdint>
#include <map>
#include <string>
#include <utility>
#include <vector>

#include <ATen/ATen.h>

#include "absl/status/statusor.h"
#include "core/quant/packing.h"

namespace binq::core {

// What the packed file costs, exactly.
struct PackedStorage {
  int64_t quantized_weights = 0;  // number of weights in packed layers
  int64_t packed_bytes = 0;       // their codes, levels, bitmaps, exceptions
  int64_t other_bytes = 0;        // every tensor kept as is
  double bits_per_quantized_weight() const {
    return quantized_weights == 0 ? 0 : 8.0 * packed_bytes / static_cast<double>(quantized_weights);
  }
};

// Collects a model's tensors; not thread-safe.
class PackedModelBuilder {
 public:
  // A quantized weight `weight_name` ("….q_proj.weight") in packed form.
  void AddPacked(const std::string& weight_name, PackedLayer layer);
  // A tensor kept as is (copied to the CPU when written).
  void AddPlain(const std::string& name, at::Tensor tensor);
  bool IsPacked(const std::string& weight_name) const { return packed_.count(weight_name) > 0; }
  PackedStorage storage() const;

  // Writes the file atomically (temp file, fsync, rename). INVALID_ARGUMENT
  // for a tensor dtype safetensors cannot hold or clashing names; I/O errors
  // as SafetensorsWriter::WriteFile.
  [[nodiscard]] absl::Status WriteFile(const std::string& path,
                                       const std::map<std::string, std::string>& extra_metadata) const;

 private:
  std::map<std::string, PackedLayer> packed_;
  std::vector<std::pair<std::string, at::Tensor>> plain_;
};

// Reads binq.safetensors back: every tensor of the model by its checkpoint
// name, packed weights rebuilt (in the dtype they were packed in), in name
// order. DATA_LOSS naming the file and tensor for anything inconsistent;
// the reader's errors otherwise.
[[nodiscard]] absl::StatusOr<std::vector<std::pair<std::string, at::Tensor>>> LoadPackedModel(
    const std::string& path);

}  // namespace binq::core

#endif  // BINQ_CORE_PIPELINE_PACKED_MODEL_H_
