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
#include "core/base/technique_catalog.h"
#include "nlohmann/json.hpp"

namespace binq {

struct JobSpec {
  // Local checkpoint directory, or a hub id ("facebook/opt-13b") resolved in
  // the Hugging Face cache (core/base/model_locator.h).
  std::string model;
  // Quantization technique, any case, by name or alias (technique_catalog.h):
  // braq, CRBOG, CRB, sign, rtn, or none (alias fp16) to evaluate the
  // unquantized model.
  std::string technique;
  // Calibration dataset: wikitext2, ptb, c4, or a path to a plain UTF-8 text
  // file (a custom dataset).
  std::string dataset = "wikitext2";
  // Datasets whose test split is evaluated after quantizing. Empty = the
  // calibration dataset only (the CRB repository's convention).
  std::vector<std::string> eval_datasets;

  // The technique's own options by key (the reference scripts' spellings:
  // blocksize, salient_metric, percdamp, lam, corr_damp, wbits, …), checked
  // against the technique's catalog row (core/base/technique_catalog.h);
  // unset ones take the row's defaults. binqd stores, and the worker records
  // in metrics.json, the resolved set (every option, defaults filled in).
  OptionValues technique_options;

  int64_t nsamples = 128;                 // calibration windows
  // Tokens per window (calibration and evaluation); 0 = the model's
  // max_position_embeddings (2048 for OPT), as the references take it.
  int64_t seqlen = 0;
  uint64_t seed = 0;                      // calibration sampling (CPython random)

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

// Canonical names of the techniques in the catalog (technique_catalog.h),
// sorted. The daemon validates against them without loading LibTorch;
// tests/core/quant/catalog_registry_test.cc checks them against the worker's
// technique registry.
std::vector<std::string> KnownTechniques();
// The canonical spelling of a technique given in any case or by an alias
// ("fp16" → "none"), or INVALID_ARGUMENT "technique: unknown 'x' (known: …)".
[[nodiscard]] absl::StatusOr<std::string> CanonicalTechnique(absl::string_view name);

// Field-by-field range checks that need no files: INVALID_ARGUMENT whose
// message starts with the field or option name ("nsamples: must be ≥ 1, got
// 0", "corr_damp: must be in [0, 1), got 2"); technique_options are checked
// against the technique's catalog row (TechniqueOptions::Resolve).
// Does not check that the model or dataset files exist (see
// model_locator.h and datasets.h for that).
[[nodiscard]] absl::Status ValidateJobSpec(const JobSpec& spec);

// The spec as JSON (every field; technique_options as an object of typed
// values), and back. FromJson accepts a subset of the fields (the rest keep
// their defaults) and rejects unknown keys and values of the wrong type with
// INVALID_ARGUMENT naming the key. Top-level keys of the options that were
// spec fields before technique_options (LegacyOptionKeys: blocksize, lam, …,
// as older metrics.json and stored jobs have them) are folded into
// technique_options (MergeLegacyOptions). The same format is the "spec" of
// metrics.json and of the daemon's job store.
nlohmann::json JobSpecToJson(const JobSpec& spec);
[[nodiscard]] absl::StatusOr<JobSpec> JobSpecFromJson(const nlohmann::json& json);

// The spec with its technique canonical and technique_options resolved
// (every option of the technique, defaults filled in); INVALID_ARGUMENT as
// ValidateJobSpec for the technique and its options.
[[nodiscard]] absl::StatusOr<JobSpec> ResolveTechnique(JobSpec spec);

// The evaluation datasets a run uses: spec.eval_datasets, or {dataset}.
std::vector<std::string> EffectiveEvalDatasets(const JobSpec& spec);

}  // namespace binq

#endif  // BINQ_CORE_BASE_JOB_SPEC_H_
