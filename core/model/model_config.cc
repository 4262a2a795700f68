#include "core/model/model_config.h"

#include <cerrno>
#include <cstring>
#include <fstream>
#include <sstream>
#include <sys/stat.h>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "core/base/status_macros.h"
#include "nlohmann/json.hpp"

namespace binq::core {
namespace {

using Json = nlohmann::json;

// Reads typed fields of one config object, every error naming the field and
// the file.
class FieldReader {
 public:
  FieldReader(const Json& json, const std::string& source) : json_(json), source_(source) {}

  absl::Status Error(absl::string_view field, absl::string_view what) const {
    return absl::InvalidArgumentError(absl::StrCat(source_, ": field '", field, "' ", what));
  }

  // A present, non-null value, or nullptr.
  const Json* Find(const char* field) const {
    const auto it = json_.find(field);
    if (it == json_.end() || it->is_null()) return nullptr;
    return &*it;
  }

  absl::StatusOr<int64_t> Int(const char* field, std::optional<int64_t> fallback) const {
    const Json* j = Find(field);
    if (j == nullptr) {
      if (fallback.has_value()) return *fallback;
      return Error(field, "is missing");
    }
    if (!j->is_number_integer()) return Error(field, absl::StrCat("must be an integer, got ", j->dump()));
    if (j->is_number_unsigned() && j->get<uint64_t>() > static_cast<uint64_t>(INT64_MAX)) {
      return Error(field, absl::StrCat("is out of range: ", j->dump()));
    }
    return j->get<int64_t>();
  }

  absl::StatusOr<int64_t> PositiveInt(const char* field, std::optional<int64_t> fallback) const {
    BINQ_ASSIGN_OR_RETURN(const int64_t v, Int(field, fallback));
    if (v <= 0) return Error(field, absl::StrCat("must be positive, got ", v));
    return v;
  }

  absl::StatusOr<bool> Bool(const char* field, bool fallback) const {
    const Json* j = Find(field);
    if (j == nullptr) return fallback;
    if (!j->is_boolean()) return Error(field, absl::StrCat("must be true or false, got ", j->dump()));
    return j->get<bool>();
  }

  absl::StatusOr<std::string> String(const char* field, std::optional<std::string> fallback) const {
    const Json* j = Find(field);
    if (j == nullptr) {
      if (fallback.has_value()) return *fallback;
      return Error(field, "is missing");
    }
    if (!j->is_string()) return Error(field, absl::StrCat("must be a string, got ", j->dump()));
    return j->get<std::string>();
  }

  absl::StatusOr<std::optional<int64_t>> OptionalInt(const char* field) const {
    if (Find(field) == nullptr) return std::optional<int64_t>();
    BINQ_ASSIGN_OR_RETURN(const int64_t v, Int(field, std::nullopt));
    return std::optional<int64_t>(v);
  }

  // An int or a list of ints (eos_token_id); absent → empty.
  absl::StatusOr<std::vector<int64_t>> IntOrIntList(const char* field) const {
    const Json* j = Find(field);
    if (j == nullptr) return std::vector<int64_t>();
    if (j->is_number_integer()) return std::vector<int64_t>{j->get<int64_t>()};
    if (j->is_array()) {
      std::vector<int64_t> out;
      for (const Json& e : *j) {
        if (!e.is_number_integer()) {
          return Error(field, absl::StrCat("must be an integer or a list of integers, got ", j->dump()));
        }
        out.push_back(e.get<int64_t>());
      }
      return out;
    }
    return Error(field, absl::StrCat("must be an integer or a list of integers, got ", j->dump()));
  }

