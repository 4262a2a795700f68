#include "core/pipeline/config_dtype.h"

#include "absl/strings/str_cat.h"
#include "core/base/status_macros.h"
#include "core/model_config/model_config.h"
#include "core/pipeline/output_dir.h"
#include "nlohmann/json.hpp"

namespace binq::core {

absl::StatusOr<std::string> ConfigDTypeName(at::ScalarType dtype) {
  switch (dtype) {
    case at::kHalf: return std::string("float16");
    case at::kBFloat16: return std::string("bfloat16");
    case at::kFloat: return std::string("float32");
    default:
      return absl::InvalidArgumentError(absl::StrCat("dtype ", c10::toString(dtype), " has no config.json name"));
  }
}

absl::Status StampConfigDType(const std::string& config_path, at::ScalarType dtype) {
  BINQ_ASSIGN_OR_RETURN(const std::string name, ConfigDTypeName(dtype));
  BINQ_ASSIGN_OR_RETURN(const ConfigText config, ReadConfigText(config_path));
  using Json = nlohmann::ordered_json;  // keeps the file's key order
  Json json;
  try {
    json = Json::parse(config.text);
  } catch (const Json::exception& e) {  // nlohmann reports only by throwing
    return absl::InvalidArgumentError(absl::StrCat(config.file, ": not valid JSON: ", e.what()));
  }
  if (!json.is_object()) return absl::InvalidArgumentError(absl::StrCat(config.file, ": not a JSON object"));
  json["dtype"] = name;
  if (json.contains("torch_dtype")) json["torch_dtype"] = name;
  return WriteTextFile(config.file, json.dump(2) + "\n");
}

}  // namespace binq::core
