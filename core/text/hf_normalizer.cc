#include "core/text/hf_normalizer.h"

#include <unicode/normalizer2.h>
#include <unicode/unistr.h>

#include <algorithm>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_replace.h"
#include "core/base/status_macros.h"
#include "core/text/json_file.h"

namespace binq::core {
using nlohmann::json;

std::string NfcNormalize(absl::string_view text) {
  // Every code point below U+0300 is NFC-stable (Quick_Check Yes and
  // combining class 0); their UTF-8 lead bytes are all below 0xCC.
  if (std::all_of(text.begin(), text.end(), [](char c) {
        return static_cast<unsigned char>(c) < 0xCC;
      })) {
    return std::string(text);
  }
  UErrorCode status = U_ZERO_ERROR;
  const icu::Normalizer2* nfc = icu::Normalizer2::getNFCInstance(status);
  if (U_FAILURE(status))
    return std::string(
        text);  // ICU's data is built in; cannot fail in practice
  const icu::UnicodeString normalized =
      nfc->normalize(icu::UnicodeString::fromUTF8(icu::StringPiece(
                         text.data(), static_cast<int32_t>(text.size()))),
                     status);
  if (U_FAILURE(status)) return std::string(text);
  std::string out;
  normalized.toUTF8String(out);
  return out;
}

absl::StatusOr<HfNormalizer> HfNormalizer::FromJson(const json& value,
                                                    absl::string_view file) {
  HfNormalizer n;
  // A Sequence is flattened; nesting is bounded by the file's depth check.
  auto flatten = [&](const json& v, auto&& self) -> absl::Status {
    if (v.is_null()) return absl::OkStatus();
    if (!v.is_object() || !v.contains("type") || !v["type"].is_string()) {
      return absl::DataLossError(absl::StrCat(
          file, ": normalizer must be null or an object with a 'type'; got ",
          ShortJson(v)));
    }
    const std::string type = v["type"].get<std::string>();
    if (type == "Sequence") {
      if (!v.contains("normalizers") || !v["normalizers"].is_array()) {
        return absl::DataLossError(absl::StrCat(
            file, ": normalizer Sequence needs a 'normalizers' list"));
      }
      for (const json& step : v["normalizers"])
        BINQ_RETURN_IF_ERROR(self(step, self));
      return absl::OkStatus();
    }
    if (type == "NFC") {
      n.steps_.push_back({Step::kNfc, "", ""});
      return absl::OkStatus();
    }
    if (type == "Prepend") {
      if (!v.contains("prepend") || !v["prepend"].is_string()) {
        return absl::DataLossError(absl::StrCat(
            file, ": normalizer Prepend needs a string 'prepend'"));
      }
      n.steps_.push_back({Step::kPrepend, "", v["prepend"].get<std::string>()});
      return absl::OkStatus();
    }
    if (type == "Replace") {
      const bool string_pattern =
          v.contains("pattern") && v["pattern"].is_object() &&
          v["pattern"].contains("String") && v["pattern"]["String"].is_string();
      if (!string_pattern || !v.contains("content") ||
          !v["content"].is_string()) {
        return absl::UnimplementedError(
            absl::StrCat(file,
                         ": normalizer Replace is supported with {\"String\": "
                         "...} patterns and a string 'content' only; got ",
                         ShortJson(v)));
      }
      const std::string pattern = v["pattern"]["String"].get<std::string>();
      if (pattern.empty())
        return absl::DataLossError(
            absl::StrCat(file, ": normalizer Replace has an empty pattern"));
      n.steps_.push_back(
          {Step::kReplace, pattern, v["content"].get<std::string>()});
      return absl::OkStatus();
    }
    return absl::UnimplementedError(absl::StrCat(
        file, ": normalizer type '", type,
        "' is not supported (NFC, Replace, Prepend, Sequence, null)"));
  };
  BINQ_RETURN_IF_ERROR(flatten(value, flatten));
  return n;
}

std::string HfNormalizer::Apply(absl::string_view text) const {
  std::string s(text);
  for (const Step& step : steps_) {
    switch (step.kind) {
      case Step::kNfc:
        s = NfcNormalize(s);
        break;
      case Step::kReplace:
        s = absl::StrReplaceAll(s, {{step.pattern, step.content}});
        break;
      case Step::kPrepend:
        if (!s.empty())
          s.insert(0, step.content);  // the library leaves "" alone
        break;
    }
  }
  return s;
}

}  // namespace binq::core
