#include "core/base/job_spec.h"

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <functional>
#include <map>
#include <variant>

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"

namespace binq {
namespace {

using Json = nlohmann::json;

absl::Status Invalid(absl::string_view field, absl::string_view what) {
  return absl::InvalidArgumentError(absl::StrCat(field, ": ", what));
}

absl::Status CheckDataset(absl::string_view field, const std::string& name) {
  if (name.empty()) return Invalid(field, "must name a dataset (wikitext2, ptb, c4 or a text file path)");
  if (IsBuiltinDataset(name)) return absl::OkStatus();
  // Anything else must look like a path: a custom plain-text dataset.
  if (name.find('/') == std::string::npos && name.find('.') == std::string::npos) {
    return Invalid(field, absl::StrCat("unknown dataset '", name, "' (known: ",
                                       absl::StrJoin(BuiltinDatasets(), ", "),
                                       ", or a path to a plain text file)"));
  }
  return absl::OkStatus();
}

// One JSON field: how to read it into the spec and write it out.
struct Field {
  std::function<absl::Status(const Json&, JobSpec&)> read;
  std::function<Json(const JobSpec&)> write;
};

template <typename T>
Field Member(const char* key, T JobSpec::*member) {
  return Field{
      [key, member](const Json& j, JobSpec& spec) -> absl::Status {
        try {
          if constexpr (std::is_same_v<T, bool>) {
            if (!j.is_boolean()) return Invalid(key, "must be true or false");
          } else if constexpr (std::is_integral_v<T>) {
            if (!j.is_number_integer()) return Invalid(key, "must be an integer");
            if constexpr (std::is_unsigned_v<T>) {
              if (j.is_number_integer() && !j.is_number_unsigned() && j.get<int64_t>() < 0) {
                return Invalid(key, "must be ≥ 0");
              }
            }
          } else if constexpr (std::is_floating_point_v<T>) {
            if (!j.is_number()) return Invalid(key, "must be a number");
          } else if constexpr (std::is_same_v<T, std::string>) {
            if (!j.is_string()) return Invalid(key, "must be a string");
          } else {
            if (!j.is_array()) return Invalid(key, "must be a list of strings");
            for (const Json& e : j) {
              if (!e.is_string()) return Invalid(key, "must be a list of strings");
            }
          }
          spec.*member = j.get<T>();
        } catch (const Json::exception& e) {  // nlohmann reports only by throwing
          return Invalid(key, e.what());
        }
        return absl::OkStatus();
      },
      [member](const JobSpec& spec) { return Json(spec.*member); }};
}

// The type of `key` wherever the catalog defines it; ranges are checked later,
// against the job's technique (ValidateJobSpec).
absl::Status CheckCatalogType(const std::string& key, const Json& j) {
  for (const auto& [k, option] : AllCatalogOptions()) {
    if (k != NormalizeOptionKey(key)) continue;
    switch (option.schema->type) {
      case OptionType::kBool:
        return j.is_boolean() ? absl::OkStatus() : Invalid(key, "must be true or false");
      case OptionType::kEnum:
        return j.is_string() ? absl::OkStatus() : Invalid(key, "must be a string");
      case OptionType::kInt:
        return j.is_number() ? absl::OkStatus() : Invalid(key, "must be an integer");
      case OptionType::kDouble:
        return j.is_number() ? absl::OkStatus() : Invalid(key, "must be a number");
    }
  }
  return absl::OkStatus();
}

absl::StatusOr<OptionValue> OptionFromJson(const std::string& key, const Json& j) {
  if (absl::Status s = CheckCatalogType(key, j); !s.ok()) return s;
  if (j.is_boolean()) return OptionValue(j.get<bool>());
  if (j.is_number_integer()) {
    if (j.is_number_unsigned() && j.get<uint64_t>() > static_cast<uint64_t>(INT64_MAX)) {
      return Invalid(key, "is too large");
    }
    return OptionValue(j.get<int64_t>());
  }
  if (j.is_number_float()) return OptionValue(j.get<double>());
  if (j.is_string()) return OptionValue(j.get<std::string>());
  return Invalid(key, "must be a number, true/false or a string");
}

Json OptionToJson(const OptionValue& value) {
  return std::visit([](const auto& v) { return Json(v); }, value);
}

absl::Status ReadTechniqueOptions(const Json& j, JobSpec& spec) {
  if (!j.is_object()) return Invalid("technique_options", "must be an object of option: value");
  for (const auto& [key, value] : j.items()) {
    auto v = OptionFromJson(key, value);
    if (!v.ok()) return v.status();
    spec.technique_options[key] = *std::move(v);
  }
  return absl::OkStatus();
}

Json WriteTechniqueOptions(const JobSpec& spec) {
  Json j = Json::object();
  for (const auto& [key, value] : spec.technique_options) j[key] = OptionToJson(value);
  return j;
}

bool IsLegacyOptionKey(const std::string& key) {
  const auto& keys = LegacyOptionKeys();
  return std::find(keys.begin(), keys.end(), key) != keys.end();
}

const std::map<std::string, Field>& Fields() {
  static const auto* const kFields = new std::map<std::string, Field>{
      {"model", Member("model", &JobSpec::model)},
      {"technique", Member("technique", &JobSpec::technique)},
      {"dataset", Member("dataset", &JobSpec::dataset)},
      {"eval_datasets", Member("eval_datasets", &JobSpec::eval_datasets)},
      {"technique_options", Field{ReadTechniqueOptions, WriteTechniqueOptions}},
      {"nsamples", Member("nsamples", &JobSpec::nsamples)},
      {"seqlen", Member("seqlen", &JobSpec::seqlen)},
      {"seed", Member("seed", &JobSpec::seed)},
      {"device", Member("device", &JobSpec::device)},
      {"dtype", Member("dtype", &JobSpec::dtype)},
      {"save_model", Member("save_model", &JobSpec::save_model)},
      {"save_packed", Member("save_packed", &JobSpec::save_packed)},
      {"priority", Member("priority", &JobSpec::priority)},
      {"user", Member("user", &JobSpec::user)},
      {"request_id", Member("request_id", &JobSpec::request_id)},
  };
  return *kFields;
}

}  // namespace

const std::vector<std::string>& BuiltinDatasets() {
  static const auto* const kNames = new std::vector<std::string>{"wikitext2", "ptb", "c4"};
  return *kNames;
}

bool IsBuiltinDataset(absl::string_view name) {
  const auto& names = BuiltinDatasets();
  return std::find(names.begin(), names.end(), name) != names.end();
}

std::vector<std::string> KnownTechniques() {
  std::vector<std::string> names;
  for (const TechniqueEntry& e : TechniqueCatalog()) names.push_back(e.name);
  return names;
}

absl::StatusOr<std::string> CanonicalTechnique(absl::string_view name) {
  auto entry = FindTechniqueEntry(name);
  if (!entry.ok()) return entry.status();
  return (*entry)->name;
}

absl::StatusOr<JobSpec> ResolveTechnique(JobSpec spec) {
  if (spec.technique.empty()) return Invalid("technique", "must be given");
  auto options = TechniqueOptions::Resolve(spec.technique, spec.technique_options);
  if (!options.ok()) return options.status();
  spec.technique = options->technique();
  spec.technique_options = options->values();
  return spec;
}

absl::Status ValidateJobSpec(const JobSpec& spec) {
  if (spec.model.empty()) return Invalid("model", "must name a model directory or hub id");
  if (absl::Status s = ResolveTechnique(spec).status(); !s.ok()) return s;
  if (absl::Status s = CheckDataset("dataset", spec.dataset); !s.ok()) return s;
  for (const std::string& d : spec.eval_datasets) {
    if (absl::Status s = CheckDataset("eval_datasets", d); !s.ok()) return s;
  }
  if (spec.nsamples < 1) return Invalid("nsamples", absl::StrCat("must be ≥ 1, got ", spec.nsamples));
  if (spec.nsamples > 100000) {
    return Invalid("nsamples", absl::StrCat("must be ≤ 100000, got ", spec.nsamples));
  }
  if (spec.seqlen < 0 || spec.seqlen == 1) {
    return Invalid("seqlen", absl::StrCat("must be ≥ 2 (or 0: the model's maximum), got ", spec.seqlen));
  }
  if (spec.seqlen > (1 << 20)) {
    return Invalid("seqlen", absl::StrCat("must be ≤ 1048576, got ", spec.seqlen));
  }
  if (spec.device != "auto" && spec.device != "cpu" && spec.device != "cuda") {
    return Invalid("device", absl::StrCat("must be auto, cpu or cuda, got '", spec.device, "'"));
  }
  if (spec.dtype != "auto" && spec.dtype != "float16" && spec.dtype != "bfloat16" &&
      spec.dtype != "float32") {
    return Invalid("dtype", absl::StrCat("must be auto, float16, bfloat16 or float32, got '",
                                         spec.dtype, "'"));
  }
  if (spec.request_id.size() > 128) return Invalid("request_id", "must be at most 128 characters");
  if (spec.user.size() > 128) return Invalid("user", "must be at most 128 characters");
  return absl::OkStatus();
}

Json JobSpecToJson(const JobSpec& spec) {
  Json j = Json::object();
  for (const auto& [key, field] : Fields()) j[key] = field.write(spec);
  return j;
}

absl::StatusOr<JobSpec> JobSpecFromJson(const Json& json) {
  if (!json.is_object()) return absl::InvalidArgumentError("spec: must be a JSON/YAML object");
  JobSpec spec;
  OptionValues legacy;
  for (const auto& [key, value] : json.items()) {
    if (IsLegacyOptionKey(key)) {
      auto v = OptionFromJson(key, value);
      if (!v.ok()) return v.status();
      legacy[key] = *std::move(v);
      continue;
    }
    const auto it = Fields().find(key);
    if (it == Fields().end()) {
      std::vector<std::string> known;
      for (const auto& [k, f] : Fields()) known.push_back(k);
      return Invalid(key, absl::StrCat("unknown spec field (known: ", absl::StrJoin(known, ", "), ")"));
    }
    if (absl::Status s = it->second.read(value, spec); !s.ok()) return s;
  }
  MergeLegacyOptions(spec.technique, legacy, spec.technique_options);
  return spec;
}

std::vector<std::string> EffectiveEvalDatasets(const JobSpec& spec) {
  if (!spec.eval_datasets.empty()) return spec.eval_datasets;
  return {spec.dataset};
}

}  // namespace binq
