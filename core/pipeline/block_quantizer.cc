#include "core/pipeline/block_quantizer.h"

#include <chrono>
#include <map>
#include <memory>
#include <string>

#include <c10/core/InferenceMode.h>

#include "absl/strings/str_cat.h"
#include "core/base/status_macros.h"
#include "core/pipeline/device.h"
#include "core/quant/hessian.h"
#include "core/torch/torch_call.h"

namespace binq::core {
namespace {

double Since(std::chrono::steady_clock::time_point start) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
}

// Moves a part back to the CPU when the scope ends, also on errors, so a
// failed block does not keep device memory.
class BlockOnDevice {
 public:
  BlockOnDevice(DecoderBlock& block) : block_(block) {}
  ~BlockOnDevice() { (void)block_.To(at::Device(at::kCPU)); }
  BlockOnDevice(const BlockOnDevice&) = delete;
  BlockOnDevice& operator=(const BlockOnDevice&) = delete;

 private:
  DecoderBlock& block_;
};

}  // namespace

absl::StatusOr<at::Tensor> CaptureBlockInputs(CausalLM& model,
                                              const std::vector<std::vector<int32_t>>& windows,
                                              const at::Device& device, EventSink& sink,
                                              const CancelToken* cancel) {
  if (windows.empty()) return absl::InvalidArgumentError("nsamples: no calibration windows");
  const auto n = static_cast<int64_t>(windows.size());
  const auto s = static_cast<int64_t>(windows[0].size());
  BINQ_RETURN_IF_ERROR(model.EmbeddingsTo(device));
  absl::StatusOr<at::Tensor> inputs = TorchCall("capturing block inputs", [&]() -> absl::StatusOr<at::Tensor> {
    c10::InferenceMode guard;
    at::Tensor all = at::empty({n, s, model.config().hidden_size},
                               at::TensorOptions().dtype(model.dtype()).device(device));
    for (int64_t i = 0; i < n; ++i) {
      BINQ_RETURN_IF_CANCELLED(cancel, "cancelled while capturing calibration inputs");
      const at::Tensor ids =
          at::from_blob(const_cast<int32_t*>(windows[i].data()), {1, s}, at::kInt).clone();
      BINQ_ASSIGN_OR_RETURN(at::Tensor hidden, model.Embed(ids));
      all[i].copy_(hidden[0]);
      sink.Emit(ProgressEvent{Stage::kCalibrating, "windows", i + 1, n});
    }
    return all;
  });
  BINQ_RETURN_IF_ERROR(model.EmbeddingsTo(at::Device(at::kCPU)));
  return inputs;
}

