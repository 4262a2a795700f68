// The layer-wise loop of the references (BiLLM run.py quant_sequential;
// ALGORITHMS.md §2.3–2.5): capture the inputs of block 0 for every
// calibration window, then for each block in turn accumulate one Hessian per
// linear from the block's (unquantized) forward pass, quantize its linears in
// reference order, and run the quantized block again to produce the next
// block's inputs. One block lives on the device at a time.
#ifndef BINQ_CORE_PIPELINE_BLOCK_QUANTIZER_H_
#define BINQ_CORE_PIPELINE_BLOCK_QUANTIZER_H_

#include <cstdint>
#include <vector>

#include <ATen/ATen.h>

#include "absl/status/statusor.h"
#include "core/base/cancel_token.h"
#include "core/base/event.h"
#include "core/model/causal_lm.h"
#include "core/pipeline/packed_model.h"
#include "core/quant/options.h"
#include "core/quant/technique.h"

namespace binq::core {

// The hidden states entering block 0 for each window: [n, s, h] in the model
// dtype on `device` (the reference keeps them on the GPU). Reports progress
// in "windows" under Stage::kCalibrating; checks `cancel` between windows.
[[nodiscard]] absl::StatusOr<at::Tensor> CaptureBlockInputs(CausalLM& model,
                                                            const std::vector<std::vector<int32_t>>& windows,
                                                            const at::Device& device, EventSink& sink,
                                                            const CancelToken* cancel);

struct BlockQuantizerOptions {
  const Technique* technique = nullptr;
  QuantOptions quant;
  at::Device device = at::Device(at::kCPU);
  PackedModelBuilder* packed = nullptr;  // when set, every quantized weight is packed into it
};

// Quantizes every block of `model` in place, starting from `inputs` (as
// CaptureBlockInputs returns, consumed). Emits one LayerEvent per linear and
// one BlockEvent per block (ETA, peak memory); checks `cancel` between
// blocks, layers and windows. Returns the layer events in order.
// Errors: the technique's, prefixed with "block i layer-name"; CANCELLED;
// RESOURCE_EXHAUSTED when the device runs out of memory.
[[nodiscard]] absl::StatusOr<std::vector<LayerEvent>> QuantizeBlocks(CausalLM& model, at::Tensor inputs,
                                                                     const BlockQuantizerOptions& options,
                                                                     EventSink& sink,
                                                                     const CancelToken* cancel);

}  // namespace binq::core

#endif  // BINQ_CORE_PIPELINE_BLOCK_QUANTIZER_H_
