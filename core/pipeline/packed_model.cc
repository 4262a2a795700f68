#include "core/pipeline/packed_model.h"

#include <set>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/strip.h"
#include "core/base/status_macros.h"
#include "core/io/safetensors.h"
#include "core/torch/safetensors_torch.h"
#include "nlohmann/json.hpp"

namespace binq::core {
namespace {

constexpr char kFormatKey[] = "binq.format";
constexpr char kLayersKey[] = "binq.layers";
constexpr char kStorageKey[] = "binq.storage";

int64_t Bytes(const at::Tensor& t) { return t.defined() ? t.numel() * t.element_size() : 0; }

std::string LayerPrefix(const std::string& weight_name) {
  return std::string(absl::StripSuffix(weight_name, ".weight"));
}

}  // namespace

void PackedModelBuilder::AddPacked(const std::string& weight_name, PackedLayer layer) {
  packed_[weight_name] = std::move(layer);
}

void PackedModelBuilder::AddPlain(const std::string& name, at::Tensor tensor) {
  plain_.emplace_back(name, std::move(tensor));
}

PackedStorage PackedModelBuilder::storage() const {
  PackedStorage s;
  for (const auto& [name, layer] : packed_) {
    s.quantized_weights += layer.rows * layer.cols;
    s.packed_bytes += layer.bytes();
  }
  for (const auto& [name, tensor] : plain_) s.other_bytes += Bytes(tensor);
  return s;
}

absl::Status PackedModelBuilder::WriteFile(
    const std::string& path, const std::map<std::string, std::string>& extra_metadata) const {
  std::vector<std::pair<std::string, at::Tensor>> tensors;
  nlohmann::json layers = nlohmann::json::object();
  for (const auto& [weight_name, layer] : packed_) {
    for (auto& named : layer.Tensors(LayerPrefix(weight_name))) tensors.push_back(std::move(named));
    nlohmann::json entry;
    for (const auto& [key, value] : layer.Metadata()) entry[key] = value;
    layers[weight_name] = entry;
  }
  tensors.insert(tensors.end(), plain_.begin(), plain_.end());
  const PackedStorage s = storage();
  std::map<std::string, std::string> metadata = extra_metadata;
  metadata[kFormatKey] = "1";
  metadata[kLayersKey] = layers.dump();
  metadata[kStorageKey] = nlohmann::json{{"quantized_weights", s.quantized_weights},
                                         {"packed_bytes", s.packed_bytes},
                                         {"other_bytes", s.other_bytes},
                                         {"bits_per_quantized_weight", s.bits_per_quantized_weight()}}
                              .dump();
  return WriteTensors(path, tensors, metadata);
}

absl::StatusOr<std::vector<std::pair<std::string, at::Tensor>>> LoadPackedModel(
    const std::string& path) {
  BINQ_ASSIGN_OR_RETURN(std::unique_ptr<SafetensorsFile> file, SafetensorsFile::Open(path));
  const auto& metadata = file->metadata();
  auto corrupt = [&](absl::string_view what) {
    return absl::DataLossError(absl::StrCat(path, ": ", what));
  };
  const auto format = metadata.find(kFormatKey);
  if (format == metadata.end() || format->second != "1") {
    return corrupt("not a binq packed model (no binq.format \"1\" in the metadata)");
  }
  const auto layers_it = metadata.find(kLayersKey);
  if (layers_it == metadata.end()) return corrupt("no binq.layers in the metadata");
  nlohmann::json layers;
  try {  // nlohmann reports malformed input only by throwing
    layers = nlohmann::json::parse(layers_it->second);
  } catch (const nlohmann::json::exception& e) {
    return corrupt(absl::StrCat("binq.layers is not valid JSON: ", e.what()));
  }
  if (!layers.is_object()) return corrupt("binq.layers is not a JSON object");

  std::map<std::string, at::Tensor> out;
  std::set<std::string> used;
  auto get = [&](const std::string& name) -> at::Tensor {
    if (!file->Has(name)) return at::Tensor();
    auto t = ReadTensor(*file, name);
    if (!t.ok()) return at::Tensor();
    used.insert(name);
    return *t;
  };
  for (const auto& [weight_name, entry] : layers.items()) {
    if (!entry.is_object()) return corrupt(absl::StrCat("binq.layers['", weight_name, "'] is not an object"));
    std::map<std::string, std::string> layer_metadata;
    for (const auto& [key, value] : entry.items()) {
      if (!value.is_string()) return corrupt(absl::StrCat(weight_name, ": metadata '", key, "' is not a string"));
      layer_metadata[key] = value.get<std::string>();
    }
    auto layer = PackedLayerFromTensors(LayerPrefix(weight_name), layer_metadata, get);
    if (!layer.ok()) return WithContext(layer.status(), path);
    auto weight = UnpackLayer(*layer);
    if (!weight.ok()) return WithContext(weight.status(), absl::StrCat(path, ": ", weight_name));
    out[weight_name] = *std::move(weight);
  }
  for (const std::string& name : file->TensorNames()) {
    if (used.count(name) > 0) continue;
    BINQ_ASSIGN_OR_RETURN(at::Tensor t, ReadTensor(*file, name));
    out[name] = std::move(t);
  }
  return std::vector<std::pair<std::string, at::Tensor>>(out.begin(), out.end());
}

}  // namespace binq::core
