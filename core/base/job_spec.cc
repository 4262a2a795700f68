#include "core/base/job_spec.h"

#include <algorithm>
#include <cmath>
#include <functional>
#include <map>

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

const std::map<std::string, Field>& Fields() {
  static const auto* const kFields = new std::map<std::string, Field>{
      {"model", Member("model", &JobSpec::model)},
      {"technique", Member("technique", &JobSpec::technique)},
      {"dataset", Member("dataset", &JobSpec::dataset)},
      {"eval_datasets", Member("eval_datasets", &JobSpec::eval_datasets)},
      {"blocksize", Member("blocksize", &JobSpec::blocksize)},
      {"salient_metric", Member("salient_metric", &JobSpec::salient_metric)},
      {"nsamples", Member("nsamples", &JobSpec::nsamples)},
      {"seqlen", Member("seqlen", &JobSpec::seqlen)},
      {"seed", Member("seed", &JobSpec::seed)},
      {"percdamp", Member("percdamp", &JobSpec::percdamp)},
      {"crb_variant", Member("crb_variant", &JobSpec::crb_variant)},
      {"lam", Member("lam", &JobSpec::lam)},
      {"corr_damp", Member("corr_damp", &JobSpec::corr_damp)},
      {"wbits", Member("wbits", &JobSpec::wbits)},
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

const std::vector<std::string>& KnownTechniques() {
  static const auto* const kNames =
      new std::vector<std::string>{"braq", "CRB", "CRBOG", "fp16", "rtn", "sign"};
  return *kNames;
}

absl::StatusOr<std::string> CanonicalTechnique(absl::string_view name) {
  const std::string lower = absl::AsciiStrToLower(name);
  for (const std::string& known : KnownTechniques()) {
    if (absl::AsciiStrToLower(known) == lower) return known;
  }
  return Invalid("technique", absl::StrCat("unknown '", name, "' (known: ",
                                           absl::StrJoin(KnownTechniques(), ", "), ")"));
}

absl::Status ValidateJobSpec(const JobSpec& spec) {
  if (spec.model.empty()) return Invalid("model", "must name a model directory or hub id");
  if (spec.technique.empty()) return Invalid("technique", "must be given");
  if (auto t = CanonicalTechnique(spec.technique); !t.ok()) return t.status();
  if (absl::Status s = CheckDataset("dataset", spec.dataset); !s.ok()) return s;
  for (const std::string& d : spec.eval_datasets) {
    if (absl::Status s = CheckDataset("eval_datasets", d); !s.ok()) return s;
  }
  if (spec.blocksize < 1) return Invalid("blocksize", absl::StrCat("must be ≥ 1, got ", spec.blocksize));
  if (spec.salient_metric != "hessian" && spec.salient_metric != "magnitude") {
    return Invalid("salient_metric",
                   absl::StrCat("must be hessian or magnitude, got '", spec.salient_metric, "'"));
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
  if (!(spec.percdamp > 0) || !std::isfinite(spec.percdamp)) {
    return Invalid("percdamp", absl::StrCat("must be > 0, got ", spec.percdamp));
  }
  if (spec.crb_variant != "current" && spec.crb_variant != "paper2025") {
    return Invalid("crb_variant",
                   absl::StrCat("must be current or paper2025, got '", spec.crb_variant, "'"));
  }
  if (!(spec.lam >= 0) || !std::isfinite(spec.lam)) {
    return Invalid("lam", absl::StrCat("must be ≥ 0, got ", spec.lam));
  }
  if (!(spec.corr_damp >= 0 && spec.corr_damp < 1)) {
    return Invalid("corr_damp", absl::StrCat("must be in [0, 1), got ", spec.corr_damp));
  }
  if (spec.wbits < 1 || spec.wbits > 8) {
    return Invalid("wbits", absl::StrCat("must be in 1…8, got ", spec.wbits));
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
  for (const auto& [key, value] : json.items()) {
    const auto it = Fields().find(key);
    if (it == Fields().end()) {
      std::vector<std::string> known;
      for (const auto& [k, f] : Fields()) known.push_back(k);
      return Invalid(key, absl::StrCat("unknown spec field (known: ", absl::StrJoin(known, ", "), ")"));
    }
    if (absl::Status s = it->second.read(value, spec); !s.ok()) return s;
  }
  return spec;
}

std::vector<std::string> EffectiveEvalDatasets(const JobSpec& spec) {
  if (!spec.eval_datasets.empty()) return spec.eval_datasets;
  return {spec.dataset};
}

}  // namespace binq
