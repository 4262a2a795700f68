#include "core/text/hf_pretokenizer.h"

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_replace.h"
#include "core/base/status_macros.h"
#include "core/text/gpt2_pretokenizer.h"
#include "core/text/json_file.h"
#include "core/text/llama3_pretokenizer.h"

namespace binq::core {

const char kGpt2SplitPattern[] =
    R"('s|'t|'re|'ve|'m|'ll|'d| ?\p{L}+| ?\p{N}+| ?[^\s\p{L}\p{N}]+|\s+(?!\S)|\s+)";

namespace {

using nlohmann::json;

absl::StatusOr<bool> BoolField(const json& v, const char* key, bool fallback,
                               absl::string_view file, absl::string_view type) {
  if (!v.contains(key) || v[key].is_null()) return fallback;
  if (!v[key].is_boolean()) {
    return absl::DataLossError(absl::StrCat(file, ": pre_tokenizer ", type, ".",
                                            key, " must be true or false"));
  }
  return v[key].get<bool>();
}

// The pieces of `piece` around each occurrence of `delimiter`: the delimiter
// alone (Isolated), joined to the piece before it (MergedWithPrevious) or
// after it (MergedWithNext), or dropped (Removed); empty pieces are dropped.
template <typename Behavior, typename Emit>
void SplitOnStringImpl(absl::string_view piece, absl::string_view delimiter,
                       Behavior behavior, Behavior isolated,
                       Behavior with_previous, Behavior with_next,
                       bool at_start, const Emit& emit) {
  size_t piece_start = 0;  // start of the piece being built
  auto flush = [&](size_t end) {
    if (end > piece_start)
      emit(piece.substr(piece_start, end - piece_start),
           at_start && piece_start == 0);
    piece_start = end;
  };
  for (size_t found = piece.find(delimiter); found != absl::string_view::npos;
       found = piece.find(delimiter, found + delimiter.size())) {
    const size_t after = found + delimiter.size();
    if (behavior == with_previous) {
      flush(after);
    } else if (behavior == with_next) {
      flush(found);
    } else {
      flush(found);
      if (behavior == isolated) flush(after);
      piece_start = after;
    }
  }
  flush(piece.size());
}

}  // namespace

absl::StatusOr<HfPreTokenizer> HfPreTokenizer::FromJson(
    const json& value, absl::string_view file) {
  HfPreTokenizer p;
  BINQ_RETURN_IF_ERROR(AddStep(value, file, &p));
  for (size_t i = 0; i + 1 < p.steps_.size(); ++i) {
    if (p.steps_[i].kind == Step::kByteLevel) {
      return absl::UnimplementedError(absl::StrCat(
          file,
          ": pre_tokenizer ByteLevel is supported only as the last step"));
    }
  }
  p.byte_level_ = !p.steps_.empty() && p.steps_.back().kind == Step::kByteLevel;
  return p;
}

absl::Status HfPreTokenizer::AddStep(const json& v, absl::string_view file,
                                     HfPreTokenizer* out) {
  if (v.is_null()) return absl::OkStatus();
  if (!v.is_object() || !v.contains("type") || !v["type"].is_string()) {
    return absl::DataLossError(absl::StrCat(
        file, ": pre_tokenizer must be null or an object with a 'type'; got ",
        ShortJson(v)));
  }
  const std::string type = v["type"].get<std::string>();
  Step step{Step::kByteLevel};
  if (type == "Sequence") {
    if (!v.contains("pretokenizers") || !v["pretokenizers"].is_array()) {
      return absl::DataLossError(absl::StrCat(
          file, ": pre_tokenizer Sequence needs a 'pretokenizers' list"));
    }
    for (const json& s : v["pretokenizers"])
      BINQ_RETURN_IF_ERROR(AddStep(s, file, out));
    return absl::OkStatus();
  }
  if (type == "ByteLevel") {
    BINQ_ASSIGN_OR_RETURN(step.add_prefix_space,
                          BoolField(v, "add_prefix_space", true, file, type));
    BINQ_ASSIGN_OR_RETURN(step.use_regex,
                          BoolField(v, "use_regex", true, file, type));
  } else if (type == "Metaspace") {
    step.kind = Step::kMetaspace;
    step.text = v.contains("replacement") && v["replacement"].is_string()
                    ? v["replacement"].get<std::string>()
                    : "\xE2\x96\x81";
    if (step.text.empty())
      return absl::DataLossError(
          absl::StrCat(file, ": pre_tokenizer Metaspace.replacement is empty"));
    BINQ_ASSIGN_OR_RETURN(step.split, BoolField(v, "split", true, file, type));
    if (v.contains("prepend_scheme") && v["prepend_scheme"].is_string()) {
      const std::string scheme = v["prepend_scheme"].get<std::string>();
      if (scheme == "always") {
        step.prepend = Step::kAlways;
      } else if (scheme == "first") {
        step.prepend = Step::kFirst;
      } else if (scheme == "never") {
        step.prepend = Step::kNever;
      } else {
        return absl::DataLossError(
            absl::StrCat(file, ": pre_tokenizer Metaspace.prepend_scheme '",
                         scheme, "' is not always, first or never"));
      }
    } else {
      BINQ_ASSIGN_OR_RETURN(const bool add_prefix_space,
                            BoolField(v, "add_prefix_space", true, file, type));
      step.prepend = add_prefix_space ? Step::kAlways : Step::kNever;
    }
  } else if (type == "Split") {
    BINQ_ASSIGN_OR_RETURN(const bool invert,
                          BoolField(v, "invert", false, file, type));
    const std::string behavior =
        v.contains("behavior") && v["behavior"].is_string()
            ? v["behavior"].get<std::string>()
            : "";
    if (invert)
      return absl::UnimplementedError(absl::StrCat(
          file, ": pre_tokenizer Split with invert=true is not supported"));
    if (behavior == "Isolated") {
      step.behavior = Step::kIsolated;
    } else if (behavior == "MergedWithPrevious") {
      step.behavior = Step::kMergedWithPrevious;
    } else if (behavior == "MergedWithNext") {
      step.behavior = Step::kMergedWithNext;
    } else if (behavior == "Removed") {
      step.behavior = Step::kRemoved;
    } else {
      return absl::UnimplementedError(
          absl::StrCat(file, ": pre_tokenizer Split behavior '", behavior,
                       "' is not supported (Isolated, MergedWithPrevious, "
                       "MergedWithNext, Removed)"));
    }
    const json* pattern = v.contains("pattern") && v["pattern"].is_object()
                              ? &v["pattern"]
                              : nullptr;
    if (pattern != nullptr && pattern->contains("String") &&
        (*pattern)["String"].is_string()) {
      step.kind = Step::kSplitString;
      step.text = (*pattern)["String"].get<std::string>();
      if (step.text.empty())
        return absl::DataLossError(absl::StrCat(
            file, ": pre_tokenizer Split has an empty String pattern"));
    } else if (pattern != nullptr && pattern->contains("Regex") &&
               (*pattern)["Regex"].is_string()) {
      const std::string regex = (*pattern)["Regex"].get<std::string>();
      if (regex == kLlama3SplitPattern) {
        step.kind = Step::kSplitLlama3;
      } else if (regex == kQwen2SplitPattern) {
        step.kind = Step::kSplitQwen2;
      } else if (regex == kGpt2SplitPattern) {
        step.kind = Step::kSplitGpt2;
      } else {
        return absl::UnimplementedError(absl::StrCat(
            file, ": pre_tokenizer Split Regex '", regex.substr(0, 200),
            "' is not one binq knows (binq has scanners for LLaMA-3's, Qwen2's "
            "and GPT-2's patterns)"));
      }
      if (step.behavior != Step::kIsolated) {
        return absl::UnimplementedError(
            absl::StrCat(file,
                         ": pre_tokenizer Split with a Regex supports behavior "
                         "Isolated only"));
      }
    } else {
      return absl::DataLossError(
          absl::StrCat(file,
                       ": pre_tokenizer Split needs a pattern {\"String\": "
                       "...} or {\"Regex\": ...}"));
    }
  } else {
    return absl::UnimplementedError(absl::StrCat(
        file, ": pre_tokenizer type '", type,
        "' is not supported (Split, Metaspace, ByteLevel, Sequence, null)"));
  }
  out->steps_.push_back(std::move(step));
  return absl::OkStatus();
}

template <typename Emit>
void HfPreTokenizer::SplitOnString(absl::string_view piece,
                                   absl::string_view delimiter, int behavior,
                                   bool at_start, const Emit& emit) {
  SplitOnStringImpl(piece, delimiter, behavior,
                    static_cast<int>(Step::kIsolated),
                    static_cast<int>(Step::kMergedWithPrevious),
                    static_cast<int>(Step::kMergedWithNext), at_start, emit);
}

void HfPreTokenizer::Apply(
    absl::string_view segment, bool at_start,
    const std::function<void(absl::string_view)>& on_word) const {
  ApplyFrom(0, segment, at_start, on_word);
}

void HfPreTokenizer::ApplyFrom(
    size_t index, absl::string_view piece, bool at_start,
    const std::function<void(absl::string_view)>& on_word) const {
  if (piece.empty()) return;  // the library drops empty splits
  if (index == steps_.size()) {
    on_word(piece);
    return;
  }
  const Step& step = steps_[index];
  auto next = [&](absl::string_view sub, bool sub_at_start) {
    ApplyFrom(index + 1, sub, sub_at_start, on_word);
  };
  switch (step.kind) {
    case Step::kSplitLlama3:
    case Step::kSplitQwen2: {
      Llama3PretokenIterator it(piece, step.kind == Step::kSplitLlama3 ? 3 : 1);
      absl::string_view sub;
      bool first = at_start;
      while (it.Next(&sub)) {
        next(sub, first);
        first = false;
      }
      return;
    }
    case Step::kSplitGpt2: {
      Gpt2PretokenIterator it(piece);
      absl::string_view sub;
      bool first = at_start;
      while (it.Next(&sub)) {
        next(sub, first);
        first = false;
      }
      return;
    }
    case Step::kSplitString: {
      SplitOnString(piece, step.text, step.behavior, at_start, next);
      return;
    }
    case Step::kMetaspace: {
      std::string replaced = absl::StrReplaceAll(piece, {{" ", step.text}});
      const bool prepend = step.prepend == Step::kAlways ||
                           (step.prepend == Step::kFirst && at_start);
      if (prepend && !absl::StartsWith(replaced, step.text))
        replaced.insert(0, step.text);
      if (!step.split) {
        next(replaced, at_start);
        return;
      }
      SplitOnString(replaced, step.text, Step::kMergedWithNext, at_start, next);
      return;
    }
    case Step::kByteLevel: {
      std::string prefixed;
      absl::string_view text = piece;
      if (step.add_prefix_space && piece[0] != ' ') {
        prefixed = absl::StrCat(" ", piece);
        text = prefixed;
      }
      if (!step.use_regex) {
        next(text, at_start);
        return;
      }
      Gpt2PretokenIterator it(text);
      absl::string_view sub;
      while (it.Next(&sub)) next(sub, false);
      return;
    }
  }
}

}  // namespace binq::core
