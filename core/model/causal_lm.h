// CausalLM: a decoder-only language model executed block by block, the way
// the layer-wise driver of the references runs it (ALGORITHMS.md §2):
//
//     hidden = model.Embed(ids)                       // [b, s] → [b, s, h]
//     mask   = model.CausalMask(s, device)            // [1, 1, s, s]
//     for each block: hidden = block.Forward(hidden, mask, observer)
//     logits = model.Head(hidden)                     // [b, s, vocab]
//
// Each part (embeddings, every block, the head) lives on one device at a time
// and is moved explicitly: EmbeddingsTo / DecoderBlock::To / HeadTo. The
// model is loaded on the CPU; a pipeline moves one part to the GPU while it
// runs and back afterwards, so only one block needs device memory at a time.
// Every op runs on the device of the part's weights; inputs on another device
// are an error (INVALID_ARGUMENT), except token ids, which Embed moves.
//
// Families (OPT now, LLaMA later) implement CausalLM and DecoderBlock and
// register a factory under their config model_type (ModelRegistry). The
// numerics of each family follow transformers' eager implementation op for op
// so logits match bit for bit on the same device and dtype.
//
// Ownership: the CausalLM owns its blocks; references and LinearLayer
// pointers stay valid while it lives.
// Thread-safety: none. Use a model from one thread (the pipeline thread), as
// LibTorch calls should be (CONVENTIONS.md). Every method opens its own
// c10::InferenceMode.
// Errors: LibTorch failures come back as Status through TorchCall (CUDA
// out-of-memory → RESOURCE_EXHAUSTED).
#ifndef BINQ_CORE_MODEL_CAUSAL_LM_H_
#define BINQ_CORE_MODEL_CAUSAL_LM_H_

#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include <ATen/ATen.h>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "core/model_config/model_config.h"

namespace binq::core {

// Called with (linear name, the linear's input) just before each linear of a
// block runs, in execution order. The input is [batch, seq, in_features] in
// the model dtype on the block's device (transformers flattens the MLP input
// to [batch·seq, in]; binq keeps the batch dimension for every linear so an
// observer sees one layout — for batch 1 the reference's Hessian update
// treats both the same, ALGORITHMS.md §2.5). The tensor must not be modified.
// A non-OK status aborts the forward pass and is returned by Forward.
using LinearObserver = std::function<absl::Status(const std::string& name, const at::Tensor& input)>;

// One linear of a block, for the quantizer.
struct LinearLayer {
  std::string name;  // relative to the block: "self_attn.k_proj", "fc1", …
  // [out_features, in_features] in the model dtype on the block's device.
  // The caller may assign a new tensor (the de-quantized weight) of the same
  // shape, dtype and device; SetLinearWeight checks and converts for you.
  at::Tensor* weight = nullptr;
  const at::Tensor* bias = nullptr;  // [out_features] or undefined (no bias)
};

// One decoder layer ("block").
class DecoderBlock {
 public:
  virtual ~DecoderBlock() = default;

  int index() const { return index_; }
  // The weights' device.
  virtual at::Device device() const = 0;
  // Moves every weight of the block to `device` (a no-op when already there).
  // Weights replaced through linears() travel too.
  [[nodiscard]] virtual absl::Status To(const at::Device& device) = 0;

  // The quantizable linears in the reference order (module registration
  // order: OPT k_proj, v_proj, q_proj, out_proj, fc1, fc2 — ALGORITHMS.md
  // §2.2).
  virtual std::vector<LinearLayer> linears() = 0;
  // Replaces the weight of linear `name` by `weight` (any float dtype and
  // device), cast to the model dtype and moved to the block's device.
  // NOT_FOUND for an unknown name; INVALID_ARGUMENT naming both shapes when
  // the shape differs.
  [[nodiscard]] absl::Status SetLinearWeight(absl::string_view name, const at::Tensor& weight);

  // Every tensor of the block with its name relative to the block
  // ("self_attn.k_proj.weight", "fc1.bias", …), in a fixed order.
  virtual std::vector<std::pair<std::string, at::Tensor>> NamedTensors() const = 0;
  // Bytes of all its tensors.
  int64_t nbytes() const;

  // Runs the block on `hidden` [b, s, h] (model dtype, on device()) with the
  // additive `mask` [1 or b, 1, s, s] (model dtype, on device(); CausalMask).
  // `observer` (may be empty) sees each linear's input first. Returns the new
  // hidden states [b, s, h]. INVALID_ARGUMENT for a shape, dtype or device
  // mismatch; the observer's error as it returned it.
  [[nodiscard]] virtual absl::StatusOr<at::Tensor> Forward(const at::Tensor& hidden, const at::Tensor& mask,
                                                           const LinearObserver& observer = {}) const = 0;

 protected:
  explicit DecoderBlock(int index) : index_(index) {}

 private:
  const int index_;
};

class CausalLM {
 public:
  virtual ~CausalLM() = default;

  const ModelConfig& config() const { return config_; }
  // The dtype every weight and hidden state has (F16, BF16 or F32).
  at::ScalarType dtype() const { return dtype_; }
  int num_blocks() const { return static_cast<int>(blocks_.size()); }
  DecoderBlock& block(int i) { return *blocks_.at(i); }
  const DecoderBlock& block(int i) const { return *blocks_.at(i); }
  // A block's tensors are named block_prefix(i) + the block-relative name
  // in NamedTensors() (Hugging Face's canonical names: "model.decoder.layers.3."
  // for OPT, whatever prefix the checkpoint used).
  virtual std::string block_prefix(int i) const = 0;

