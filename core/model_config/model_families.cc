#include "core/model_config/model_families.h"

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "core/base/status_macros.h"
#include "core/model_config/family_parsers.h"
#include "core/model_config/model_config.h"

namespace binq::core {

const std::vector<ModelFamily>& ModelFamilies() {
  // A family is added here and in core/model (docs/adding-a-model-family.md).
  static const std::vector<ModelFamily>* const kFamilies = new std::vector<ModelFamily>{
      {"gemma3_text", ParseGemma3TextConfig}, {"llama", ParseLlamaConfig}, {"mistral", ParseMistralConfig},
      {"opt", ParseOptConfig},                {"qwen2", ParseQwen2Config}, {"qwen3", ParseQwen3Config},
  };
  return *kFamilies;
}

std::vector<std::string> ModelFamilyTypes() {
  std::vector<std::string> types;
  for (const ModelFamily& f : ModelFamilies()) types.push_back(f.model_type);
  return types;
}

absl::Status CheckModelType(absl::string_view model_type) {
  for (const ModelFamily& f : ModelFamilies()) {
    if (model_type == f.model_type) return absl::OkStatus();
  }
  return absl::InvalidArgumentError(absl::StrCat("model_type '", model_type,
                                                 "' is not a family binq supports (supported: ",
                                                 absl::StrJoin(ModelFamilyTypes(), ", "), ")"));
}

absl::Status CheckConfigModelType(const std::string& path) {
  BINQ_ASSIGN_OR_RETURN(const ConfigText config, ReadConfigText(path));
  using Json = nlohmann::json;
  Json json;
  try {
    json = Json::parse(config.text);
  } catch (const Json::exception& e) {  // nlohmann reports only by throwing
    return absl::InvalidArgumentError(absl::StrCat(config.file, ": not valid JSON: ", e.what()));
  }
  if (!json.is_object()) return absl::InvalidArgumentError(absl::StrCat(config.file, ": not a JSON object"));
  const FieldReader r(json, config.file);
  BINQ_ASSIGN_OR_RETURN(const std::string model_type, r.String("model_type", std::nullopt));
  return WithContext(CheckModelType(model_type), config.file);
}

}  // namespace binq::core
