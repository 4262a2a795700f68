// LibTorch side of checkpoint I/O: tensors of a CheckpointReader as
// at::Tensor (copied out of the mapping, converted, on a device), and
// at::Tensors written through a CheckpointWriter.
//
// Functions here call LibTorch through TorchCall: its exceptions become
// Status (out of device memory → RESOURCE_EXHAUSTED). They are as
// thread-safe as the reader or writer they are given (a reader: yes; a
// writer: no).
#ifndef BINQ_CORE_TORCH_CHECKPOINT_TORCH_H_
#define BINQ_CORE_TORCH_CHECKPOINT_TORCH_H_

#include <ATen/ATen.h>

#include <string>
#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "core/io/checkpoint_reader.h"
#include "core/io/checkpoint_writer.h"

namespace binq::core {

// A new tensor with the checkpoint tensor `name`'s shape and values,
// converted to `dtype` (rounding as at::Tensor::to does) and placed on
// `device`. Always a copy: it never aliases the reader's mapping, so it may
// outlive the reader and be written to. NOT_FOUND naming the tensor for a
// missing name; RESOURCE_EXHAUSTED when `device` is out of memory; other
// LibTorch failures as TorchCall maps them, naming the tensor.
[[nodiscard]] absl::StatusOr<at::Tensor> LoadTensor(
    const CheckpointReader& reader, absl::string_view name,
    at::ScalarType dtype, at::Device device = at::kCPU);
// The same, keeping the checkpoint's dtype.
[[nodiscard]] absl::StatusOr<at::Tensor> LoadTensor(
    const CheckpointReader& reader, absl::string_view name,
    at::Device device = at::kCPU);

// The declaration of `tensor` as checkpoint tensor `name` (its dtype and
// shape). INVALID_ARGUMENT naming the tensor for a dtype safetensors files do
// not hold (complex, quantized, ...) or a layout other than strided (sparse).
[[nodiscard]] absl::StatusOr<CheckpointTensorSpec> TensorSpecOf(
    std::string name, const at::Tensor& tensor);

// Writes `tensor` as the declared tensor `name`: moved to the CPU and made
// contiguous first when it is not already (one tensor's copy at a time).
// Errors as TensorSpecOf and CheckpointWriter::Write.
[[nodiscard]] absl::Status WriteTensor(CheckpointWriter& writer,
                                       absl::string_view name,
                                       const at::Tensor& tensor);

// Declares `tensors` (in that order), writes them and commits `dir`: the
// whole CheckpointWriter cycle for tensors already in memory. Errors as
// CheckpointWriter::Create, WriteTensor and Commit.
[[nodiscard]] absl::Status WriteTorchCheckpoint(
    const std::string& dir,
    const std::vector<std::pair<std::string, at::Tensor>>& tensors,
    const CheckpointWriterOptions& options = {});

}  // namespace binq::core

#endif  // BINQ_CORE_TORCH_CHECKPOINT_TORCH_H_
