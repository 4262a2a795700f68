#include "core/model_config/model_config.h"

#include <cerrno>
#include <cstring>
#include <fstream>
#include <sstream>
#include <sys/stat.h>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "core/base/status_macros.h"
#include "core/model_config/family_parsers.h"
#include "core/model_config/field_reader.h"
#include "core/model_config/model_families.h"
#include "nlohmann/json.hpp"

namespace binq::core {

absl::StatusOr<ModelConfig> ParseModelConfig(absl::string_view json_text, const std::string& source) {
  using Json = nlohmann::json;
  Json json;
  try {
    json = Json::parse(json_text.begin(), json_text.end());
  } catch (const Json::exception& e) {  // nlohmann reports only by throwing
    return absl::InvalidArgumentError(absl::StrCat(source, ": not valid JSON: ", e.what()));
  }
  if (!json.is_object()) {
    return absl::InvalidArgumentError(absl::StrCat(source, ": not a JSON object"));
  }
  const FieldReader r(json, source);
  ModelConfig c;
  c.source = source;
  BINQ_ASSIGN_OR_RETURN(c.model_type, r.String("model_type", std::nullopt));
  const ModelFamily* family = nullptr;
  for (const ModelFamily& f : ModelFamilies()) {
    if (c.model_type == f.model_type) family = &f;
  }
  if (family == nullptr) {
    return r.Error("model_type", absl::StrCat("is '", c.model_type, "', which binq does not support (supported: ",
                                              absl::StrJoin(ModelFamilyTypes(), ", "), ")"));
  }
  BINQ_RETURN_IF_ERROR(family->parse(r, c));
  // transformers ≥ 5 writes "dtype"; older versions "torch_dtype".
  BINQ_ASSIGN_OR_RETURN(c.torch_dtype, r.String("dtype", std::string()));
  if (c.torch_dtype.empty()) {
    BINQ_ASSIGN_OR_RETURN(c.torch_dtype, r.String("torch_dtype", std::string()));
  }
  return c;
}

absl::StatusOr<ConfigText> ReadConfigText(const std::string& path) {
  ConfigText out;
  out.file = path;
  struct stat st;
  if (::stat(path.c_str(), &st) == 0 && S_ISDIR(st.st_mode)) out.file = path + "/config.json";
  std::ifstream in(out.file, std::ios::binary);
  if (!in) {
    const int err = errno;
    if (err == ENOENT) return absl::NotFoundError(absl::StrCat(out.file, ": no such file"));
    return absl::UnavailableError(absl::StrCat(out.file, ": cannot open: ", std::strerror(err)));
  }
  std::ostringstream text;
  text << in.rdbuf();
  if (in.bad()) return absl::UnavailableError(absl::StrCat(out.file, ": read failed"));
  out.text = text.str();
  return out;
}

absl::StatusOr<ModelConfig> ReadModelConfig(const std::string& path) {
  BINQ_ASSIGN_OR_RETURN(const ConfigText config, ReadConfigText(path));
  return ParseModelConfig(config.text, config.file);
}

}  // namespace binq::core
