#include "core/pipeline/job_runner.h"

#include <chrono>
#include <memory>
#include <vector>

#include <torch/headeronly/version.h>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_join.h"
#include "core/base/dataset_files.h"
#include "core/base/model_locator.h"
#include "core/base/status_macros.h"
#include "core/data/datasets.h"
#include "core/eval/perplexity.h"
#include "core/io/checkpoint_reader.h"
#include "core/model/causal_lm.h"
#include "core/model/model_config.h"
#include "core/pipeline/block_quantizer.h"
#include "core/pipeline/device.h"
#include "core/pipeline/output_dir.h"
#include "core/pipeline/packed_model.h"
#include "core/quant/technique.h"
#include "core/text/tokenizer_loader.h"
#include "core/torch/checkpoint_torch.h"

#ifndef BINQ_VERSION
#define BINQ_VERSION "unknown"
#endif

namespace binq::core {
namespace {

using Clock = std::chrono::steady_clock;
using Json = nlohmann::json;

constexpr char kMetricsFile[] = "metrics.json";  // also what marks a folder as a job's result

double Since(Clock::time_point start) {
  return std::chrono::duration<double>(Clock::now() - start).count();
}

// Dataset progress as ProgressEvents of `stage`, at most one per percent.
DataProgressFn ProgressTo(EventSink& sink, Stage stage) {
  auto last = std::make_shared<std::pair<std::string, int64_t>>();
  return [&sink, stage, last](const DataProgress& p) {
    const int64_t percent = p.total > 0 ? 100 * p.done / p.total : -1;
    const std::string step(p.step);
    if (step == last->first && percent == last->second && p.done != p.total) return;
    *last = {step, percent};
    sink.Emit(ProgressEvent{stage, absl::StrCat(p.unit, " (", p.step, ")"), p.done, p.total});
  };
}

std::string DeviceName(const at::Device& d) { return d.str(); }

Json LayersJson(const std::vector<LayerEvent>& layers) {
  Json out = Json::array();
  for (const LayerEvent& l : layers) {
    Json j = EventToJson(Event{l, 0});
    j.erase("type");
    j.erase("time");
    out.push_back(j);
  }
  return out;
}

std::string LayersCsv(const std::vector<LayerEvent>& layers) {
  std::string csv =
      "block,layer,rows,cols,technique,salient_columns,relative_error,loss,wbits,storage_bits,seconds,backend\n";
  for (const LayerEvent& l : layers) {
    absl::StrAppend(&csv, absl::StrFormat("%d,%s,%d,%d,%s,%d,%.9g,%.9g,%.6g,%.6g,%.4f,%s\n", l.block,
                                          l.name, l.rows, l.cols, l.technique, l.salient_columns,
                                          l.relative_error, l.loss, l.wbits, l.storage_bits,
                                          l.seconds, l.backend));
  }
  return csv;
}

}  // namespace

absl::StatusOr<RunResult> RunJob(const JobSpec& spec_in, const RunOptions& options, EventSink& outer_sink,
                                 const CancelToken* cancel) {
  const auto job_start = Clock::now();
  RecordingSink recorded;
  TeeSink sink({&outer_sink, &recorded});
  BINQ_RETURN_IF_ERROR(ValidateJobSpec(spec_in));
  if (options.output_dir.empty()) return absl::InvalidArgumentError("output directory: must be given");
  // A job replaces only an earlier job's folder; say so now, not after hours.
  BINQ_RETURN_IF_ERROR(CheckReplaceable(options.output_dir, kMetricsFile));
  // The technique canonical and its options resolved (defaults filled in), so
  // metrics.json and binq.safetensors record exactly what ran.
  BINQ_ASSIGN_OR_RETURN(JobSpec spec, ResolveTechnique(spec_in));
  const bool quantize = spec.technique != kNoQuantization;  // none: evaluate as loaded
  BINQ_ASSIGN_OR_RETURN(const Technique* technique, TechniqueRegistry::Global().Find(spec.technique));
  BINQ_ASSIGN_OR_RETURN(const QuantOptions quant_options,
                        MakeQuantOptions(spec.technique, spec.technique_options));
  const std::string data_dir = options.data_dir.empty() ? DefaultDataDir() : options.data_dir;
  std::map<std::string, double> timings;
  UseReferenceNumerics();

  // ---- loading
  auto stage_start = Clock::now();
  sink.Emit(StageEvent{Stage::kLoading, absl::StrCat("resolving ", spec.model)});
  const std::string hub_cache = options.hub_cache_dir.empty() ? DefaultHubCacheDir() : options.hub_cache_dir;
  BINQ_ASSIGN_OR_RETURN(const ModelLocation location, LocateModel(spec.model, hub_cache));
  BINQ_ASSIGN_OR_RETURN(const ModelConfig config, ReadModelConfig(location.dir));
  if (spec.seqlen == 0) spec.seqlen = config.reference_seqlen();
  if (spec.seqlen > config.max_position_embeddings) {
    return absl::InvalidArgumentError(absl::StrCat("seqlen: ", spec.seqlen, " exceeds the model's ",
                                                   config.max_position_embeddings, " positions"));
  }
  // Every dataset file is checked now, before hours of work.
  BINQ_ASSIGN_OR_RETURN(const DatasetFiles calibration_files, LocateDataset(spec.dataset, data_dir));
  std::vector<DatasetFiles> eval_files;
  for (const std::string& name : EffectiveEvalDatasets(spec)) {
    BINQ_ASSIGN_OR_RETURN(DatasetFiles files, LocateDataset(name, data_dir));
    eval_files.push_back(std::move(files));
  }
  BINQ_ASSIGN_OR_RETURN(const std::unique_ptr<Tokenizer> tokenizer, LoadTokenizer(location.dir));
  BINQ_ASSIGN_OR_RETURN(const std::unique_ptr<CheckpointReader> reader, CheckpointReader::Open(location.dir));
  BINQ_ASSIGN_OR_RETURN(const std::optional<at::ScalarType> dtype, ParseModelDType(spec.dtype));
  BINQ_ASSIGN_OR_RETURN(const at::Device device, ResolveDevice(spec.device));
  WeightSource weights;
  weights.names = reader->TensorNames();
  const int64_t total_tensors = static_cast<int64_t>(weights.names.size());
  int64_t loaded = 0;
  sink.Emit(StageEvent{Stage::kLoading, absl::StrCat("reading ", total_tensors, " tensors from ",
                                                     location.dir)});
  weights.load = [&](const std::string& name) -> absl::StatusOr<at::Tensor> {
    BINQ_RETURN_IF_CANCELLED(cancel, "cancelled while loading weights");
    auto t = LoadTensor(*reader, name);
    ++loaded;
    if (loaded == total_tensors || loaded % 16 == 0) {
      sink.Emit(ProgressEvent{Stage::kLoading, "tensors", loaded, total_tensors});
    }
    return t;
  };
  ModelLoadOptions load_options;
  load_options.dtype = dtype;
  BINQ_ASSIGN_OR_RETURN(const std::unique_ptr<CausalLM> model, LoadCausalLM(config, weights, load_options));
  timings["loading"] = Since(stage_start);

  Json calibration_json = nullptr;
  std::vector<LayerEvent> layers;
  PackedModelBuilder packed;
  if (quantize) {
    // ---- calibrating
    stage_start = Clock::now();
    BINQ_RETURN_IF_CANCELLED(cancel, "cancelled before calibration");
    sink.Emit(StageEvent{Stage::kCalibrating,
                         absl::StrCat("sampling ", spec.nsamples, " windows of ", spec.seqlen,
                                      " tokens from ", spec.dataset, " (seed ", spec.seed, ")")});
    CalibrationOptions cal_options;
    cal_options.nsamples = spec.nsamples;
    cal_options.seqlen = spec.seqlen;
    cal_options.seed = spec.seed;
    BINQ_ASSIGN_OR_RETURN(const CalibrationSet calibration,
                          LoadCalibrationSet(calibration_files, *tokenizer, cal_options,
                                             ProgressTo(sink, Stage::kCalibrating), cancel));
    std::vector<std::vector<int32_t>> windows;
    for (int64_t i = 0; i < calibration.num_windows(); ++i) {
      const auto w = calibration.window(i);
      windows.emplace_back(w.begin(), w.end());
    }
    calibration_json = {{"dataset", spec.dataset},
                        {"windows", calibration.num_windows()},
                        {"seqlen", spec.seqlen},
                        {"seed", spec.seed},
                        {"stream_tokens", calibration.stream_tokens},
                        {"document_draws", calibration.document_draws},
                        {"starts", calibration.starts}};
    sink.Emit(StageEvent{Stage::kCalibrating, absl::StrCat("capturing the inputs of block 0 on ",
                                                           DeviceName(device))});
    BINQ_ASSIGN_OR_RETURN(at::Tensor inputs, CaptureBlockInputs(*model, windows, device, sink, cancel));
    timings["calibrating"] = Since(stage_start);

    // ---- quantizing
    stage_start = Clock::now();
    sink.Emit(StageEvent{Stage::kQuantizing,
                         absl::StrCat(model->num_blocks(), " blocks with ", technique->name(), " on ",
                                      DeviceName(device))});
    BlockQuantizerOptions block_options;
    block_options.technique = technique;
    block_options.quant = quant_options;
    block_options.device = device;
    block_options.packed = spec.save_packed ? &packed : nullptr;
    BINQ_ASSIGN_OR_RETURN(layers, QuantizeBlocks(*model, std::move(inputs), block_options, sink, cancel));
    timings["quantizing"] = Since(stage_start);
  }

  // ---- evaluating
  stage_start = Clock::now();
  std::map<std::string, double> perplexity;
  Json perplexity_json = Json::object();
  for (const DatasetFiles& files : eval_files) {
    BINQ_RETURN_IF_CANCELLED(cancel, "cancelled before evaluation");
    sink.Emit(StageEvent{Stage::kEvaluating, absl::StrCat("tokenizing the ", files.name, " test split")});
    BINQ_ASSIGN_OR_RETURN(const std::vector<int32_t> tokens,
                          LoadTestTokens(files, *tokenizer, spec.seqlen, ProgressTo(sink, Stage::kEvaluating),
                                         cancel));
    const EvalWindows eval_windows(tokens, spec.seqlen);
    std::vector<std::vector<int32_t>> windows;
    for (int64_t k = 0; k < eval_windows.size(); ++k) {
      const auto w = eval_windows.window(k);
      windows.emplace_back(w.begin(), w.end());
    }
    sink.Emit(StageEvent{Stage::kEvaluating, absl::StrCat(files.name, ": ", windows.size(), " windows of ",
                                                          spec.seqlen, " tokens on ", DeviceName(device))});
    const int64_t k_windows = static_cast<int64_t>(windows.size());
    int64_t last_reported = -1;
    PerplexityOptions ppl_options;
    ppl_options.device = device;
    BINQ_ASSIGN_OR_RETURN(
        const PerplexityResult ppl,
        EvaluatePerplexity(*model, windows, ppl_options,
                           [&](const PerplexityProgress& p) {
                             // Windows finish only in the last pass; report the
                             // whole evaluation's progress in window units.
                             const int64_t done =
                                 p.passes_total > 0 ? p.passes_done * k_windows / p.passes_total : 0;
                             if (done == last_reported) return;
                             last_reported = done;
                             sink.Emit(EvalProgressEvent{files.name, done, k_windows});
                           },
                           cancel));
    perplexity[files.name] = ppl.perplexity;
    perplexity_json[files.name] = {{"perplexity", ppl.perplexity}, {"windows", ppl.windows},
                                   {"tokens", ppl.tokens}, {"test_tokens", tokens.size()}};
    sink.Emit(PerplexityEvent{files.name, ppl.perplexity, ppl.windows, ppl.tokens});
  }
  timings["evaluating"] = Since(stage_start);

  // ---- saving
  stage_start = Clock::now();
  BINQ_RETURN_IF_CANCELLED(cancel, "cancelled before saving");
  sink.Emit(StageEvent{Stage::kSaving, absl::StrCat("writing ", options.output_dir)});
  BINQ_ASSIGN_OR_RETURN(std::unique_ptr<OutputDir> out, OutputDir::Create(options.output_dir, kMetricsFile));
  std::vector<ArtifactEvent> artifacts;
  const auto named = model->NamedTensors();
  if (quantize && spec.save_model) {
    CheckpointWriterOptions writer_options;
    writer_options.side_files_from = location.dir;
    BINQ_RETURN_IF_ERROR(WriteTorchCheckpoint(out->Staged("model"), named, writer_options));
    artifacts.push_back({"model", out->Final("model"), DiskBytes(out->Staged("model"))});
  }
  Json storage_json = nullptr;
  if (quantize && spec.save_packed) {
    for (const auto& [name, tensor] : named) {
      if (!packed.IsPacked(name)) packed.AddPlain(name, tensor);
    }
    BINQ_RETURN_IF_ERROR(packed.WriteFile(out->Staged("binq.safetensors"),
                                          {{"binq.spec", JobSpecToJson(spec).dump()}}));
    const PackedStorage s = packed.storage();
    storage_json = {{"quantized_weights", s.quantized_weights},
                    {"packed_bytes", s.packed_bytes},
                    {"other_bytes", s.other_bytes},
                    {"bits_per_quantized_weight", s.bits_per_quantized_weight()}};
    artifacts.push_back({"packed", out->Final("binq.safetensors"), DiskBytes(out->Staged("binq.safetensors"))});
  }

  SummaryEvent summary;
  summary.technique = spec.technique;
  summary.layers = static_cast<int64_t>(layers.size());
  summary.perplexity = perplexity;
  summary.output_dir = out->final_dir();
  double weights_total = 0;
  for (const LayerEvent& l : layers) {
    const double w = static_cast<double>(l.rows * l.cols);
    weights_total += w;
    summary.wbits += l.wbits * w;
    summary.storage_bits += l.storage_bits * w;
    summary.mean_relative_error += l.relative_error;
  }
  if (weights_total > 0) {
    summary.wbits /= weights_total;
    summary.storage_bits /= weights_total;
    summary.mean_relative_error /= static_cast<double>(layers.size());
  }

  if (!layers.empty()) {
    BINQ_RETURN_IF_ERROR(WriteTextFile(out->Staged("layers.csv"), LayersCsv(layers)));
  }
  timings["saving"] = Since(stage_start);
  summary.seconds = Since(job_start);
  timings["total"] = summary.seconds;
  Json events = Json::array();
  for (const Event& e : recorded.events()) events.push_back(EventToJson(e));
  Json blocks = Json::array();
  for (const Event& e : recorded.events()) {
    if (std::holds_alternative<BlockEvent>(e.body)) blocks.push_back(EventToJson(e));
  }
  Json artifacts_json = Json::array();
  for (const ArtifactEvent& a : artifacts) artifacts_json.push_back({{"kind", a.kind}, {"path", a.path}, {"bytes", a.bytes}});
  const Json metrics = {
      {"binq_version", BINQ_VERSION},
      {"torch_version", TORCH_VERSION},
      {"spec", JobSpecToJson(spec)},
      {"model", {{"ref", spec.model}, {"dir", location.dir}, {"source", location.source},
                 {"revision", location.revision}, {"model_type", config.model_type},
                 {"blocks", model->num_blocks()}, {"hidden_size", config.hidden_size},
                 {"dtype", std::string(c10::toString(model->dtype()))}}},
      {"device", DeviceName(device)},
      {"calibration", calibration_json},
      {"layers", LayersJson(layers)},
      {"blocks", blocks},
      {"perplexity", perplexity_json},
      {"summary", EventToJson(Event{summary, 0})},
      {"storage", storage_json},
      {"outputs", artifacts_json},
      {"timings", timings},
      {"events", events}};
  BINQ_RETURN_IF_ERROR(WriteTextFile(out->Staged(kMetricsFile), metrics.dump(2) + "\n"));
  artifacts.push_back({"metrics", out->Final(kMetricsFile), DiskBytes(out->Staged(kMetricsFile))});
  BINQ_RETURN_IF_ERROR(out->Commit());
  for (const ArtifactEvent& a : artifacts) sink.Emit(a);
  sink.Emit(summary);
  return RunResult{out->final_dir(), summary};
}

}  // namespace binq::core
