// RunJob: one quantization job from spec to outputs — what `binq-run MODEL
// DATASET TECHNIQUE` and the daemon's workers do (DESIGN.md "A job's life"):
//
//   loading      resolve the model (local folder or HF cache), its config,
//                tokenizer and weights; check every dataset file exists
//   calibrating  sample the calibration windows (ALGORITHMS.md §8.3) and
//                capture the inputs of block 0
//   quantizing   block by block: Hessians, quantize each linear in reference
//                order, run the quantized block for the next one's inputs
//   evaluating   perplexity on each evaluation dataset (§8.4–8.5)
//   saving       model/ (de-quantized HF checkpoint), binq.safetensors
//                (packed), metrics.json and layers.csv, committed atomically
//
// Every step becomes an Event on `sink`; `cancel` is honoured between stages,
// blocks, layers, calibration windows and evaluation windows (CANCELLED, and
// no output folder is left behind). Technique "none" (alias "fp16") skips
// calibration and quantization and evaluates the model as loaded.
//
// Thread-safety: run one job per process (LibTorch state such as TF32 and
// the thread count is process-wide). Events are emitted on the calling thread.
#ifndef BINQ_CORE_PIPELINE_JOB_RUNNER_H_
#define BINQ_CORE_PIPELINE_JOB_RUNNER_H_

#include <map>
#include <string>

#include "absl/status/statusor.h"
#include "core/base/cancel_token.h"
#include "core/base/event.h"
#include "core/base/job_spec.h"

namespace binq::core {

struct RunOptions {
  // The job's output folder, replaced on success. One that exists already
  // must be empty or an earlier job's result (holding metrics.json).
  std::string output_dir;
  std::string data_dir;       // dataset root; empty: DefaultDataDir()
  std::string hub_cache_dir;  // Hugging Face cache; empty: DefaultHubCacheDir()
};

struct RunResult {
  std::string output_dir;
  SummaryEvent summary;
};

// Errors: INVALID_ARGUMENT for a bad spec field or a seqlen beyond the
// model's positions (naming the field), or an output folder that is neither
// empty nor an earlier result (checked first, and again when committing);
// NOT_FOUND for a model, tokenizer or dataset file that is not there (saying
// where it looked); DATA_LOSS for
// corrupt checkpoints or data; FAILED_PRECONDITION for a Hessian that cannot
// be factored or "cuda" without a GPU; RESOURCE_EXHAUSTED when memory runs
// out; CANCELLED. Messages say which stage, block and layer failed.
[[nodiscard]] absl::StatusOr<RunResult> RunJob(const JobSpec& spec, const RunOptions& options,
                                               EventSink& sink, const CancelToken* cancel = nullptr);

}  // namespace binq::core

#endif  // BINQ_CORE_PIPELINE_JOB_RUNNER_H_
