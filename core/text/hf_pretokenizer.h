// The `pre_tokenizer` of a Hugging Face tokenizer.json, for the forms
// GPT-2/OPT, LLaMA-2, LLaMA-3, Qwen2/3 and Gemma files use:
//  * Split with a Regex that is one of the known patterns — LLaMA-3's and
//    Qwen2's (llama3_pretokenizer.h) or GPT-2's (gpt2_pretokenizer.h), each a
//    hand-written scanner — and behavior "Isolated"; Split with a String
//    pattern and behavior Isolated, MergedWithPrevious, MergedWithNext or
//    Removed (Gemma: " ", MergedWithPrevious); `invert` false;
//  * Metaspace (replacement, prepend_scheme always/first/never or the older
//    add_prefix_space, split);
//  * ByteLevel (add_prefix_space, use_regex), last in the chain: the byte →
//    printable-character map itself is applied by the model (bpe_model.h);
//  * Sequence of these.
// Anything else is refused at load. Internal to core/text.
#ifndef BINQ_CORE_TEXT_HF_PRETOKENIZER_H_
#define BINQ_CORE_TEXT_HF_PRETOKENIZER_H_

#include <functional>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "nlohmann/json.hpp"

namespace binq::core {

class HfPreTokenizer {
 public:
  // From the "pre_tokenizer" value (null: the whole segment is one word).
  // UNIMPLEMENTED naming `file`, the step and what is supported; DATA_LOSS
  // for a malformed step.
  [[nodiscard]] static absl::StatusOr<HfPreTokenizer> FromJson(
      const nlohmann::json& value, absl::string_view file);

  // The chain ends with ByteLevel: words are byte-mapped by the model.
  bool byte_level() const { return byte_level_; }

  // Calls `on_word` for each pre-token of `segment` (well-formed UTF-8), in
  // order; `at_start`: the segment starts at offset 0 of the original text
  // (Metaspace's "first" scheme prepends only there).
  void Apply(absl::string_view segment, bool at_start,
             const std::function<void(absl::string_view)>& on_word) const;

 private:
  struct Step {
    enum Kind {
      kSplitLlama3,
      kSplitQwen2,
      kSplitGpt2,
      kSplitString,
      kMetaspace,
      kByteLevel
    } kind;
    enum Behavior {
      kIsolated,
      kMergedWithPrevious,
      kMergedWithNext,
      kRemoved
    } behavior = kIsolated;
    std::string
        text;  // kSplitString: the delimiter; kMetaspace: the replacement
    enum Prepend { kAlways, kFirst, kNever } prepend = kAlways;  // kMetaspace
    bool split = false;                                          // kMetaspace
    bool add_prefix_space = false;                               // kByteLevel
    bool use_regex = true;                                       // kByteLevel
  };
  [[nodiscard]] static absl::Status AddStep(const nlohmann::json& value,
                                            absl::string_view file,
                                            HfPreTokenizer* out);
  template <typename Emit>
  static void SplitOnString(absl::string_view piece,
                            absl::string_view delimiter, int behavior,
                            bool at_start, const Emit& emit);
  void ApplyFrom(size_t step, absl::string_view piece, bool at_start,
                 const std::function<void(absl::string_view)>& on_word) const;

  std::vector<Step> steps_;
  bool byte_level_ = false;
};

// The GPT-2 pattern as tokenizer.json spells it (ByteLevel's use_regex).
extern const char kGpt2SplitPattern[];

}  // namespace binq::core

#endif  // BINQ_CORE_TEXT_HF_PRETOKENIZER_H_