  virtual at::Device embeddings_device() const = 0;
  virtual at::Device head_device() const = 0;
  [[nodiscard]] virtual absl::Status EmbeddingsTo(const at::Device& device) = 0;
  [[nodiscard]] virtual absl::Status HeadTo(const at::Device& device) = 0;

  // Token ids [b, s] (int32 or int64, any device) → hidden states [b, s, h]
  // in the model dtype on embeddings_device(). INVALID_ARGUMENT for another
  // rank, an id outside [0, vocab_size) or s > the positions the model has.
  [[nodiscard]] virtual absl::StatusOr<at::Tensor> Embed(const at::Tensor& ids) const = 0;
  // Hidden states after the last block [b, s, h] (on head_device()) →
  // logits [b, s, vocab] in the model dtype.
  [[nodiscard]] virtual absl::StatusOr<at::Tensor> Head(const at::Tensor& hidden) const = 0;

  // The additive causal mask the blocks take, as transformers builds it for
  // eager attention with no padding: [1, 1, s, s] in the model dtype, 0 on
  // and below the diagonal, finfo(dtype).min above (ALGORITHMS.md §2.3).
  [[nodiscard]] absl::StatusOr<at::Tensor> CausalMask(int64_t seqlen, const at::Device& device) const;

  // Every tensor of the model under its Hugging Face name (canonical prefix,
  // e.g. "model.decoder." for OPT; lm_head.weight only when not tied), on
  // whatever device each part is: for writing the de-quantized checkpoint.
  virtual std::vector<std::pair<std::string, at::Tensor>> NamedTensors() const = 0;

  // The whole forward pass for one batch, part by part on `device`: each part
  // is moved there while it runs and then back to where it was. Returns
  // logits [b, s, vocab] on `device`. A convenience for tests and small
  // inputs; the pipeline drives the parts itself.
  [[nodiscard]] absl::StatusOr<at::Tensor> Logits(const at::Tensor& ids, const at::Device& device);

 protected:
  CausalLM(ModelConfig config, at::ScalarType dtype) : config_(std::move(config)), dtype_(dtype) {}

  std::vector<std::unique_ptr<DecoderBlock>> blocks_;

 private:
  const ModelConfig config_;
  const at::ScalarType dtype_;
};

// Where a model's weights come from, independent of the checkpoint format:
// the names the checkpoint holds, and a loader for one tensor by name. The
// loader returns a tensor on any device in any float dtype (the model casts
// it) or an error (NOT_FOUND for a missing name is expected). Called once per
// tensor, from the loading thread.
struct WeightSource {
  std::vector<std::string> names;
  std::function<absl::StatusOr<at::Tensor>(const std::string& name)> load;
};

struct ModelLoadOptions {
  // The model's dtype: F16, BF16 or F32. Unset = "auto" as transformers'
  // torch_dtype="auto": the config's dtype, else the dtype of the token
  // embedding in the checkpoint.
  std::optional<at::ScalarType> dtype;
};

// "auto" → nullopt; "float16"/"fp16"/"f16"/"half", "bfloat16"/"bf16",
// "float32"/"fp32"/"f32"/"float" → the type. INVALID_ARGUMENT otherwise.
[[nodiscard]] absl::StatusOr<std::optional<at::ScalarType>> ParseModelDType(absl::string_view name);

// Builds a model of one family from its config and weights (on the CPU).
using CausalLMFactory = std::function<absl::StatusOr<std::unique_ptr<CausalLM>>(
    const ModelConfig& config, const WeightSource& weights, const ModelLoadOptions& options)>;

// Process-wide map model_type → factory. Families register during static
// initialization (BINQ_REGISTER_MODEL_FAMILY); lookups afterwards are
// read-only and thread-safe.
class ModelRegistry {
 public:
  static ModelRegistry& Global();
  // Returns false (and keeps the first) when the type is taken.
  bool Register(const std::string& model_type, CausalLMFactory factory);
  // INVALID_ARGUMENT listing the registered types for an unknown one.
  [[nodiscard]] absl::StatusOr<CausalLMFactory> Find(absl::string_view model_type) const;
  std::vector<std::string> Types() const;  // sorted

 private:
  std::map<std::string, CausalLMFactory, std::less<>> factories_;
};

// Looks up config.model_type and builds the model. Errors: INVALID_ARGUMENT
// for an unknown family, an unsupported dtype, or a weight of the wrong shape
// (naming the tensor and both shapes); NOT_FOUND naming a missing weight;
// the loader's own errors with the tensor name prefixed.
[[nodiscard]] absl::StatusOr<std::unique_ptr<CausalLM>> LoadCausalLM(const ModelConfig& config,
                                                                     const WeightSource& weights,
                                                                     const ModelLoadOptions& options = {});

}  // namespace binq::core

#define BINQ_REGISTER_MODEL_FAMILY(id, model_type, factory)       \
  static const bool binq_registered_model_##id [[maybe_unused]] = \
      ::binq::core::ModelRegistry::Global().Register(model_type, factory)

#endif  // BINQ_CORE_MODEL_CAUSAL_LM_H_
