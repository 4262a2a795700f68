#include "core/torch/safetensors_torch.h"

#include <cstring>

#include "absl/strings/str_cat.h"
#include "core/base/status_macros.h"
#include "core/torch/dtype_torch.h"
#include "core/torch/torch_call.h"

namespace binq::core {

absl::StatusOr<at::Tensor> ReadTensor(const SafetensorsFile& file, absl::string_view name) {
  BINQ_ASSIGN_OR_RETURN(const TensorView view, file.Get(name));
  return TorchCall(absl::StrCat(file.path(), ": reading '", name, "'"), [&] {
    at::Tensor t = at::empty(view.shape, at::TensorOptions().dtype(ToScalarType(view.dtype)));
    std::memcpy(t.data_ptr(), view.data, view.nbytes);
    return t;
  });
}

absl::Status WriteTensors(const std::string& path,
                          const std::vector<std::pair<std::string, at::Tensor>>& tensors,
                          const std::map<std::string, std::string>& metadata) {
  SafetensorsWriter writer;
  for (const auto& [name, tensor] : tensors) {
    BINQ_ASSIGN_OR_RETURN(const DType dtype, FromScalarType(tensor.scalar_type()));
    BINQ_ASSIGN_OR_RETURN(const at::Tensor cpu, TorchCall("copying to the CPU", [&] {
      return tensor.to(at::kCPU).contiguous();
    }));
    BINQ_RETURN_IF_ERROR(writer.Add(name, dtype, cpu.sizes().vec(), cpu.data_ptr(), cpu.nbytes()));
  }
  writer.SetMetadata(metadata);
  return writer.WriteFile(path);
}

}  // namespace binq::core
