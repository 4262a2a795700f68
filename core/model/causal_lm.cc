#include "core/model/causal_lm.h"

#include <limits>

#include <c10/core/InferenceMode.h>

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "core/base/status_macros.h"
#include "core/model/weight_loader.h"
#include "core/torch/torch_call.h"

namespace binq::core {

absl::Status DecoderBlock::SetLinearWeight(absl::string_view name, const at::Tensor& weight) {
  c10::InferenceMode guard;
  for (const LinearLayer& linear : linears()) {
    if (linear.name != name) continue;
    if (!weight.defined() || weight.sizes() != linear.weight->sizes()) {
      return absl::InvalidArgumentError(absl::StrCat(
          "block ", index(), " ", name, ": new weight has shape ",
          weight.defined() ? ShapeString(weight.sizes()) : std::string("(undefined)"), ", expected ",
          ShapeString(linear.weight->sizes())));
    }
    if (!at::isFloatingType(weight.scalar_type())) {
      return absl::InvalidArgumentError(absl::StrCat("block ", index(), " ", name, ": new weight has dtype ",
                                                     c10::toString(weight.scalar_type())));
    }
    const at::ScalarType dtype = linear.weight->scalar_type();
    const at::Device device = linear.weight->device();
    BINQ_ASSIGN_OR_RETURN(at::Tensor converted,
                          TorchCall(absl::StrCat("block ", index(), " ", name, ": setting weight"),
                                    [&] { return weight.to(device, dtype).contiguous(); }));
    *linear.weight = std::move(converted);
    return absl::OkStatus();
  }
  return absl::NotFoundError(absl::StrCat("block ", index(), ": no linear named '", name, "'"));
}

int64_t DecoderBlock::nbytes() const {
  int64_t n = 0;
  for (const auto& [name, t] : NamedTensors()) {
    if (t.defined()) n += t.nbytes();
  }
  return n;
}

absl::StatusOr<at::Tensor> CausalLM::CausalMask(int64_t seqlen, const at::Device& device) const {
  if (seqlen <= 0) return absl::InvalidArgumentError(absl::StrCat("causal mask: seqlen ", seqlen, " must be positive"));
  c10::InferenceMode guard;
  return TorchCall("building the causal mask", [&] {
    // finfo(dtype).min, the lowest finite value (not -inf), as transformers.
    double min = 0;
    switch (dtype_) {
      case at::kHalf: min = std::numeric_limits<c10::Half>::lowest(); break;
      case at::kBFloat16: min = std::numeric_limits<c10::BFloat16>::lowest(); break;
      case at::kFloat: min = std::numeric_limits<float>::lowest(); break;
      default: min = std::numeric_limits<double>::lowest(); break;
    }
    return at::full({seqlen, seqlen}, min, at::TensorOptions().dtype(dtype_).device(device))
        .triu(1)
        .view({1, 1, seqlen, seqlen});
  });
}

absl::StatusOr<at::Tensor> CausalLM::Logits(const at::Tensor& ids, const at::Device& device) {
  c10::InferenceMode guard;
  // Each part goes to `device` while it runs and back afterwards, also on errors.
  const at::Device embeddings_home = embeddings_device();
  BINQ_RETURN_IF_ERROR(EmbeddingsTo(device));
  absl::StatusOr<at::Tensor> hidden = Embed(ids);
  BINQ_RETURN_IF_ERROR(EmbeddingsTo(embeddings_home));
  if (!hidden.ok()) return hidden.status();
  BINQ_ASSIGN_OR_RETURN(const at::Tensor mask, CausalMask(hidden->size(1), device));
  for (int i = 0; i < num_blocks(); ++i) {
    DecoderBlock& b = block(i);
    const at::Device home = b.device();
    BINQ_RETURN_IF_ERROR(b.To(device));
    hidden = b.Forward(*hidden, mask);
    BINQ_RETURN_IF_ERROR(b.To(home));
    if (!hidden.ok()) return WithContext(hidden.status(), absl::StrCat("block ", i));
  }
  const at::Device head_home = head_device();
  BINQ_RETURN_IF_ERROR(HeadTo(device));
  absl::StatusOr<at::Tensor> logits = Head(*hidden);
  BINQ_RETURN_IF_ERROR(HeadTo(head_home));
  return logits;
}

absl::StatusOr<std::optional<at::ScalarType>> ParseModelDType(absl::string_view name) {
  const std::string n = absl::AsciiStrToLower(name);
  if (n == "auto") return std::optional<at::ScalarType>();
  if (n == "float16" || n == "fp16" || n == "f16" || n == "half") return std::optional<at::ScalarType>(at::kHalf);
  if (n == "bfloat16" || n == "bf16") return std::optional<at::ScalarType>(at::kBFloat16);
  if (n == "float32" || n == "fp32" || n == "f32" || n == "float") {
    return std::optional<at::ScalarType>(at::kFloat);
  }
  return absl::InvalidArgumentError(
      absl::StrCat("dtype: '", name, "' is not one of auto, float16, bfloat16, float32"));
}

ModelRegistry& ModelRegistry::Global() {
  static ModelRegistry* const kRegistry = new ModelRegistry();
  return *kRegistry;
}

bool ModelRegistry::Register(const std::string& model_type, CausalLMFactory factory) {
  return factories_.emplace(model_type, std::move(factory)).second;
}

absl::StatusOr<CausalLMFactory> ModelRegistry::Find(absl::string_view model_type) const {
  const auto it = factories_.find(model_type);
  if (it == factories_.end()) {
    return absl::InvalidArgumentError(absl::StrCat("model_type '", model_type, "' is not supported (supported: ",
                                                   absl::StrJoin(Types(), ", "), ")"));
  }
  return it->second;
}

std::vector<std::string> ModelRegistry::Types() const {
  std::vector<std::string> types;
  for (const auto& [type, factory] : factories_) types.push_back(type);
  return types;
}

absl::StatusOr<std::unique_ptr<CausalLM>> LoadCausalLM(const ModelConfig& config, const WeightSource& weights,
                                                       const ModelLoadOptions& options) {
  BINQ_ASSIGN_OR_RETURN(const CausalLMFactory factory, ModelRegistry::Global().Find(config.model_type));
  if (options.dtype.has_value() && *options.dtype != at::kHalf && *options.dtype != at::kBFloat16 &&
      *options.dtype != at::kFloat) {
    return absl::InvalidArgumentError(
        absl::StrCat("dtype ", c10::toString(*options.dtype), " is not supported (float16, bfloat16, float32)"));
  }
  return factory(config, weights, options);
}

}  // namespace binq::core
