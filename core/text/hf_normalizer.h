// The `normalizer` of a Hugging Face tokenizer.json, for the forms LLaMA,
// Qwen2 and Gemma files use: null, NFC (Qwen2), Replace with a String
// pattern (Gemma: " " → "▁"), Prepend (LLaMA-2's older form), and a Sequence
// of these. NFC is ICU's (Debian's libicu), as exact as the `tokenizers`
// library's on every code point both Unicode versions assign. Internal to
// core/text.
#ifndef BINQ_CORE_TEXT_HF_NORMALIZER_H_
#define BINQ_CORE_TEXT_HF_NORMALIZER_H_

#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "nlohmann/json.hpp"

namespace binq::core {

class HfNormalizer {
 public:
  // From the "normalizer" value (null: identity). UNIMPLEMENTED naming `file`,
  // the field and the supported types for anything else; DATA_LOSS for a
  // malformed step.
  [[nodiscard]] static absl::StatusOr<HfNormalizer> FromJson(
      const nlohmann::json& value, absl::string_view file);

  bool identity() const { return steps_.empty(); }
  // `text` (well-formed UTF-8) normalized.
  std::string Apply(absl::string_view text) const;

 private:
  struct Step {
    enum Kind { kNfc, kReplace, kPrepend } kind;
    std::string pattern;  // kReplace
    std::string content;  // kReplace: the replacement; kPrepend: the prefix
  };
  std::vector<Step> steps_;
};

// NFC of well-formed UTF-8 (exposed for tests).
std::string NfcNormalize(absl::string_view text);

}  // namespace binq::core

#endif  // BINQ_CORE_TEXT_HF_NORMALIZER_H_
