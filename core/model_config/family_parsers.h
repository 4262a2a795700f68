// The per-family config parsers (private to core/model_config). Each fills
// the family's fields of `config`, whose model_type and source are set, and
// its reference_seqlen_tokens and quantized_linears.
#ifndef BINQ_CORE_MODEL_CONFIG_FAMILY_PARSERS_H_
#define BINQ_CORE_MODEL_CONFIG_FAMILY_PARSERS_H_

#include <vector>

#include "absl/status/status.h"
#include "core/model_config/field_reader.h"
#include "core/model_config/model_config.h"

namespace binq::core {

using FamilyParser = absl::Status (*)(const FieldReader& fields, ModelConfig& config);

struct ModelFamily {
  const char* model_type;
  FamilyParser parse;
};

// Sorted by model_type (model_families.cc).
const std::vector<ModelFamily>& ModelFamilies();

absl::Status ParseOptConfig(const FieldReader& fields, ModelConfig& config);      // opt_config.cc
absl::Status ParseLlamaConfig(const FieldReader& fields, ModelConfig& config);    // llama_config.cc
absl::Status ParseMistralConfig(const FieldReader& fields, ModelConfig& config);  // llama_config.cc
absl::Status ParseQwen2Config(const FieldReader& fields, ModelConfig& config);    // llama_config.cc
absl::Status ParseQwen3Config(const FieldReader& fields, ModelConfig& config);    // llama_config.cc
absl::Status ParseGemma3TextConfig(const FieldReader& fields, ModelConfig& config);  // gemma3_config.cc

// Shared by the LLaMA-style parsers (llama_config.cc).
// The quantized linears of a LLaMA-style layer (ALGORITHMS.md §2.2).
const std::vector<std::string>& LlamaQuantizedLinears();
// 2048 as BiLLM's get_llama, capped at the model's positions.
int64_t LlamaReferenceSeqlen(const ModelConfig& config);
// One RoPE parameter object (`rope_parameters`, a `rope_scaling` dict or a
// Gemma layer type's entry) over `theta` as the default rope_theta.
absl::StatusOr<RopeParameters> ParseRopeObject(const FieldReader& rope, double theta,
                                               int64_t max_position_embeddings);
// Reads `layer_types` (one "full_attention" | "sliding_attention" per layer)
// into config.sliding_layers, all false when the key is absent. Returns
// whether it was there; INVALID_ARGUMENT for a wrong count or entry.
absl::StatusOr<bool> ReadLayerTypes(const FieldReader& fields, ModelConfig& config);

}  // namespace binq::core

#endif  // BINQ_CORE_MODEL_CONFIG_FAMILY_PARSERS_H_
