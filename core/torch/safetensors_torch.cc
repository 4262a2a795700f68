#include "core/torch/safetensors_torch.h"

#include <cstring>

#include "absl/strings/str_cat.h"
#include "core/base/status_macros.h"
#include "core/torch/torch_call.h"

namespace binq::core {
namespace {

at::ScalarType ToScalarType(DType dtype) {
  switch (dtype) {
    case DType::kF64: return at::kDouble;
    case DType::kF32: return at::kFloat;
    case DType::kF16: return at::kHalf;
    case DType::kBF16: return at::kBFloat16;
    case DType::kI64: return at::kLong;
    case DType::kI32: return at::kInt;
    case DType::kI16: return at::kShort;
    case DType::kI8: return at::kChar;
    case DType::kU8: return at::kByte;
    case DType::kBool: return at::kBool;
  }
  return at::kFloat;
}

absl::StatusOr<DType> FromScalarType(at::ScalarType type) {
  switch (type) {
    case at::kDouble: return DType::kF64;
    case at::kFloat: return DType::kF32;
    case at::kHalf: return DType::kF16;
    case at::kBFloat16: return DType::kBF16;
    case at::kLong: return DType::kI64;
    case at::kInt: return DType::kI32;
    case at::kShort: return DType::kI16;
    case at::kChar: return DType::kI8;
    case at::kByte: return DType::kU8;
    case at::kBool: return DType::kBool;
    default:
      return absl::InvalidArgumentError(absl::StrCat("no safetensors dtype for ", c10::toString(type)));
  }
}

}  // namespace

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