absl::StatusOr<std::vector<LayerEvent>> QuantizeBlocks(CausalLM& model, at::Tensor inputs,
                                                       const BlockQuantizerOptions& options,
                                                       EventSink& sink, const CancelToken* cancel) {
  c10::InferenceMode guard;  // the hidden states are inference tensors, updated in place
  const Technique& technique = *options.technique;
  const at::Device& device = options.device;
  const int num_blocks = model.num_blocks();
  const int64_t n = inputs.size(0);
  BINQ_ASSIGN_OR_RETURN(const at::Tensor mask, model.CausalMask(inputs.size(1), device));
  std::vector<LayerEvent> layers;
  const auto start = std::chrono::steady_clock::now();
  BINQ_ASSIGN_OR_RETURN(at::Tensor outputs,
                        TorchCall("allocating block outputs", [&] { return at::empty_like(inputs); }));

  for (int b = 0; b < num_blocks; ++b) {
    BINQ_RETURN_IF_CANCELLED(cancel, "cancelled between blocks");
    const auto block_start = std::chrono::steady_clock::now();
    ResetPeakMemory(device);
    DecoderBlock& block = model.block(b);
    BlockOnDevice on_device(block);
    BINQ_RETURN_IF_ERROR(block.To(device));

    // One Hessian per linear, from the unquantized block (§2.4 step 3).
    std::map<std::string, std::unique_ptr<HessianAccumulator>> hessians;
    for (const LinearLayer& linear : block.linears()) {
      hessians[linear.name] = std::make_unique<HessianAccumulator>(linear.weight->size(1), device);
    }
    const LinearObserver observer = [&](const std::string& name, const at::Tensor& input) -> absl::Status {
      auto it = hessians.find(name);
      if (it == hessians.end()) return absl::OkStatus();
      return it->second->AddBatch(input);
    };
    for (int64_t j = 0; j < n; ++j) {
      BINQ_RETURN_IF_CANCELLED(cancel, "cancelled while calibrating a block");
      BINQ_ASSIGN_OR_RETURN(at::Tensor ignored,
                            block.Forward(inputs.narrow(0, j, 1), mask, observer));
    }

    // Quantize the linears in reference order.
    for (const LinearLayer& linear : block.linears()) {
      BINQ_RETURN_IF_CANCELLED(cancel, "cancelled between layers");
      const std::string where = absl::StrCat("block ", b, " ", linear.name);
      const HessianAccumulator& h = *hessians.at(linear.name);
      LayerProblem problem{*linear.weight, h.hessian()};
      auto result = technique.Quantize(problem, options.quant);
      if (!result.ok()) return WithContext(result.status(), where);
      BINQ_RETURN_IF_ERROR(WithContext(block.SetLinearWeight(linear.name, result->quantized), where));

      LayerEvent e;
      e.block = b;
      e.num_blocks = num_blocks;
      e.name = linear.name;
      e.rows = result->quantized.size(0);
      e.cols = result->quantized.size(1);
      e.technique = technique.name();
      e.salient_columns = result->salient_columns;
      e.relative_error = result->relative_output_error;
      e.loss = result->loss;
      e.wbits = result->wbits_paper;
      e.storage_bits = result->storage_bits;
      e.seconds = result->total_seconds;
      e.backend = result->backend;
      e.damping_retries = result->damping_retries;
      if (options.packed != nullptr && result->packing.kind != PackingScheme::Kind::kNone) {
        auto packed = PackLayer(result->quantized, result->partition, result->packing, model.dtype());
        if (!packed.ok()) return WithContext(packed.status(), where);
        e.storage_bits = packed->bits_per_weight();  // exact, exceptions included
        options.packed->AddPacked(absl::StrCat(model.block_prefix(b), linear.name, ".weight"),
                                  *std::move(packed));
      }
      if (result->damping_retries > 0) {
        sink.Emit(WarningEvent{absl::StrCat(where, ": Hessian not positive definite; added damping ",
                                            result->damping_retries, " time(s)")});
      }
      if (result->search_fallbacks > 0) {
        sink.Emit(WarningEvent{absl::StrCat(where, ": ", result->search_fallbacks,
                                            " block(s) had no finite search error; used the fallback")});
      }
      sink.Emit(e);
      layers.push_back(e);
    }

    // The quantized block produces the next block's inputs (§2.4 step 5).
    for (int64_t j = 0; j < n; ++j) {
      BINQ_RETURN_IF_CANCELLED(cancel, "cancelled while running a quantized block");
      BINQ_ASSIGN_OR_RETURN(at::Tensor out, block.Forward(inputs.narrow(0, j, 1), mask));
      BINQ_RETURN_IF_ERROR(TorchCall("storing block outputs", [&] { outputs.narrow(0, j, 1).copy_(out); }));
    }
    std::swap(inputs, outputs);

    BlockEvent e;
    e.block = b;
    e.num_blocks = num_blocks;
    e.seconds = Since(block_start);
    e.elapsed_seconds = Since(start);
    e.eta_seconds = e.elapsed_seconds / (b + 1) * (num_blocks - b - 1);
    e.peak_memory_bytes = PeakMemoryBytes(device);
    sink.Emit(e);
  }
  return layers;
}

}  // namespace binq::core
