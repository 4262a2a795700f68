// binq-run: the one program that runs quantization work.
//   binq-run MODEL DATASET TECHNIQUE [flags]   a whole job, like the references' run.py
//   binq-run --worker --job-id … --daemon …    a job for binqd
// and subcommands:
//   layer       quantize one linear layer from a safetensors file
//   compare     every technique on one layer, side by side
//   make-layer  write a synthetic layer case
//   tokenize    print the token ids of stdin
// Exceptions are caught only here and at the LibTorch boundary.
#include <iostream>
#include <string>
#include <vector>

#include <ATen/Parallel.h>
#include <CLI/CLI.hpp>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "core/base/technique_catalog.h"
#include "core/base/technique_flags.h"
#include "core/base/exit_codes.h"
#include "core/quant/technique.h"
#include "tools/binq_run/layer_command.h"
#include "tools/binq_run/make_layer_command.h"
#include "tools/binq_run/make_tiny_command.h"
#include "tools/binq_run/report_table.h"
#include "tools/binq_run/run_command.h"
#include "tools/binq_run/signal_watch.h"
#include "tools/binq_run/worker_command.h"
#include "tools/binq_run/tokenize_command.h"

namespace binq::tools {
namespace {

// "  braq     BiLLM: …" — one line per catalog technique, for --help.
std::string TechniqueLines() {
  std::string lines;
  for (const TechniqueEntry& e : TechniqueCatalog()) {
    std::string name = e.name;
    for (const std::string& a : e.aliases) absl::StrAppend(&name, " (", a, ")");
    absl::StrAppend(&lines, absl::StrFormat("      %-14s %s\n", name, e.help));
  }
  return lines;
}

// Every technique that quantizes, for `compare`'s default list.
std::string QuantizingTechniques() {
  std::vector<std::string> names;
  for (const TechniqueEntry& e : TechniqueCatalog()) {
    if (e.name != kNoQuantization) names.push_back(e.name);
  }
  return absl::StrJoin(names, ",");
}

// Flags shared by `layer` and `compare`: the catalog's technique options into
// `flags`, the run-time knobs into `c`.
void AddLayerFlags(CLI::App* app, LayerCommand& c, TechniqueFlags& flags, std::string& backend) {
  app->add_option("--input", c.input,
                  "safetensors file with W [rows, cols] and X [n, cols] (F32, F16 or BF16)")
      ->required();
  app->add_option("--seqlen", c.seqlen,
                  "rows of X per calibration sequence for the Hessian's running average")
      ->capture_default_str();
  flags.AddTo(app);
  app->add_option("--up_lim", c.knobs.up_lim, "salient search limit (k < up_lim)")
      ->capture_default_str();
  app->add_flag("--disable_gptq", c.knobs.disable_gptq,
                "no error compensation between blocks (BiLLM's RTN mode)");
  app->add_flag("--skip_refinement", c.knobs.skip_refinement, "CRB: no two-way sign refinement");
  app->add_flag("--symmetric_damp", c.knobs.symmetric_damp, "CRB: damp negative correlations too");
  app->add_option("--max_damping_retries", c.knobs.max_damping_retries,
                  "extra damping rounds for a Hessian that is not positive definite")
      ->capture_default_str();
  app->add_option("--device", c.device, "cpu or cuda[:N]")->capture_default_str();
  app->add_option("--backend", backend,
                  "auto (aten on CPU, fused kernels on CUDA), aten (bit parity with the "
                  "references), or kernels")
      ->capture_default_str();
}

absl::Status ReadLayerFlags(LayerCommand& c, const TechniqueFlags& flags, const std::string& backend) {
  auto given = flags.Given();
  if (!given.ok()) return given.status();
  c.technique_options = *std::move(given);
  auto b = core::ParseBackend(backend);
  if (!b.ok()) return b.status();
  c.knobs.backend = *b;
  return absl::OkStatus();
}

int Fail(const char* command, const absl::Status& status) {
  std::cerr << "binq-run " << command << ": error: " << status.message() << "\n";
  return ExitCodeFor(status);
}

int Main(int argc, char** argv) {
  BlockStopSignals();  // before LibTorch or gRPC start threads (signal_watch.h)
  CLI::App app{
      "binq-run: ~1-bit post-training quantization of LLMs.\n"
      "  binq-run MODEL DATASET TECHNIQUE [flags]   quantize a model and evaluate it, as the\n"
      "      references' `python3 run.py MODEL DATASET TECHNIQUE` (e.g. binq-run facebook/opt-1.3b\n"
      "      wikitext2 CRB --blocksize 128 --salient_metric hessian). MODEL: a checkpoint folder or\n"
      "      a hub id in the Hugging Face cache; DATASET: wikitext2, ptb, c4 (files under\n"
      "      $BINQ_DATA_DIR) or a text file; TECHNIQUE, any case (technique options below):\n" +
      TechniqueLines() +
      "  binq-run SUBCOMMAND …   tools for single layers and tokenizers (below).\n" +
      std::string(ExitCodeHelp())};
  app.require_subcommand(0, 1);
  int threads = 0;
  app.add_option("--threads", threads, "CPU threads for LibTorch (0: all cores)");

  RunCommand run;
  std::string eval_datasets;
  bool no_save_model = false, no_save_packed = false;
  app.add_option("MODEL", run.spec.model, "checkpoint folder or hub id (facebook/opt-1.3b[@revision])");
  app.add_option("DATASET", run.spec.dataset, "calibration data: wikitext2, ptb, c4 or a text file");
  app.add_option("TECHNIQUE", run.spec.technique, absl::StrCat(TechniqueNamesForHelp(), " (any case)"));
  const char* kRun = "Job (MODEL DATASET TECHNIQUE)";
  TechniqueFlags run_flags;
  run_flags.AddTo(&app, "Technique options (checked against TECHNIQUE's)");
  app.add_option("--nsamples", run.spec.nsamples, "calibration windows")->capture_default_str()->group(kRun);
  app.add_option("--seqlen", run.spec.seqlen, "tokens per window (0: the model's maximum, 2048 for OPT)")
      ->capture_default_str()->group(kRun);
  app.add_option("--seed", run.spec.seed, "calibration sampling seed")->capture_default_str()->group(kRun);
  app.add_option("--eval", eval_datasets, "comma-separated test sets (default: DATASET)")->group(kRun);
  app.add_option("--device", run.spec.device, "auto, cpu or cuda")->capture_default_str()->group(kRun);
  app.add_option("--dtype", run.spec.dtype, "auto (the checkpoint's), float16, bfloat16 or float32")
      ->capture_default_str()->group(kRun);
  app.add_option("--out", run.output_dir, "output folder (default out/<model>-<dataset>-<technique>)")
      ->group(kRun);
  app.add_option("--data-dir", run.data_dir, "dataset root (default $BINQ_DATA_DIR)")->group(kRun);
  app.add_flag("--no-save-model", no_save_model, "do not write model/ (the de-quantized checkpoint)")
      ->group(kRun);
  app.add_flag("--no-save-packed", no_save_packed, "do not write binq.safetensors")->group(kRun);
  app.add_flag("--json-events", run.json_events, "print every event as one JSON line instead of the display")
      ->group(kRun);

  WorkerCommand worker;
  bool worker_mode = false;
  const char* kWorker = "Worker (started by binqd)";
  app.add_flag("--worker", worker_mode, "run one job for binqd (token in $BINQ_WORKER_TOKEN)")->group(kWorker);
  app.add_option("--job-id", worker.job_id, "the job to run")->group(kWorker);
  app.add_option("--daemon", worker.daemon, "binqd's worker API address")->group(kWorker);
  app.add_option("--attempt", worker.attempt, "the job's attempt number")->group(kWorker);

  LayerCommand layer;
  TechniqueFlags layer_flags;
  std::string backend = "auto";
  CLI::App* layer_app = app.add_subcommand(
      "layer", "Quantize one linear layer: reads W and X, writes Wq (F32) with the figures in its "
               "metadata, prints a one-line JSON summary.");
  layer_app->add_option("--technique", layer.technique,
                        absl::StrCat("technique, any case: ", TechniqueNamesForHelp()))
      ->required();
  layer_app->add_option("--output", layer.output, "safetensors file to write (Wq, partition)");
  AddLayerFlags(layer_app, layer, layer_flags, backend);

  LayerCommand compare;
  TechniqueFlags compare_flags;
  std::string compare_backend = "auto";
  std::string techniques = QuantizingTechniques();
  bool compare_json = false;
  CLI::App* compare_app = app.add_subcommand(
      "compare", "Quantize one layer with several techniques and print a table of their figures; "
                 "each technique takes the given options its catalog row has.");
  compare_app->add_option("--techniques", techniques, "comma-separated list")->capture_default_str();
  compare_app->add_flag("--json", compare_json, "one JSON line per technique instead of a table");
  AddLayerFlags(compare_app, compare, compare_flags, compare_backend);

  MakeLayerCommand make;
  CLI::App* make_app = app.add_subcommand(
      "make-layer", "Write a synthetic layer case (W, X) with outlier channels and correlated inputs.");
  make_app->add_option("--output", make.output, "safetensors file to write")->required();
  make_app->add_option("--rows", make.rows, "rows of W (output features)")->capture_default_str();
  make_app->add_option("--cols", make.cols, "columns of W (input features)")->capture_default_str();
  make_app->add_option("--tokens", make.tokens, "rows of X (default 4·cols)");
  make_app->add_option("--seed", make.seed, "generator seed")->capture_default_str();

  MakeTinyCommand tiny;
  CLI::App* tiny_app = app.add_subcommand(
      "make-tiny", "Write a deterministic tiny random OPT checkpoint (DIR/model, GPT-2 tokenizer) and a "
                   "small corpus in the dataset layout (DIR/data), so the whole pipeline runs in seconds.");
  tiny_app->add_option("DIR", tiny.dir, "folder to write model/ and data/ into")->required();
  tiny_app->add_option("--blocks", tiny.blocks, "decoder blocks")->capture_default_str();
  tiny_app->add_option("--hidden", tiny.hidden, "hidden size")->capture_default_str();
  tiny_app->add_option("--heads", tiny.heads, "attention heads")->capture_default_str();
  tiny_app->add_option("--ffn", tiny.ffn, "MLP inner size")->capture_default_str();
  tiny_app->add_option("--positions", tiny.positions, "max_position_embeddings")->capture_default_str();
  tiny_app->add_option("--seed", tiny.seed, "weight generator seed")->capture_default_str();
  tiny_app->add_option("--assets", tiny.assets_dir, "binq's assets/ folder (default $BINQ_ASSETS_DIR or the source tree's)");

  TokenizeCommand tokenize;
  CLI::App* tokenize_app = app.add_subcommand(
      "tokenize", "Read all of stdin as one text and print its token ids on one line, separated by "
                  "spaces (no special tokens unless --add-bos).");
  tokenize_app->add_option("--tokenizer", tokenize.tokenizer_dir,
                           "checkpoint directory with vocab.json and merges.txt (GPT-2, OPT)")
      ->required();
  tokenize_app->add_flag("--add-bos", tokenize.add_bos, "prepend the tokenizer's BOS token (OPT: </s>, id 2)");

  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    return app.exit(e) == 0 ? kExitOk : kExitUsage;
  }
  if (threads > 0) at::set_num_threads(threads);

