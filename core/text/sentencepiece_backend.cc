// Only this file includes sentencepiece_processor.h (see the header); no
// abseil header may be included here.
#include "core/text/sentencepiece_backend.h"

#include <sentencepiece_processor.h>

namespace binq::core::sp_internal {

struct SentencePieceModel::Impl {
  sentencepiece::SentencePieceProcessor processor;
};

SentencePieceModel::SentencePieceModel() : impl_(std::make_unique<Impl>()) {}
SentencePieceModel::~SentencePieceModel() = default;

std::unique_ptr<SentencePieceModel> SentencePieceModel::Load(const std::string& serialized,
                                                             bool disable_dummy_prefix, std::string* error) {
  std::string proto = serialized;
  if (disable_dummy_prefix) {
    // Protobuf merges a repeated occurrence of a message field into the first
    // one, so appending ModelProto.normalizer_spec (field 3) holding only
    // NormalizerSpec.add_dummy_prefix (field 3) = false overrides just that
    // flag: what transformers does with ModelProto.MergeFrom.
    proto.append("\x1a\x02\x18\x00", 4);
  }
  std::unique_ptr<SentencePieceModel> model(new SentencePieceModel());
  const sentencepiece::util::Status status = model->impl_->processor.LoadFromSerializedProto(proto);
  if (!status.ok()) {
    *error = status.ToString();
    return nullptr;
  }
  return model;
}

bool SentencePieceModel::Encode(std::string_view text, std::vector<int>* ids, std::string* error) const {
  const sentencepiece::util::Status status = impl_->processor.Encode(text, ids);
  if (status.ok()) return true;
  *error = status.ToString();
  return false;
}

std::string SentencePieceModel::Decode(const std::vector<int>& ids) const {
  return impl_->processor.DecodeIds(ids);
}

int SentencePieceModel::size() const { return impl_->processor.GetPieceSize(); }
int SentencePieceModel::PieceToId(std::string_view piece) const { return impl_->processor.PieceToId(piece); }
std::string SentencePieceModel::IdToPiece(int id) const { return impl_->processor.IdToPiece(id); }
int SentencePieceModel::unk_id() const { return impl_->processor.unk_id(); }
bool SentencePieceModel::IsUnknown(int id) const { return impl_->processor.IsUnknown(id); }
bool SentencePieceModel::IsControl(int id) const { return impl_->processor.IsControl(id); }

}  // namespace binq::core::sp_internal
