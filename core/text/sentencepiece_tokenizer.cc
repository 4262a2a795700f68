#include "core/text/sentencepiece_tokenizer.h"

#include <algorithm>
#include <utility>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_replace.h"
#include "core/base/status_macros.h"
#include "core/text/json_file.h"
#include "core/text/sentencepiece_model.h"
#include "core/text/utf8.h"

namespace binq::core {
namespace {

constexpr absl::string_view kUnderline =
    "\xE2\x96\x81";  // U+2581, SentencePiece's space

}  // namespace

SentencePieceTokenizer::SentencePieceTokenizer() = default;
SentencePieceTokenizer::~SentencePieceTokenizer() = default;

absl::StatusOr<std::unique_ptr<SentencePieceTokenizer>>
SentencePieceTokenizer::FromFile(const std::string& path,
                                 SentencePieceOptions options) {
  BINQ_ASSIGN_OR_RETURN(const std::string bytes, ReadWholeFile(path));
  return FromSerializedModel(bytes, std::move(options), path);
}

absl::StatusOr<std::unique_ptr<SentencePieceTokenizer>>
SentencePieceTokenizer::FromSerializedModel(const std::string& model_bytes,
                                            SentencePieceOptions options,
                                            absl::string_view model_name) {
  std::unique_ptr<SentencePieceTokenizer> t(new SentencePieceTokenizer());
  t->mode_ = options.mode;
  t->add_prefix_space_ = options.add_prefix_space;
  auto model = sp_internal::SentencePieceModel::Load(
      model_bytes, options.mode == SentencePieceMode::kLlamaNonLegacy);
  if (!model.ok())
    return absl::Status(
        model.status().code(),
        absl::StrCat(model_name, ": ", model.status().message()));
  t->model_ = std::move(*model);
  const sp_internal::SentencePieceModel& sp = *t->model_;
  int64_t next_id = sp.size();
  for (const SentencePieceOptions::Token& token : options.added_tokens) {
    if (token.content.empty() || !ValidateUtf8(token.content).ok()) {
      return absl::InvalidArgumentError(
          absl::StrCat("added token with id ", token.id,
                       ": needs a non-empty UTF-8 content"));
    }
    int32_t id = token.id;
    if (id < 0) {
      // As transformers adds a token: its piece if it is one, else a new id.
      const int piece = sp.PieceToId(token.content);
      const bool is_piece =
          !sp.IsUnknown(piece) || sp.IdToPiece(piece) == token.content;
      id = is_piece ? piece : static_cast<int32_t>(next_id);
    }
    if (std::any_of(
            t->added_by_id_.begin(), t->added_by_id_.end(),
            [&](const auto& entry) { return entry.second == token.content; })) {
      continue;
    }
    next_id = std::max<int64_t>(next_id, static_cast<int64_t>(id) + 1);
    t->matcher_.Add({token.content, id});
    t->added_by_id_.emplace_back(id, token.content);
    if (token.special) t->special_ids_.insert(id);
  }
  std::sort(t->added_by_id_.begin(), t->added_by_id_.end());
  t->vocab_size_ = next_id;

  t->unk_token_ = options.unk_token;
  if (t->mode_ == SentencePieceMode::kLlamaNonLegacy) {
    const std::vector<int> unk_ids = sp.Encode(t->unk_token_);
    t->unk_token_length_ = unk_ids.size();
    const int underline = sp.PieceToId(kUnderline);
    t->underline_id_ = sp.IsUnknown(underline) ? -1 : underline;
  }
  if (!options.bos_token.empty()) {
    int32_t bos = -1;
    for (const auto& [id, content] : t->added_by_id_) {
      if (content == options.bos_token) bos = id;
    }
    if (bos < 0) {
      const int piece = sp.PieceToId(options.bos_token);
      if (!sp.IsUnknown(piece) || sp.IdToPiece(piece) == options.bos_token)
        bos = piece;
    }
    if (bos < 0) {
      return absl::InvalidArgumentError(absl::StrCat(
          "BOS token '", options.bos_token, "' is neither a piece of ",
          model_name, " nor an added token"));
    }
    t->bos_id_ = bos;
  }
  t->add_bos_ = options.add_bos;
  return t;
}

absl::Status SentencePieceTokenizer::EncodeStretch(
    absl::string_view stretch, std::vector<int32_t>* ids) const {
  if (stretch.empty())
    return absl::OkStatus();  // transformers skips empty stretches
  std::vector<int> piece_ids;
  size_t skip = 0;
  const bool starts_with_space =
      stretch[0] == ' ' || absl::StartsWith(stretch, kUnderline);
  if (mode_ == SentencePieceMode::kLlamaNonLegacy && starts_with_space) {
    // Without a dummy prefix SentencePiece would drop a leading space; behind
    // the unk token's text it keeps it.
    const std::string behind = absl::StrCat(unk_token_, stretch);
    piece_ids = model_->Encode(behind);
    if (piece_ids.size() >= unk_token_length_) skip = unk_token_length_;
  } else {
    piece_ids = model_->Encode(stretch);
  }
  ids->insert(ids->end(), piece_ids.begin() + skip, piece_ids.end());
  return absl::OkStatus();
}

absl::StatusOr<std::vector<int32_t>> SentencePieceTokenizer::Encode(
    absl::string_view text) const {
  BINQ_RETURN_IF_ERROR(ValidateUtf8(text));
  std::vector<int32_t> ids;
  if (text.empty()) return ids;
  std::string prepared;
  absl::string_view input = text;
  if (mode_ == SentencePieceMode::kLlamaNonLegacy) {
    prepared = absl::StrReplaceAll(text, {{kUnderline, " "}});
    if (add_prefix_space_)
      prepared.insert(0, kUnderline.data(), kUnderline.size());
    input = prepared;
  }
  absl::Status status;
  bool second_is_special = false;
  matcher_.Split(
      input,
      [&](size_t, absl::string_view stretch) {
        if (status.ok()) status = EncodeStretch(stretch, &ids);
      },
      [&](int32_t id) {
        if (ids.size() == 1) second_is_special = special_ids_.contains(id);
        ids.push_back(id);
      });
  BINQ_RETURN_IF_ERROR(status);
  // transformers: `if tokens[0] == "▁" and tokens[1] in all_special_tokens`.
  if (mode_ == SentencePieceMode::kLlamaNonLegacy && ids.size() > 1 &&
      underline_id_ >= 0 && ids[0] == underline_id_ && second_is_special) {
    ids.erase(ids.begin());
  }
  return ids;
}

std::string SentencePieceTokenizer::Decode(
    absl::Span<const int32_t> ids) const {
  std::string out;
  std::vector<int> run;
  auto flush = [&] {
    if (run.empty()) return;
    std::string text = model_->Decode(run);
    // The "▁" kLlamaNonLegacy put before the text (transformers' decode
    // drops it too); SentencePiece drops the dummy prefix of kPlain itself.
    if (out.empty() && mode_ == SentencePieceMode::kLlamaNonLegacy &&
        add_prefix_space_ && !text.empty() && text[0] == ' ') {
      text.erase(0, 1);
    }
    out += text;
    run.clear();
  };
  for (const int32_t id : ids) {
    auto it = std::lower_bound(added_by_id_.begin(), added_by_id_.end(),
                               std::make_pair(id, std::string()));
    if (it != added_by_id_.end() && it->first == id) {
      flush();
      out += it->second;
    } else if (id >= 0 && id < model_->size()) {
      run.push_back(id);
    }
  }
  flush();
  return ReplaceInvalidUtf8(out);
}

}  // namespace binq::core
