// JobSpec: what one quantization job does — the model, the technique and its
// options, the calibration and evaluation data, where it runs. The same spec
// comes from `binq-run` flags, a `binqctl submit` spec file and the gRPC API;
// the daemon validates it at submit time without LibTorch, the worker runs it.
#ifndef BINQ_CORE_BASE_JOB_SPEC_H_
#define BINQ_CORE_BASE_JOB_SPEC_H_

#include <cstdint>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "nlohmann/json.hpp"

namespace binq {

struct JobSpec {
  // Local checkpoint directory, or a hub id ("facebook/opt-13b") resolved in
  // the Hugging Face cache (core/base/model_locator.h).
  std::string model;
  // Quantization technique, case-insensitive (braq, CRBOG, CRB, sign, rtn), or
  // "fp16" to evaluate the unquantized model.
  std::string technique;
  // Calibration dataset: wikitext2, ptb, c4, or a path to a plain UTF-8 text
  // file (a custom dataset).
  std::string dataset = "wikitext2";
  // Datasets whose test split is evaluated after quantizing. Empty = the
  // calibration dataset only (the CRB repository's convention).
  std::vector<std::string> eval_datasets;

  int64_t blocksize = 128;                // columns per quantization block
  std::string salient_metric = "hessian"; // hessian | magnitude
  int64_t nsamples = 128;                 // calibration windows
  // Tokens per window (calibration and evaluation); 0 = the model's
  // max_position_embeddings (2048 for OPT), as the references take it.
  int64_t seqlen = 0;
  uint64_t seed = 0;                      // calibration sampling (CPython random)
  double percdamp = 0.01;                 // δ = percdamp · mean(diag H)
  // CRB only (ALGORITHMS.md §6).
  std::string crb_variant = "current";    // current | paper2025
  double lam = 1e-5;
  double corr_damp = 0.1;
  int wbits = 2;                          // rtn only

  std::string device = "auto";            // auto | cpu | cuda  (auto: cuda when present)
  std::string dtype = "auto";             // auto (the checkpoint's) | float16 | bfloat16 | float32
  bool save_model = true;                 // write model/ (de-quantized HF checkpoint)
  bool save_packed = true;                // write binq.safetensors

  // Service fields (ignored by `binq-run` standalone).
  int32_t priority = 0;                   // higher runs first
  std::string user;                       // submitting user; fair share is per user
  std::string request_id;                 // idempotency key chosen by the client
};

// Names of the built-in datasets, in display order.
const std::vector<std::string>& BuiltinDatasets();
bool IsBuiltinDataset(absl::string_view name);

// Techniques the worker knows, canonical spelling, plus "fp16". The daemon
// validates against this list without loading LibTorch; a test checks it
// against the worker's technique registry.
const std::vector<std::string>& KnownTechniques();
// The canonical spelling of a technique given in any case, or INVALID_ARGUMENT
// "technique: unknown 'x' (known: …)".
[[nodiscard]] absl::StatusOr<std::string> CanonicalTechnique(absl::string_view name);

// Field-by-field range checks that need no files: INVALID_ARGUMENT whose
// message starts with the field name ("blocksize: must be ≥ 1, got 0").
// Does not check that the model or dataset files exist (see
// model_locator.h and datasets.h for that).
[[nodiscard]] absl::Status ValidateJobSpec(const JobSpec& spec);

// The spec as JSON (every field), and back. FromJson accepts a subset of the
// fields (the rest keep their defaults) and rejects unknown keys and values
// of the wrong type with INVALID_ARGUMENT naming the key. The same format is
// the `binqctl submit -f job.json` file and the "spec" of metrics.json.
nlohmann::json JobSpecToJson(const JobSpec& spec);
[[nodiscard]] absl::StatusOr<JobSpec> JobSpecFromJson(const nlohmann::json& json);

// The evaluation datasets a run uses: spec.eval_datasets, or {dataset}.
std::vector<std::string> EffectiveEvalDatasets(const JobSpec& spec);

}  // namespace binq

#endif  // BINQ_CORE_BASE_JOB_SPEC_H_
