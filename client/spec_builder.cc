#include "client/spec_builder.h"

#include <algorithm>
#include <cmath>
#include <limits>

#include <google/protobuf/descriptor.h>
#include <google/protobuf/reflection.h>
#include <yaml-cpp/yaml.h>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"
#include "core/base/technique_catalog.h"
#include "proto/convert/option_value_convert.h"

namespace binq::client {
namespace {

using google::protobuf::FieldDescriptor;
using google::protobuf::Message;

// Where a key lives: the request itself (priority, user, request_id) or its
// spec (everything else).
struct Target {
  Message* message;
  const FieldDescriptor* field;
};

absl::StatusOr<Target> Find(binq::v1::SubmitJobRequest& request, const std::string& key) {
  if (key != "spec") {
    if (const FieldDescriptor* f = request.GetDescriptor()->FindFieldByName(key)) {
      return Target{&request, f};
    }
  }
  binq::v1::JobSpec* spec = request.mutable_spec();
  if (const FieldDescriptor* f = spec->GetDescriptor()->FindFieldByName(key)) {
    return Target{spec, f};
  }
  return absl::InvalidArgumentError(absl::StrCat("unknown key '", key, "' (known: ",
                                                 absl::StrJoin(SpecBuilder::Keys(), ", "), ")"));
}

// One scalar in `text` into field `f` (singular, or appended when repeated).
absl::Status SetScalar(Message* m, const FieldDescriptor* f, const std::string& text) {
  const auto* r = m->GetReflection();
  const bool rep = f->is_repeated();
  auto bad = [&](const char* want) {
    return absl::InvalidArgumentError(absl::StrCat(f->name(), ": '", text, "' is not ", want));
  };
  switch (f->cpp_type()) {
    case FieldDescriptor::CPPTYPE_STRING:
      rep ? r->AddString(m, f, text) : r->SetString(m, f, text);
      return absl::OkStatus();
    case FieldDescriptor::CPPTYPE_INT64: {
      int64_t v;
      if (!absl::SimpleAtoi(text, &v)) return bad("an integer");
      rep ? r->AddInt64(m, f, v) : r->SetInt64(m, f, v);
      return absl::OkStatus();
    }
    case FieldDescriptor::CPPTYPE_UINT64: {
      uint64_t v;
      if (!absl::SimpleAtoi(text, &v)) return bad("a non-negative integer");
      rep ? r->AddUInt64(m, f, v) : r->SetUInt64(m, f, v);
      return absl::OkStatus();
    }
    case FieldDescriptor::CPPTYPE_INT32: {
      int32_t v;
      if (!absl::SimpleAtoi(text, &v)) return bad("an integer");
      rep ? r->AddInt32(m, f, v) : r->SetInt32(m, f, v);
      return absl::OkStatus();
    }
    case FieldDescriptor::CPPTYPE_DOUBLE: {
      double v;
      if (!absl::SimpleAtod(text, &v) || !std::isfinite(v)) return bad("a number");
      rep ? r->AddDouble(m, f, v) : r->SetDouble(m, f, v);
      return absl::OkStatus();
    }
    case FieldDescriptor::CPPTYPE_BOOL: {
      bool v;
      if (!absl::SimpleAtob(text, &v)) return bad("true or false");
      rep ? r->AddBool(m, f, v) : r->SetBool(m, f, v);
      return absl::OkStatus();
    }
    default:
      return absl::InvalidArgumentError(absl::StrCat(f->name(), ": cannot be set here"));
  }
}

// The catalog's schema for `key` (a technique option key or alias of any
// technique), or nullptr.
const OptionSchema* CatalogOption(const std::string& key) {
  for (const TechniqueEntry& e : TechniqueCatalog()) {
    if (const OptionSchema* s = e.FindOption(key)) return s;
  }
  return nullptr;
}

absl::Status SetOptionText(binq::v1::SubmitJobRequest& request, const OptionSchema& schema,
                           const std::string& text) {
  auto value = ParseOptionAs(schema.type, schema.key, text);
  if (!value.ok()) return value.status();
  (*request.mutable_spec()->mutable_technique_options())[schema.key] = api::OptionToProto(*value);
  return absl::OkStatus();
}

absl::Status SetNode(binq::v1::SubmitJobRequest& request, const std::string& key,
                     const YAML::Node& node);

// `technique_options:` as a mapping of option keys to scalars.
absl::Status SetOptionsNode(binq::v1::SubmitJobRequest& request, const YAML::Node& node) {
  if (!node.IsMap()) {
    return absl::InvalidArgumentError("technique_options: must be a mapping of option: value");
  }
  for (const auto& entry : node) {
    const std::string key = entry.first.as<std::string>();
    if (CatalogOption(key) == nullptr) {
      return absl::InvalidArgumentError(absl::StrCat("technique_options: unknown option '", key, "'"));
    }
    if (absl::Status s = SetNode(request, key, entry.second); !s.ok()) return s;
  }
  return absl::OkStatus();
}

absl::Status SetNode(binq::v1::SubmitJobRequest& request, const std::string& key,
                     const YAML::Node& node) {
  if (key == "technique_options") return SetOptionsNode(request, node);
  if (const OptionSchema* option = CatalogOption(key)) {
    if (!node.IsScalar()) return absl::InvalidArgumentError(absl::StrCat(key, ": must be a single value"));
    return SetOptionText(request, *option, node.Scalar());
  }
  auto target = Find(request, key);
  if (!target.ok()) return target.status();
  Message* m = target->message;
  const FieldDescriptor* f = target->field;
  if (f->is_repeated()) {
    m->GetReflection()->ClearField(m, f);
    if (node.IsScalar()) {  // "wikitext2,ptb" or a single name
      for (absl::string_view part : absl::StrSplit(node.Scalar(), ',', absl::SkipWhitespace())) {
        if (auto s = SetScalar(m, f, std::string(absl::StripAsciiWhitespace(part))); !s.ok()) return s;
      }
      return absl::OkStatus();
    }
    if (!node.IsSequence()) return absl::InvalidArgumentError(absl::StrCat(key, ": must be a list"));
    for (const YAML::Node& item : node) {
      if (!item.IsScalar()) return absl::InvalidArgumentError(absl::StrCat(key, ": must be a list of names"));
      if (auto s = SetScalar(m, f, item.Scalar()); !s.ok()) return s;
    }
    return absl::OkStatus();
  }
  if (!node.IsScalar()) return absl::InvalidArgumentError(absl::StrCat(key, ": must be a single value"));
  return SetScalar(m, f, node.Scalar());
}

}  // namespace

std::vector<std::string> SpecBuilder::Keys() {
  std::vector<std::string> keys;
  const auto* spec = binq::v1::JobSpec::descriptor();
  for (int i = 0; i < spec->field_count(); ++i) {
    // The deprecated option fields are reached as technique options.
    if (!spec->field(i)->options().deprecated()) keys.push_back(spec->field(i)->name());
  }
  for (const char* k : {"priority", "user", "request_id"}) keys.push_back(k);
  for (const auto& [key, option] : AllCatalogOptions()) keys.push_back(key);
  std::sort(keys.begin(), keys.end());
  return keys;
}

absl::Status SpecBuilder::AddFile(const std::string& path) {
  YAML::Node root;
  try {  // yaml-cpp reports errors only by throwing; JSON is a subset of YAML
    root = YAML::LoadFile(path);
  } catch (const YAML::BadFile&) {
    return absl::InvalidArgumentError(absl::StrCat(path, ": cannot read the spec file"));
  } catch (const YAML::Exception& e) {
    return absl::InvalidArgumentError(absl::StrCat(path, ": not valid YAML/JSON: ", e.what()));
  }
  if (!root.IsMap()) {
    return absl::InvalidArgumentError(absl::StrCat(path, ": the spec must be a mapping of keys to values"));
  }
  for (const auto& entry : root) {
    const std::string key = entry.first.as<std::string>();
    if (absl::Status s = SetNode(request_, key, entry.second); !s.ok()) {
      return absl::InvalidArgumentError(absl::StrCat(path, ": ", s.message()));
    }
  }
  return absl::OkStatus();
}

absl::Status SpecBuilder::SetOption(const std::string& key, const OptionValue& value) {
  const OptionSchema* option = CatalogOption(key);
  if (option == nullptr) return absl::InvalidArgumentError(absl::StrCat(key, ": not a technique option"));
  (*request_.mutable_spec()->mutable_technique_options())[option->key] = api::OptionToProto(value);
  return absl::OkStatus();
}

absl::Status SpecBuilder::Set(const std::string& key, const std::string& value) {
  YAML::Node node(value);
  return SetNode(request_, key, node);
}

}  // namespace binq::client