  if (worker_mode) {
    if (worker.job_id.empty() || worker.daemon.empty()) {
      std::cerr << "binq-run --worker: --job-id and --daemon are required\n";
      return kExitUsage;
    }
    return RunWorkerCommand(worker);
  }
  if (app.get_subcommands().empty()) {
    if (run.spec.model.empty() || run.spec.technique.empty()) {
      std::cerr << "binq-run: give MODEL DATASET TECHNIQUE, or a subcommand (see --help)\n";
      return kExitUsage;
    }
    if (!eval_datasets.empty()) {
      run.spec.eval_datasets = absl::StrSplit(eval_datasets, ',', absl::SkipWhitespace());
    }
    run.spec.save_model = !no_save_model;
    run.spec.save_packed = !no_save_packed;
    auto given = run_flags.Given();
    if (!given.ok()) {
      std::cerr << "binq-run: error: " << given.status().message() << "\n";
      return kExitUsage;
    }
    run.spec.technique_options = *std::move(given);
    return RunRunCommand(run);
  }

  if (*layer_app) {
    if (absl::Status s = ReadLayerFlags(layer, layer_flags, backend); !s.ok()) return Fail("layer", s);
    auto summary = RunLayerCommand(layer);
    if (!summary.ok()) return Fail("layer", summary.status());
    std::cout << summary->dump() << std::endl;
    return kExitOk;
  }
  if (*compare_app) {
    if (absl::Status s = ReadLayerFlags(compare, compare_flags, compare_backend); !s.ok()) {
      return Fail("compare", s);
    }
    const std::vector<std::string> names = absl::StrSplit(techniques, ',', absl::SkipEmpty());
    auto rows = RunCompareCommand(compare, names);
    if (!rows.ok()) return Fail("compare", rows.status());
    if (compare_json) {
      for (const auto& row : *rows) std::cout << row.dump() << "\n";
    } else {
      std::cout << FormatComparisonTable(*rows);
    }
    return kExitOk;
  }
  if (*tiny_app) {
    if (absl::Status s = RunMakeTinyCommand(tiny); !s.ok()) return Fail("make-tiny", s);
    std::cout << "wrote " << tiny.dir << "/model and " << tiny.dir << "/data\n"
              << "try: BINQ_DATA_DIR=" << tiny.dir << "/data binq-run " << tiny.dir
              << "/model wikitext2 CRB --seqlen 64 --nsamples 8\n";
    return kExitOk;
  }
  if (*tokenize_app) {
    std::ios::sync_with_stdio(false);
    if (absl::Status s = RunTokenizeCommand(tokenize, std::cin, std::cout); !s.ok()) return Fail("tokenize", s);
    return kExitOk;
  }
  if (absl::Status s = RunMakeLayerCommand(make); !s.ok()) return Fail("make-layer", s);
  std::cout << "wrote " << make.output << "\n";
  return kExitOk;
}

}  // namespace
}  // namespace binq::tools

int main(int argc, char** argv) {
  try {
    return binq::tools::Main(argc, argv);
  } catch (const std::exception& e) {
    std::cerr << "binq-run: internal error: " << e.what() << "\n";
    return binq::kExitFailure;
  }
}
