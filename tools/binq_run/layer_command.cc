#include "tools/binq_run/layer_command.h"

#include <chrono>
#include <map>

#include "absl/strings/str_cat.h"
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

json Summary(const LayerCommand& c, const core::Technique& technique, const at::Tensor& weight,
             const core::LayerResult& r, double hessian_seconds) {
  json j;
  j["technique"] = technique.name();
  j["rows"] = weight.size(0);
  j["cols"] = weight.size(1);
  j["device"] = c.device;
  j["backend"] = r.backend;
  j["salient_metric"] = core::SalientMetricName(c.options.salient_metric);
  j["blocksize"] = c.options.blocksize;
  j["percdamp"] = c.options.percdamp;
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
  if (technique.name() == "CRB") j["crb_variant"] = core::CrbVariantName(c.options.crb_variant);
  if (technique.name() == "rtn") j["wbits"] = c.options.wbits;
  return j;
}

absl::StatusOr<json> QuantizeOne(const LayerCommand& c, const core::Technique& technique,
                                 const LayerInput& in, const at::Tensor& hessian,
                                 double hessian_seconds) {
  BINQ_ASSIGN_OR_RETURN(core::LayerResult r,
                        technique.Quantize(core::LayerProblem{in.weight, hessian}, c.options));
  return Summary(c, technique, in.weight, r, hessian_seconds);
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
  BINQ_RETURN_IF_ERROR(core::ValidateOptions(c.options));
  double hessian_seconds = 0;
  BINQ_ASSIGN_OR_RETURN(auto prepared, Prepare(c, &hessian_seconds));
  const auto& [in, hessian] = prepared;
  BINQ_ASSIGN_OR_RETURN(core::LayerResult r,
                        technique->Quantize(core::LayerProblem{in.weight, hessian}, c.options));
  json summary = Summary(c, *technique, in.weight, r, hessian_seconds);
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
  std::vector<const core::Technique*> techniques;
  for (const std::string& name : names) {
    BINQ_ASSIGN_OR_RETURN(const core::Technique* t, core::TechniqueRegistry::Global().Find(name));
    techniques.push_back(t);
  }
  BINQ_RETURN_IF_ERROR(core::ValidateOptions(c.options));
  double hessian_seconds = 0;
  BINQ_ASSIGN_OR_RETURN(auto prepared, Prepare(c, &hessian_seconds));
  std::vector<json> rows;
  for (const core::Technique* t : techniques) {
    BINQ_ASSIGN_OR_RETURN(json row, QuantizeOne(c, *t, prepared.first, prepared.second, hessian_seconds));
    rows.push_back(std::move(row));
  }
  return rows;
}

}  // namespace binq::tools
