#include "tools/binq_run/layer_command.h"

#include <chrono>
#include <map>
#include <set>
#include <variant>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "core/base/technique_catalog.h"
#include "core/base/status_macros.h"
#include "core/io/safetensors.h"
#include "core/quant/calibration.h"
#include "core/torch/safetensors_torch.h"
#include "core/torch/torch_call.h"

namespace binq::tools {
namespace {

using nlohmann::json;

struct LayerInput {
  at::Tensor weight;
  at::Tensor inputs;
};

absl::StatusOr<at::Tensor> ReadMatrix(const core::SafetensorsFile& file, const char* name,
                                      const char* shape_hint) {
  if (!file.Has(name)) {
    return absl::NotFoundError(
        absl::StrCat(file.path(), ": missing tensor '", name, "' ", shape_hint));
  }
  BINQ_ASSIGN_OR_RETURN(at::Tensor t, core::ReadTensor(file, name));
  if (t.scalar_type() != at::kFloat && t.scalar_type() != at::kHalf &&
      t.scalar_type() != at::kBFloat16) {
    return absl::InvalidArgumentError(absl::StrCat(file.path(), ": tensor '", name,
                                                   "' must be F32, F16 or BF16, got ",
                                                   c10::toString(t.scalar_type())));
  }
  if (t.dim() != 2) {
    return absl::InvalidArgumentError(absl::StrCat(file.path(), ": tensor '", name, "' must be ",
                                                   shape_hint, ", got rank ", t.dim()));
  }
  if (t.numel() == 0) {
    return absl::InvalidArgumentError(absl::StrCat(file.path(), ": tensor '", name, "' is empty"));
  }
  if (!t.isfinite().all().item<bool>()) {
    return absl::DataLossError(absl::StrCat(file.path(), ": tensor '", name, "' has ",
                                            (~t.isfinite()).sum().item<int64_t>(),
                                            " non-finite (NaN/Inf) values"));
  }
  return t;
}

absl::StatusOr<LayerInput> ReadLayerInput(const std::string& path) {
  BINQ_ASSIGN_OR_RETURN(std::unique_ptr<core::SafetensorsFile> file, core::SafetensorsFile::Open(path));
  LayerInput in;
  BINQ_ASSIGN_OR_RETURN(in.weight, ReadMatrix(*file, "W", "[rows, cols]"));
  BINQ_ASSIGN_OR_RETURN(in.inputs, ReadMatrix(*file, "X", "[n, cols] (calibration inputs)"));
  if (in.inputs.size(1) != in.weight.size(1)) {
    return absl::InvalidArgumentError(absl::StrCat(
        path, ": X has ", in.inputs.size(1), " columns but W has ", in.weight.size(1),
        " (X rows are inputs to the layer: [n, cols of W])"));
  }
  return in;
}

// The options `technique` runs with: the given ones through its catalog row,
// then the command's run-time knobs.
absl::StatusOr<core::QuantOptions> OptionsFor(const LayerCommand& c, const std::string& technique,
                                              const OptionValues& given) {
  BINQ_ASSIGN_OR_RETURN(core::QuantOptions q, core::MakeQuantOptions(technique, given));
  q.up_lim = c.knobs.up_lim;
  q.disable_gptq = c.knobs.disable_gptq;
  q.skip_refinement = c.knobs.skip_refinement;
  q.symmetric_damp = c.knobs.symmetric_damp;
  q.max_damping_retries = c.knobs.max_damping_retries;
  q.backend = c.knobs.backend;
  BINQ_RETURN_IF_ERROR(core::ValidateOptions(q, technique));
  return q;
}

json Summary(const LayerCommand& c, const core::Technique& technique, const core::QuantOptions& options,
             const at::Tensor& weight, const core::LayerResult& r, double hessian_seconds) {
  json j;
  j["technique"] = technique.name();
  j["rows"] = weight.size(0);
  j["cols"] = weight.size(1);
  j["device"] = c.device;
  j["backend"] = r.backend;
  for (const auto& [key, value] : options.technique_options.values()) {  // what it ran with
    j[key] = std::visit([](const auto& v) { return json(v); }, value);
  }
  j["relative_output_error"] = r.relative_output_error;
  j["loss"] = r.loss;
  j["salient_columns"] = r.salient_columns;
  j["salient_per_block"] = r.salient_per_block;
  j["wbits_paper"] = r.wbits_paper;
  j["storage_bits"] = r.storage_bits;
  j["dead_columns"] = r.dead_columns;
  j["damping_retries"] = r.damping_retries;
  j["search_fallbacks"] = r.search_fallbacks;
  j["seconds"] = {{"hessian", hessian_seconds}, {"factor", r.factor_seconds},
                  {"search", r.search_seconds}, {"binarize", r.binarize_seconds},
                  {"solver", r.solver_seconds}, {"quantize", r.total_seconds}};
  return j;
}

absl::StatusOr<json> QuantizeOne(const LayerCommand& c, const core::Technique& technique,
                                 const core::QuantOptions& options, const LayerInput& in,
                                 const at::Tensor& hessian, double hessian_seconds) {
  BINQ_ASSIGN_OR_RETURN(core::LayerResult r,
                        technique.Quantize(core::LayerProblem{in.weight, hessian}, options));
  return Summary(c, technique, options, in.weight, r, hessian_seconds);
}

absl::StatusOr<at::Device> ParseDevice(const std::string& name) {
  return core::TorchCall("device", [&]() -> absl::StatusOr<at::Device> {
    const at::Device device(name);
    if (device.is_cuda() && !at::hasCUDA()) {
      return absl::FailedPreconditionError(
          absl::StrCat("--device ", name, ": this machine has no usable CUDA device"));
    }
    if (!device.is_cpu() && !device.is_cuda()) {
      return absl::InvalidArgumentError(absl::StrCat("--device: expected cpu or cuda, got ", name));
    }
    return device;
  });
}

// Loads the case onto the device and accumulates the Hessian once.
absl::StatusOr<std::pair<LayerInput, at::Tensor>> Prepare(const LayerCommand& c, double* seconds) {
  BINQ_ASSIGN_OR_RETURN(const at::Device device, ParseDevice(c.device));
  BINQ_ASSIGN_OR_RETURN(LayerInput in, ReadLayerInput(c.input));
  BINQ_RETURN_IF_ERROR(core::TorchCall("moving the layer to the device", [&] {
    in.weight = in.weight.to(device);
    in.inputs = in.inputs.to(device);
  }));
  const auto start = std::chrono::steady_clock::now();
  BINQ_ASSIGN_OR_RETURN(at::Tensor hessian, core::HessianFromInputs(in.inputs, c.seqlen));
  *seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  return std::make_pair(in, hessian);
}

}  // namespace

absl::StatusOr<json> RunLayerCommand(const LayerCommand& c) {
  BINQ_ASSIGN_OR_RETURN(const core::Technique* technique,
                        core::TechniqueRegistry::Global().Find(c.technique));
  BINQ_ASSIGN_OR_RETURN(const core::QuantOptions options,
                        OptionsFor(c, technique->name(), c.technique_options));
  double hessian_seconds = 0;
  BINQ_ASSIGN_OR_RETURN(auto prepared, Prepare(c, &hessian_seconds));
  const auto& [in, hessian] = prepared;
  BINQ_ASSIGN_OR_RETURN(core::LayerResult r,
                        technique->Quantize(core::LayerProblem{in.weight, hessian}, options));
  json summary = Summary(c, *technique, options, in.weight, r, hessian_seconds);
  if (!c.output.empty()) {
    std::map<std::string, std::string> metadata;
    for (const auto& [key, value] : summary.items()) {
      metadata[key] = value.is_string() ? value.get<std::string>() : value.dump();
    }
    metadata["format"] = "binq.layer.v1";
    std::vector<std::pair<std::string, at::Tensor>> tensors = {{"Wq", r.quantized}};
    if (r.partition.defined()) tensors.emplace_back("partition", r.partition);
    BINQ_RETURN_IF_ERROR(core::WriteTensors(c.output, tensors, metadata));
    summary["output"] = c.output;
  }
  return summary;
}

absl::StatusOr<std::vector<json>> RunCompareCommand(const LayerCommand& c,
                                                    const std::vector<std::string>& names) {
  std::vector<std::pair<const core::Technique*, core::QuantOptions>> runs;
  std::set<std::string> used;  // given options some technique has
  for (const std::string& name : names) {
    BINQ_ASSIGN_OR_RETURN(const core::Technique* t, core::TechniqueRegistry::Global().Find(name));
    BINQ_ASSIGN_OR_RETURN(const TechniqueEntry* entry, FindTechniqueEntry(t->name()));
    OptionValues own;
    for (const auto& [key, value] : c.technique_options) {
      if (entry->FindOption(key) == nullptr) continue;
      own[key] = value;
      used.insert(key);
    }
    BINQ_ASSIGN_OR_RETURN(core::QuantOptions options, OptionsFor(c, t->name(), own));
    runs.emplace_back(t, std::move(options));
  }
  for (const auto& [key, value] : c.technique_options) {
    if (used.count(key) == 0) {
      return absl::InvalidArgumentError(absl::StrCat(key, ": not an option of any of ",
                                                     absl::StrJoin(names, ", ")));
    }
  }
  double hessian_seconds = 0;
  BINQ_ASSIGN_OR_RETURN(auto prepared, Prepare(c, &hessian_seconds));
  std::vector<json> rows;
  for (const auto& [t, options] : runs) {
    BINQ_ASSIGN_OR_RETURN(json row, QuantizeOne(c, *t, options, prepared.first, prepared.second,
                                                hessian_seconds));
    rows.push_back(std::move(row));
  }
  return rows;
}

}  // namespace binq::tools
