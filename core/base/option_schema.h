// One technique option as data: its key (the reference scripts' spelling),
// type, default and allowed range, and the checks every front end shares —
// spec files, the gRPC API and the command-line flags all end in CheckValue,
// so an option has exactly one range and one error text. Pure data and
// abseil: binqd, binqctl and the worker all link it (no LibTorch).
#ifndef BINQ_CORE_BASE_OPTION_SCHEMA_H_
#define BINQ_CORE_BASE_OPTION_SCHEMA_H_

#include <cstdint>
#include <limits>
#include <map>
#include <string>
#include <variant>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"

namespace binq {

// An option's value as given or resolved: true/false, an integer, a number
// or a string (an enum's choice).
using OptionValue = std::variant<bool, int64_t, double, std::string>;
// Options by key.
using OptionValues = std::map<std::string, OptionValue>;

enum class OptionType { kInt, kDouble, kBool, kEnum };
const char* OptionTypeName(OptionType type);  // "int", "double", "bool", "enum"

struct OptionSchema {
  std::string key;                   // canonical, snake_case: "corr_damp"
  std::vector<std::string> aliases;  // other accepted keys: "cgb" for order2_group
  OptionType type = OptionType::kInt;
  std::string help;                  // one line, without the default or range
  OptionValue default_value;         // of `type` (int64_t for kInt, …)
  // kInt and kDouble: allowed interval; an open end excludes its bound.
  double min = -std::numeric_limits<double>::infinity();
  double max = std::numeric_limits<double>::infinity();
  bool min_open = false;
  bool max_open = false;
  // kEnum: the allowed strings (case-sensitive, lower case by convention).
  // kInt: optional allowed values ("2", "3", "4", "8"), checked after the range.
  std::vector<std::string> choices;

  // "[0, 1)", "≥ 1", "> 0", "hessian | magnitude", "2 | 3 | 4 | 8", "true | false".
  std::string RangeText() const;
};

// Builders for the catalog rows (technique_catalog.cc).
OptionSchema IntOption(std::string key, int64_t default_value, std::string help);
OptionSchema DoubleOption(std::string key, double default_value, std::string help);
OptionSchema BoolOption(std::string key, bool default_value, std::string help);
OptionSchema EnumOption(std::string key, std::vector<std::string> choices, std::string default_value,
                        std::string help);
// Range modifiers, returning the changed schema: AtLeast(IntOption(…), 1).
OptionSchema AtLeast(OptionSchema s, double min);
OptionSchema Above(OptionSchema s, double min);    // min excluded
OptionSchema InRange(OptionSchema s, double min, double max, bool max_open = false);
OptionSchema OneOf(OptionSchema s, std::vector<std::string> values);  // kInt choices
OptionSchema WithAliases(OptionSchema s, std::vector<std::string> aliases);

// `value` converted to the schema's type (an integral number for kInt, any
// number for kDouble) and checked against its range. INVALID_ARGUMENT whose
// message starts with the key: "corr_damp: must be in [0, 1), got 2",
// "blocksize: must be an integer, got 1.5", "salient_metric: must be hessian
// or magnitude, got 'l2'".
[[nodiscard]] absl::StatusOr<OptionValue> CheckValue(const OptionSchema& schema, const OptionValue& value);

// `text` as typed on a command line or in a YAML scalar ("128", "1e-5",
// "true", "hessian") parsed as `type` only; the range is checked later
// against the job's technique (CheckValue). INVALID_ARGUMENT "key: must be a
// number, got 'x'".
[[nodiscard]] absl::StatusOr<OptionValue> ParseOptionAs(OptionType type, absl::string_view key,
                                                        absl::string_view text);

// The value as a command line would spell it: "128", "1e-05", "true", "hessian".
std::string OptionValueText(const OptionValue& value);

// "dashes-or_underscores" → "dashes_or_underscores": keys are compared after this.
std::string NormalizeOptionKey(absl::string_view key);

}  // namespace binq

#endif  // BINQ_CORE_BASE_OPTION_SCHEMA_H_
