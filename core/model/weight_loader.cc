#include "core/model/weight_loader.h"

#include <c10/core/InferenceMode.h>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "core/base/status_macros.h"
#include "core/torch/torch_call.h"

namespace binq::core {

std::string ShapeString(at::IntArrayRef shape) {
  return absl::StrCat("[", absl::StrJoin(shape, ", "), "]");
}

WeightLoader::WeightLoader(const WeightSource& source, at::ScalarType dtype)
    : source_(source), dtype_(dtype), names_(source.names.begin(), source.names.end()) {}

absl::StatusOr<at::Tensor> WeightLoader::LoadRaw(const std::string& name) const {
  if (!Has(name)) {
    return absl::NotFoundError(absl::StrCat("weight '", name, "' is missing from the checkpoint"));
  }
  if (!source_.load) return absl::InternalError("WeightSource has no loader");
  absl::StatusOr<at::Tensor> t = source_.load(name);
  if (!t.ok()) return WithContext(t.status(), absl::StrCat("loading weight '", name, "'"));
  if (!t->defined()) return absl::DataLossError(absl::StrCat("weight '", name, "': loader returned no tensor"));
  if (!at::isFloatingType(t->scalar_type())) {
    return absl::InvalidArgumentError(
        absl::StrCat("weight '", name, "' has dtype ", c10::toString(t->scalar_type()), ", expected a floating type"));
  }
  return TorchCall(absl::StrCat("loading weight '", name, "'"), [&] { return t->to(at::kCPU); });
}

absl::StatusOr<at::Tensor> WeightLoader::Load(const std::string& name, std::vector<int64_t> shape) const {
  c10::InferenceMode guard;
  BINQ_ASSIGN_OR_RETURN(at::Tensor t, LoadRaw(name));
  if (t.sizes() != at::IntArrayRef(shape)) {
    return absl::InvalidArgumentError(absl::StrCat("weight '", name, "' has shape ", ShapeString(t.sizes()),
                                                   ", expected ", ShapeString(shape)));
  }
  return TorchCall(absl::StrCat("converting weight '", name, "'"),
                   [&] { return t.to(dtype_).contiguous(); });
}

}  // namespace binq::core