 private:
  const Json& json_;
  const std::string& source_;
};

// Activations binq implements exactly as transformers' ACT2FN does with a
// single ATen op (relu → nn.ReLU, gelu → exact-erf GELU, silu → nn.SiLU).
constexpr const char* kActivations[] = {"relu", "gelu", "silu"};

absl::Status ParseOpt(const FieldReader& r, ModelConfig& c) {
  BINQ_ASSIGN_OR_RETURN(c.vocab_size, r.PositiveInt("vocab_size", std::nullopt));
  BINQ_ASSIGN_OR_RETURN(c.hidden_size, r.PositiveInt("hidden_size", std::nullopt));
  BINQ_ASSIGN_OR_RETURN(c.num_hidden_layers, r.PositiveInt("num_hidden_layers", std::nullopt));
  BINQ_ASSIGN_OR_RETURN(c.num_attention_heads, r.PositiveInt("num_attention_heads", std::nullopt));
  BINQ_ASSIGN_OR_RETURN(c.ffn_dim, r.PositiveInt("ffn_dim", std::nullopt));
  BINQ_ASSIGN_OR_RETURN(c.max_position_embeddings, r.PositiveInt("max_position_embeddings", std::nullopt));
  BINQ_ASSIGN_OR_RETURN(c.word_embed_proj_dim, r.PositiveInt("word_embed_proj_dim", c.hidden_size));
  BINQ_ASSIGN_OR_RETURN(c.do_layer_norm_before, r.Bool("do_layer_norm_before", true));
  BINQ_ASSIGN_OR_RETURN(c.layer_norm_elementwise_affine, r.Bool("layer_norm_elementwise_affine", true));
  BINQ_ASSIGN_OR_RETURN(c.enable_bias, r.Bool("enable_bias", true));
  BINQ_ASSIGN_OR_RETURN(c.remove_final_layer_norm, r.Bool("_remove_final_layer_norm", false));
  BINQ_ASSIGN_OR_RETURN(c.tie_word_embeddings, r.Bool("tie_word_embeddings", true));
  BINQ_ASSIGN_OR_RETURN(c.activation_function, r.String("activation_function", std::string("relu")));
  // OPTConfig's token defaults (pad 1, bos 2, eos 2) apply only when the key
  // is absent; an explicit null means "none".
  BINQ_ASSIGN_OR_RETURN(c.bos_token_id, r.OptionalInt("bos_token_id"));
  BINQ_ASSIGN_OR_RETURN(c.pad_token_id, r.OptionalInt("pad_token_id"));
  BINQ_ASSIGN_OR_RETURN(c.eos_token_ids, r.IntOrIntList("eos_token_id"));
  return absl::OkStatus();
}

}  // namespace

std::vector<std::string> SupportedModelTypes() { return {"opt"}; }

absl::StatusOr<ModelConfig> ParseModelConfig(absl::string_view json_text, const std::string& source) {
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
  if (c.model_type == "opt") {
    BINQ_RETURN_IF_ERROR(ParseOpt(r, c));
    if (json.find("bos_token_id") == json.end()) c.bos_token_id = 2;
    if (json.find("pad_token_id") == json.end()) c.pad_token_id = 1;
    if (json.find("eos_token_id") == json.end()) c.eos_token_ids = {2};
  } else {
    return r.Error("model_type", absl::StrCat("is '", c.model_type, "', which binq does not support (supported: ",
                                              absl::StrJoin(SupportedModelTypes(), ", "), ")"));
  }

  // Common checks.
  if (c.hidden_size % c.num_attention_heads != 0) {
    return r.Error("num_attention_heads", absl::StrCat("(", c.num_attention_heads,
                                                       ") must divide hidden_size (", c.hidden_size, ")"));
  }
  bool known_activation = false;
  for (const char* a : kActivations) known_activation |= (c.activation_function == a);
  if (!known_activation) {
    return r.Error("activation_function", absl::StrCat("is '", c.activation_function, "', which binq does not support (supported: ",
                                                       absl::StrJoin(kActivations, ", "), ")"));
  }
  // transformers ≥ 5 writes "dtype"; older versions "torch_dtype".
  BINQ_ASSIGN_OR_RETURN(c.torch_dtype, r.String("dtype", std::string()));
  if (c.torch_dtype.empty()) {
    BINQ_ASSIGN_OR_RETURN(c.torch_dtype, r.String("torch_dtype", std::string()));
  }
  return c;
}

absl::StatusOr<ModelConfig> ReadModelConfig(const std::string& path) {
  std::string file = path;
  struct stat st;
  if (::stat(path.c_str(), &st) == 0 && S_ISDIR(st.st_mode)) file = path + "/config.json";
  std::ifstream in(file, std::ios::binary);
  if (!in) {
    const int err = errno;
    if (err == ENOENT) return absl::NotFoundError(absl::StrCat(file, ": no such file"));
    return absl::UnavailableError(absl::StrCat(file, ": cannot open: ", std::strerror(err)));
  }
  std::ostringstream text;
  text << in.rdbuf();
  if (in.bad()) return absl::UnavailableError(absl::StrCat(file, ": read failed"));
  return ParseModelConfig(text.str(), file);
}

}  // namespace binq::core
