// FieldReader: typed access to the fields of one config.json object, every
// error an INVALID_ARGUMENT naming the field and the file. Shared by the
// family parsers (private to core/model_config).
#ifndef BINQ_CORE_MODEL_CONFIG_FIELD_READER_H_
#define BINQ_CORE_MODEL_CONFIG_FIELD_READER_H_

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/string_view.h"
#include "nlohmann/json.hpp"

namespace binq::core {

class FieldReader {
 public:
  using Json = nlohmann::json;

  // `prefix` names a nested object in messages ("rope_parameters.").
  FieldReader(const Json& json, const std::string& source, std::string prefix = "")
      : json_(&json), source_(&source), prefix_(std::move(prefix)) {}

  absl::Status Error(absl::string_view field, absl::string_view what) const {
    return absl::InvalidArgumentError(absl::StrCat(*source_, ": field '", prefix_, field, "' ", what));
  }

  // True when the key is there (even with null).
  bool Has(const char* field) const { return json_->find(field) != json_->end(); }

  // A present, non-null value, or nullptr.
  const Json* Find(const char* field) const {
    const auto it = json_->find(field);
    if (it == json_->end() || it->is_null()) return nullptr;
    return &*it;
  }

  // A nested reader over an object field; nullopt when absent or null.
  absl::StatusOr<std::optional<FieldReader>> Object(const char* field) const {
    const Json* j = Find(field);
    if (j == nullptr) return std::optional<FieldReader>();
    if (!j->is_object()) return Error(field, absl::StrCat("must be an object, got ", j->dump()));
    return std::optional<FieldReader>(FieldReader(*j, *source_, absl::StrCat(prefix_, field, ".")));
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
    absl::StatusOr<int64_t> v = Int(field, fallback);
    if (!v.ok()) return v.status();
    if (*v <= 0) return Error(field, absl::StrCat("must be positive, got ", *v));
    return *v;
  }

  // A JSON number (integer or not).
  absl::StatusOr<double> Double(const char* field, std::optional<double> fallback) const {
    const Json* j = Find(field);
    if (j == nullptr) {
      if (fallback.has_value()) return *fallback;
      return Error(field, "is missing");
    }
    if (!j->is_number()) return Error(field, absl::StrCat("must be a number, got ", j->dump()));
    return j->get<double>();
  }

  absl::StatusOr<double> PositiveDouble(const char* field, std::optional<double> fallback) const {
    absl::StatusOr<double> v = Double(field, fallback);
    if (!v.ok()) return v.status();
    if (!(*v > 0)) return Error(field, absl::StrCat("must be positive, got ", *v));
    return *v;
  }

  absl::StatusOr<std::optional<double>> OptionalPositiveDouble(const char* field) const {
    if (Find(field) == nullptr) return std::optional<double>();
    absl::StatusOr<double> v = PositiveDouble(field, std::nullopt);
    if (!v.ok()) return v.status();
    return std::optional<double>(*v);
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
    absl::StatusOr<int64_t> v = Int(field, std::nullopt);
    if (!v.ok()) return v.status();
    return std::optional<int64_t>(*v);
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

  // A list of strings; absent → nullopt.
  absl::StatusOr<std::optional<std::vector<std::string>>> OptionalStringList(const char* field) const {
    const Json* j = Find(field);
    if (j == nullptr) return std::optional<std::vector<std::string>>();
    if (!j->is_array()) return Error(field, absl::StrCat("must be a list of strings, got ", j->dump()));
    std::vector<std::string> out;
    for (const Json& e : *j) {
      if (!e.is_string()) return Error(field, absl::StrCat("must be a list of strings, got ", j->dump()));
      out.push_back(e.get<std::string>());
    }
    return std::optional<std::vector<std::string>>(std::move(out));
  }

 private:
  // Borrowed: the parsed config and its name outlive every reader.
  const Json* json_;
  const std::string* source_;
  std::string prefix_;
};

}  // namespace binq::core

#endif  // BINQ_CORE_MODEL_CONFIG_FIELD_READER_H_
