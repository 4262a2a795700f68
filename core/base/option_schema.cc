#include "core/base/option_schema.h"

#include <algorithm>
#include <charconv>
#include <cmath>

#include "absl/strings/ascii.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"

namespace binq {
namespace {

absl::Status Invalid(const OptionSchema& s, absl::string_view what) {
  return absl::InvalidArgumentError(absl::StrCat(s.key, ": ", what));
}

std::string NumberText(double v) {
  char buffer[64];
  const auto result = std::to_chars(buffer, buffer + sizeof(buffer), v);  // shortest round trip
  return std::string(buffer, result.ptr);
}

std::string ChoicesText(const std::vector<std::string>& choices, absl::string_view last_separator) {
  if (choices.size() <= 1) return absl::StrJoin(choices, "");
  const std::vector<std::string> head(choices.begin(), choices.end() - 1);
  return absl::StrCat(absl::StrJoin(head, ", "), last_separator, choices.back());
}

bool InInterval(const OptionSchema& s, double v) {
  if (s.min_open ? !(v > s.min) : !(v >= s.min)) return false;
  if (s.max_open ? !(v < s.max) : !(v <= s.max)) return false;
  return true;
}

std::string IntervalText(const OptionSchema& s) {
  const bool has_min = std::isfinite(s.min), has_max = std::isfinite(s.max);
  if (has_min && has_max) {
    return absl::StrCat(s.min_open ? "(" : "[", NumberText(s.min), ", ", NumberText(s.max),
                        s.max_open ? ")" : "]");
  }
  if (has_min) return absl::StrCat(s.min_open ? "> " : "≥ ", NumberText(s.min));
  if (has_max) return absl::StrCat(s.max_open ? "< " : "≤ ", NumberText(s.max));
  return "any";
}

// "in [0, 1)", "≥ 1", "one of 2, 3, 4 or 8": what an error says a value must be.
std::string MustBeText(const OptionSchema& s) {
  if (!s.choices.empty()) return absl::StrCat("one of ", ChoicesText(s.choices, " or "));
  if (std::isfinite(s.min) && std::isfinite(s.max)) return absl::StrCat("in ", IntervalText(s));
  return IntervalText(s);
}

// A number already of the schema's type, checked against the range and choices.
absl::StatusOr<OptionValue> CheckNumber(const OptionSchema& s, const OptionValue& value) {
  const double v = std::holds_alternative<int64_t>(value) ? static_cast<double>(std::get<int64_t>(value))
                                                          : std::get<double>(value);
  if (!std::isfinite(v) || !InInterval(s, v)) {
    const bool bounded = std::isfinite(s.min) || std::isfinite(s.max);
    OptionSchema interval = s;
    interval.choices.clear();
    return Invalid(s, absl::StrCat("must be ", bounded ? MustBeText(interval) : "finite", ", got ",
                                   OptionValueText(value)));
  }
  if (s.type == OptionType::kInt && !s.choices.empty() &&
      std::find(s.choices.begin(), s.choices.end(), OptionValueText(value)) == s.choices.end()) {
    return Invalid(s, absl::StrCat("must be ", MustBeText(s), ", got ", OptionValueText(value)));
  }
  return value;
}

}  // namespace

const char* OptionTypeName(OptionType type) {
  switch (type) {
    case OptionType::kInt: return "int";
    case OptionType::kDouble: return "double";
    case OptionType::kBool: return "bool";
    case OptionType::kEnum: return "enum";
  }
  return "?";
}

std::string OptionSchema::RangeText() const {
  switch (type) {
    case OptionType::kBool: return "true | false";
    case OptionType::kEnum: return absl::StrJoin(choices, " | ");
    case OptionType::kInt:
      if (!choices.empty()) return absl::StrJoin(choices, " | ");
      break;
    case OptionType::kDouble: break;
  }
  return IntervalText(*this);
}

OptionSchema IntOption(std::string key, int64_t default_value, std::string help) {
  OptionSchema s;
  s.key = std::move(key);
  s.type = OptionType::kInt;
  s.default_value = default_value;
  s.help = std::move(help);
  return s;
}

OptionSchema DoubleOption(std::string key, double default_value, std::string help) {
  OptionSchema s;
  s.key = std::move(key);
  s.type = OptionType::kDouble;
  s.default_value = default_value;
  s.help = std::move(help);
  return s;
}

OptionSchema BoolOption(std::string key, bool default_value, std::string help) {
  OptionSchema s;
  s.key = std::move(key);
  s.type = OptionType::kBool;
  s.default_value = default_value;
  s.help = std::move(help);
  return s;
}

OptionSchema EnumOption(std::string key, std::vector<std::string> choices, std::string default_value,
                        std::string help) {
  OptionSchema s;
  s.key = std::move(key);
  s.type = OptionType::kEnum;
  s.choices = std::move(choices);
  s.default_value = std::move(default_value);
  s.help = std::move(help);
  return s;
}

OptionSchema AtLeast(OptionSchema s, double min) {
  s.min = min;
  s.min_open = false;
  return s;
}

OptionSchema Above(OptionSchema s, double min) {
  s.min = min;
  s.min_open = true;
  return s;
}

OptionSchema InRange(OptionSchema s, double min, double max, bool max_open) {
  s.min = min;
  s.min_open = false;
  s.max = max;
  s.max_open = max_open;
  return s;
}

OptionSchema OneOf(OptionSchema s, std::vector<std::string> values) {
  s.choices = std::move(values);
  return s;
}

OptionSchema WithAliases(OptionSchema s, std::vector<std::string> aliases) {
  s.aliases = std::move(aliases);
  return s;
}

absl::StatusOr<OptionValue> CheckValue(const OptionSchema& s, const OptionValue& value) {
  switch (s.type) {
    case OptionType::kBool:
      if (const bool* b = std::get_if<bool>(&value)) return OptionValue(*b);
      return Invalid(s, absl::StrCat("must be true or false, got ", OptionValueText(value)));
    case OptionType::kEnum: {
      const std::string* text = std::get_if<std::string>(&value);
      if (text == nullptr) {
        return Invalid(s, absl::StrCat("must be ", ChoicesText(s.choices, " or "), ", got ",
                                       OptionValueText(value)));
      }
      const std::string lower = absl::AsciiStrToLower(*text);
      if (std::find(s.choices.begin(), s.choices.end(), lower) == s.choices.end()) {
        return Invalid(s, absl::StrCat("must be ", ChoicesText(s.choices, " or "), ", got '", *text, "'"));
      }
      return OptionValue(lower);
    }
    case OptionType::kInt:
    case OptionType::kDouble: break;
  }
  if (const int64_t* i = std::get_if<int64_t>(&value)) {
    if (s.type == OptionType::kInt) return CheckNumber(s, OptionValue(*i));
    return CheckNumber(s, OptionValue(static_cast<double>(*i)));
  }
  if (const double* d = std::get_if<double>(&value)) {
    if (s.type == OptionType::kDouble) return CheckNumber(s, OptionValue(*d));
    // An integral number (JSON 128.0, a protobuf Value) is an integer.
    if (std::isfinite(*d) && std::trunc(*d) == *d && std::fabs(*d) < 9.0e15) {
      return CheckNumber(s, OptionValue(static_cast<int64_t>(*d)));
    }
    return Invalid(s, absl::StrCat("must be an integer, got ", OptionValueText(value)));
  }
  const bool quoted = std::holds_alternative<std::string>(value);
  return Invalid(s, absl::StrCat("must be ", s.type == OptionType::kInt ? "an integer" : "a number",
                                 ", got ", quoted ? "'" : "", OptionValueText(value), quoted ? "'" : ""));
}

absl::StatusOr<OptionValue> ParseOptionAs(OptionType type, absl::string_view key, absl::string_view text) {
  const absl::string_view t = absl::StripAsciiWhitespace(text);
  auto bad = [&](const char* want) {
    return absl::InvalidArgumentError(absl::StrCat(key, ": must be ", want, ", got '", t, "'"));
  };
  switch (type) {
    case OptionType::kBool: {
      bool b;
      if (!absl::SimpleAtob(t, &b)) return bad("true or false");
      return OptionValue(b);
    }
    case OptionType::kInt: {
      int64_t i;
      if (!absl::SimpleAtoi(t, &i)) return bad("an integer");
      return OptionValue(i);
    }
    case OptionType::kDouble: {
      double d;
      if (!absl::SimpleAtod(t, &d)) return bad("a number");
      return OptionValue(d);
    }
    case OptionType::kEnum: return OptionValue(absl::AsciiStrToLower(t));
  }
  return bad("a value");
}

std::string OptionValueText(const OptionValue& value) {
  if (const bool* b = std::get_if<bool>(&value)) return *b ? "true" : "false";
  if (const int64_t* i = std::get_if<int64_t>(&value)) return std::to_string(*i);
  if (const double* d = std::get_if<double>(&value)) return NumberText(*d);
  return std::get<std::string>(value);
}

std::string NormalizeOptionKey(absl::string_view key) {
  std::string out = absl::AsciiStrToLower(absl::StripAsciiWhitespace(key));
  std::replace(out.begin(), out.end(), '-', '_');
  return out;
}

}  // namespace binq
