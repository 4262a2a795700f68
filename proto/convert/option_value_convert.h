// One technique option value (core/base/option_schema.h) ⇄
// google.protobuf.Value, as binq.v1.JobSpec.technique_options carries it.
// Header-only, so binqctl (which links only the generated protos and the
// catalog) and the daemon's converters share it.
#ifndef BINQ_PROTO_CONVERT_OPTION_VALUE_CONVERT_H_
#define BINQ_PROTO_CONVERT_OPTION_VALUE_CONVERT_H_

#include <cmath>
#include <cstdint>
#include <string>
#include <variant>

#include <google/protobuf/struct.pb.h>

#include "absl/status/statusor.h"
#include "absl/strings/str_cat.h"
#include "core/base/option_schema.h"

namespace binq::api {

// Value has one number type: an integral number becomes an integer (an int
// option needs one; a double option accepts it too). INVALID_ARGUMENT
// "technique_options.x: …" for null, lists and objects.
[[nodiscard]] inline absl::StatusOr<OptionValue> OptionFromProto(const std::string& key,
                                                                 const google::protobuf::Value& value) {
  switch (value.kind_case()) {
    case google::protobuf::Value::kBoolValue: return OptionValue(value.bool_value());
    case google::protobuf::Value::kStringValue: return OptionValue(value.string_value());
    case google::protobuf::Value::kNumberValue: {
      const double d = value.number_value();
      if (std::isfinite(d) && std::trunc(d) == d && std::fabs(d) < 9.0e15) {
        return OptionValue(static_cast<int64_t>(d));
      }
      return OptionValue(d);
    }
    default:
      return absl::InvalidArgumentError(
          absl::StrCat("technique_options.", key, ": must be a number, true/false or a string"));
  }
}

inline google::protobuf::Value OptionToProto(const OptionValue& value) {
  google::protobuf::Value v;
  if (const bool* b = std::get_if<bool>(&value)) {
    v.set_bool_value(*b);
  } else if (const int64_t* i = std::get_if<int64_t>(&value)) {
    v.set_number_value(static_cast<double>(*i));
  } else if (const double* d = std::get_if<double>(&value)) {
    v.set_number_value(*d);
  } else {
    v.set_string_value(std::get<std::string>(value));
  }
  return v;
}

}  // namespace binq::api

#endif  // BINQ_PROTO_CONVERT_OPTION_VALUE_CONVERT_H_
