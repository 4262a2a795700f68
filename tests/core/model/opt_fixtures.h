// Tiny random OPT checkpoints with the outputs transformers computes on them
// (make_opt_fixtures.py), and a WeightSource over a safetensors file: what
// the model and perplexity parity tests share.
#ifndef BINQ_TESTS_CORE_MODEL_OPT_FIXTURES_H_
#define BINQ_TESTS_CORE_MODEL_OPT_FIXTURES_H_

#include <functional>
#include <memory>
#include <string>

#include <ATen/ATen.h>

#include "absl/status/statusor.h"
#include "core/io/safetensors.h"
#include "core/model/causal_lm.h"

namespace binq::testing {

// The folder holding one subfolder per case (config.json, model.safetensors,
// io.safetensors, ppl.safetensors; see make_opt_fixtures.py). Generated with
// ${BINQ_PYTHON} on first use into the build tree, keyed by a hash of the
// generator script, under a file lock so parallel test processes generate it
// once; later calls and processes reuse it.
absl::StatusOr<std::string> OptFixturesDir();
// The same for the LLaMA-style families (make_llama_fixtures.py).
absl::StatusOr<std::string> LlamaFixturesDir();

// A checkpoint folder (config.json and weights in any layout binq reads:
// sharded or not) → the model, as the pipeline loads it.
absl::StatusOr<std::unique_ptr<core::CausalLM>> LoadCheckpointModel(const std::string& dir,
                                                                    const core::ModelLoadOptions& options = {});

// A WeightSource over one safetensors file. `rename` (optional) maps the
// file's names to the names the model sees (e.g. to strip "model.").
struct SafetensorsWeights {
  std::unique_ptr<core::SafetensorsFile> file;
  core::WeightSource source;
};
absl::StatusOr<std::unique_ptr<SafetensorsWeights>> OpenSafetensorsWeights(
    const std::string& path, std::function<std::string(const std::string&)> rename = {});

// One tensor of a safetensors file (a CPU copy).
absl::StatusOr<at::Tensor> ReadFixtureTensor(const std::string& path, const std::string& name);

// config.json + model.safetensors of `case_dir` → the model.
absl::StatusOr<std::unique_ptr<core::CausalLM>> LoadFixtureModel(const std::string& case_dir,
                                                                 const core::ModelLoadOptions& options = {});

}  // namespace binq::testing

#endif  // BINQ_TESTS_CORE_MODEL_OPT_FIXTURES_H_
