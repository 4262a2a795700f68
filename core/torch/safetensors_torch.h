// LibTorch side of safetensors I/O: tensors of a SafetensorsFile as at::Tensor
// and at::Tensor lists written through SafetensorsWriter.
#ifndef BINQ_CORE_TORCH_SAFETENSORS_TORCH_H_
#define BINQ_CORE_TORCH_SAFETENSORS_TORCH_H_

#include <map>
#include <string>
#include <utility>
#include <vector>

#include <ATen/ATen.h>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "core/io/safetensors.h"

namespace binq::core {

// A new CPU tensor (a copy) with the file's dtype and shape. NOT_FOUND for a
// missing name, INVALID_ARGUMENT for a dtype LibTorch lacks.
[[nodiscard]] absl::StatusOr<at::Tensor> ReadTensor(const SafetensorsFile& file,
                                                    absl::string_view name);

// Writes `tensors` (moved to CPU, made contiguous) with `metadata`,
// atomically (temp file, fsync, rename).
[[nodiscard]] absl::Status WriteTensors(const std::string& path,
                                        const std::vector<std::pair<std::string, at::Tensor>>& tensors,
                                        const std::map<std::string, std::string>& metadata);

}  // namespace binq::core

#endif  // BINQ_CORE_TORCH_SAFETENSORS_TORCH_H_
