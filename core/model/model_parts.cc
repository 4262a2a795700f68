#include "core/model/model_parts.h"

#include <limits>

namespace binq::core {

absl::Status CheckHidden(const at::Tensor& hidden, int64_t width, at::ScalarType dtype, const at::Device& device,
                         absl::string_view what) {
  if (!hidden.defined() || hidden.dim() != 3 || hidden.size(2) != width) {
    return absl::InvalidArgumentError(absl::StrCat(
        what, ": hidden states must be [batch, seq, ", width, "], got ",
        hidden.defined() ? ShapeString(hidden.sizes()) : std::string("(undefined)")));
  }
  if (hidden.scalar_type() != dtype) {
    return absl::InvalidArgumentError(absl::StrCat(what, ": hidden states are ", c10::toString(hidden.scalar_type()),
                                                   ", the model is ", c10::toString(dtype)));
  }
  if (hidden.device() != device) {
    return absl::InvalidArgumentError(absl::StrCat(what, ": hidden states are on ", hidden.device().str(),
                                                   ", the weights on ", device.str()));
  }
  return absl::OkStatus();
}

absl::Status CheckMask(const at::Tensor& mask, int64_t b, int64_t s, at::ScalarType dtype,
                       const at::Device& device, absl::string_view what) {
  if (!mask.defined() || mask.dim() != 4 || (mask.size(0) != 1 && mask.size(0) != b) || mask.size(1) != 1 ||
      mask.size(2) != s || mask.size(3) != s || mask.scalar_type() != dtype || mask.device() != device) {
    return absl::InvalidArgumentError(absl::StrCat(
        what, ": mask must be [1 or ", b, ", 1, ", s, ", ", s, "] of ", c10::toString(dtype), " on ",
        device.str(), ", got ", mask.defined() ? ShapeString(mask.sizes()) : std::string("(undefined)"),
        mask.defined() ? absl::StrCat(" of ", c10::toString(mask.scalar_type()), " on ", mask.device().str())
                       : std::string()));
  }
  return absl::OkStatus();
}

absl::StatusOr<at::Tensor> CheckedTokenIds(const at::Tensor& ids, int64_t vocab_size, int64_t max_positions,
                                           const at::Device& device) {
  if (!ids.defined() || ids.dim() != 2 || ids.size(1) == 0) {
    return absl::InvalidArgumentError(absl::StrCat("embed: token ids must be [batch, seq] with seq ≥ 1, got ",
                                                   ids.defined() ? ShapeString(ids.sizes()) : "(undefined)"));
  }
  if (ids.scalar_type() != at::kInt && ids.scalar_type() != at::kLong) {
    return absl::InvalidArgumentError(
        absl::StrCat("embed: token ids must be int32 or int64, got ", c10::toString(ids.scalar_type())));
  }
  const int64_t s = ids.size(1);
  if (s > max_positions) {
    return absl::InvalidArgumentError(absl::StrCat("embed: sequence of ", s, " tokens is longer than the model's ",
                                                   max_positions, " positions"));
  }
  c10::InferenceMode guard;
  BINQ_ASSIGN_OR_RETURN(at::Tensor on_device,
                        TorchCall("embed: moving token ids", [&] { return ids.to(device, at::kLong); }));
  BINQ_ASSIGN_OR_RETURN(const auto range, TorchCall("embed: id range", [&] {
                          const auto [lo, hi] = at::aminmax(on_device);
                          return std::make_pair(lo.item<int64_t>(), hi.item<int64_t>());
                        }));
  if (range.first < 0 || range.second >= vocab_size) {
    return absl::InvalidArgumentError(absl::StrCat("embed: token id ", range.first < 0 ? range.first : range.second,
                                                   " is outside the vocabulary [0, ", vocab_size, ")"));
  }
  return on_device;
}

double MinOf(at::ScalarType dtype) {
  switch (dtype) {
    case at::kHalf: return static_cast<float>(std::numeric_limits<c10::Half>::lowest());
    case at::kBFloat16: return static_cast<float>(std::numeric_limits<c10::BFloat16>::lowest());
    case at::kFloat: return std::numeric_limits<float>::lowest();
    default: return std::numeric_limits<double>::lowest();
  }
}

bool SameDevice(const at::Device& a, const at::Device& b) {
  return a.type() == b.type() && (!b.has_index() || !a.has_index() || a.index() == b.index());
}

absl::StatusOr<at::ScalarType> ChooseDType(const ModelConfig& config, const ModelLoadOptions& options,
                                           const WeightLoader& loader, const std::string& probe_name) {
  if (options.dtype.has_value()) return *options.dtype;
  if (!config.torch_dtype.empty() && config.torch_dtype != "auto") {
    if (config.torch_dtype == "float16") return at::kHalf;
    if (config.torch_dtype == "bfloat16") return at::kBFloat16;
    if (config.torch_dtype == "float32") return at::kFloat;
    return absl::InvalidArgumentError(absl::StrCat(config.source, ": field 'torch_dtype' is '", config.torch_dtype,
                                                   "'; binq runs float16, bfloat16 or float32 models (request one)"));
  }
  BINQ_ASSIGN_OR_RETURN(const at::Tensor probe, loader.LoadRaw(probe_name));
  const at::ScalarType t = probe.scalar_type();
  if (t == at::kHalf || t == at::kBFloat16 || t == at::kFloat) return t;
  return absl::InvalidArgumentError(absl::StrCat("weight '", probe_name, "' is ", c10::toString(t),
                                                 "; binq runs float16, bfloat16 or float32 models (request one)"));
}

}  // namespace binq::core
