#include "core/torch/checkpoint_torch.h"

#include <cstdint>
#include <cstring>

#include "absl/strings/str_cat.h"
#include "core/base/status_macros.h"
#include "core/torch/dtype_torch.h"
#include "core/torch/torch_call.h"

namespace binq::core {

absl::StatusOr<at::Tensor> LoadTensor(const CheckpointReader& reader,
                                      absl::string_view name,
                                      at::ScalarType dtype, at::Device device) {
  BINQ_ASSIGN_OR_RETURN(const TensorView view, reader.Get(name));
  return TorchCall(
      absl::StrCat(reader.dir(), ": loading tensor '", name, "'"),
      [&]() -> at::Tensor {
        const at::TensorOptions file_options =
            at::TensorOptions().dtype(ToScalarType(view.dtype));
        const size_t elem = DTypeSize(view.dtype);
        at::Tensor cpu;
        if (view.nbytes == 0) {
          cpu = at::empty(view.shape, file_options);
        } else if (reinterpret_cast<uintptr_t>(view.data) % elem == 0) {
          // Borrow the mapping (read only: the copy below never writes it).
          cpu = at::from_blob(const_cast<uint8_t*>(view.data), view.shape,
                              file_options);
        } else {
          // Kernels may assume element alignment, which a hand-made file
          // need not give.
          cpu = at::empty(view.shape, file_options);
          std::memcpy(cpu.data_ptr(), view.data, view.nbytes);
        }
        // copy=true: the result never shares memory with the mapping.
        return cpu.to(device, dtype, /*non_blocking=*/false, /*copy=*/true);
      });
}

absl::StatusOr<at::Tensor> LoadTensor(const CheckpointReader& reader,
                                      absl::string_view name,
                                      at::Device device) {
  BINQ_ASSIGN_OR_RETURN(const TensorView view, reader.Get(name));
  return LoadTensor(reader, name, ToScalarType(view.dtype), device);
}

absl::StatusOr<CheckpointTensorSpec> TensorSpecOf(std::string name,
                                                  const at::Tensor& tensor) {
  if (tensor.layout() != at::kStrided) {
    return absl::InvalidArgumentError(
        absl::StrCat("tensor '", name, "' is not dense (layout ",
                     c10::toString(tensor.layout()), ")"));
  }
  absl::StatusOr<DType> dtype = FromScalarType(tensor.scalar_type());
  if (!dtype.ok()) {
    return WithContext(dtype.status(), absl::StrCat("tensor '", name, "'"));
  }
  return CheckpointTensorSpec{std::move(name), *dtype, tensor.sizes().vec()};
}

absl::Status WriteTensor(CheckpointWriter& writer, absl::string_view name,
                         const at::Tensor& tensor) {
  BINQ_ASSIGN_OR_RETURN(const CheckpointTensorSpec spec,
                        TensorSpecOf(std::string(name), tensor));
  BINQ_ASSIGN_OR_RETURN(
      const at::Tensor cpu,
      TorchCall(absl::StrCat("copying tensor '", name, "' to the CPU"),
                [&] { return tensor.to(at::kCPU).contiguous(); }));
  TensorView view;
  view.dtype = spec.dtype;
  view.shape = spec.shape;
  view.data = static_cast<const uint8_t*>(cpu.data_ptr());
  view.nbytes = cpu.nbytes();
  return writer.Write(name, view);
}

absl::Status WriteTorchCheckpoint(
    const std::string& dir,
    const std::vector<std::pair<std::string, at::Tensor>>& tensors,
    const CheckpointWriterOptions& options) {
  std::vector<CheckpointTensorSpec> specs;
  specs.reserve(tensors.size());
  for (const auto& [name, tensor] : tensors) {
    BINQ_ASSIGN_OR_RETURN(CheckpointTensorSpec spec,
                          TensorSpecOf(name, tensor));
    specs.push_back(std::move(spec));
  }
  BINQ_ASSIGN_OR_RETURN(
      std::unique_ptr<CheckpointWriter> writer,
      CheckpointWriter::Create(dir, std::move(specs), options));
  for (const auto& [name, tensor] : tensors) {
    BINQ_RETURN_IF_ERROR(WriteTensor(*writer, name, tensor));
  }
  return writer->Commit();
}

}  // namespace binq::core
