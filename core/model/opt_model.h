// The OPT family (facebook/opt-125m … 66b, and the post-LayerNorm opt-350m
// with project_in/project_out) as a CausalLM, with plain ATen ops on weight
// tensors, matching transformers' OPTForCausalLM with eager attention.
// Registered in ModelRegistry as "opt"; LoadCausalLM reaches it.
//
// Checkpoint names: Hugging Face's "model.decoder.…" (+ "lm_head.weight"
// when not tied) or the original facebook/metaseq conversions' "decoder.…";
// either is accepted, and NamedTensors() always gives the HF form.
#ifndef BINQ_CORE_MODEL_OPT_MODEL_H_
#define BINQ_CORE_MODEL_OPT_MODEL_H_

#include <memory>

#include "absl/status/statusor.h"
#include "core/model/causal_lm.h"
#include "core/model_config/model_config.h"

namespace binq::core {

// Builds an OPT model on the CPU from `weights` (errors as LoadCausalLM; also
// INVALID_ARGUMENT when config.model_type is not "opt", or when
// config.torch_dtype names a dtype other than float16/bfloat16/float32 and no
// dtype is requested).
[[nodiscard]] absl::StatusOr<std::unique_ptr<CausalLM>> CreateOptModel(const ModelConfig& config,
                                                                       const WeightSource& weights,
                                                                       const ModelLoadOptions& options);

}  // namespace binq::core

#endif  // BINQ_CORE_MODEL_OPT_MODEL_H_
