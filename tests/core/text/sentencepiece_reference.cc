// Only this file includes sentencepiece_processor.h (see the header); no
// abseil header may be included here.
#include "tests/core/text/sentencepiece_reference.h"

#include <sentencepiece_processor.h>

namespace binq::testing {

struct SentencePieceReference::Impl {
  sentencepiece::SentencePieceProcessor processor;
};

SentencePieceReference::SentencePieceReference()
    : impl_(std::make_unique<Impl>()) {}
SentencePieceReference::~SentencePieceReference() = default;

std::unique_ptr<SentencePieceReference> SentencePieceReference::Load(
    const std::string& serialized, bool disable_dummy_prefix,
    std::string* error) {
  std::string proto = serialized;
  if (disable_dummy_prefix) {
    // Protobuf merges a repeated occurrence of a message field into the first
    // one, so appending ModelProto.normalizer_spec (field 3) holding only
    // NormalizerSpec.add_dummy_prefix (field 3) = false overrides just that
    // flag: what transformers does with ModelProto.MergeFrom.
    proto.append("\x1a\x02\x18\x00", 4);
  }
  std::unique_ptr<SentencePieceReference> model(new SentencePieceReference());
  const sentencepiece::util::Status status =
      model->impl_->processor.LoadFromSerializedProto(proto);
  if (!status.ok()) {
    *error = status.ToString();
    return nullptr;
  }
  return model;
}

bool SentencePieceReference::Encode(std::string_view text,
                                    std::vector<int>* ids,
                                    std::string* error) const {
  const sentencepiece::util::Status status = impl_->processor.Encode(text, ids);
  if (status.ok()) return true;
  *error = status.ToString();
  return false;
}

std::string SentencePieceReference::Decode(const std::vector<int>& ids) const {
  return impl_->processor.DecodeIds(ids);
}

int SentencePieceReference::size() const {
  return impl_->processor.GetPieceSize();
}
int SentencePieceReference::PieceToId(std::string_view piece) const {
  return impl_->processor.PieceToId(piece);
}
std::string SentencePieceReference::IdToPiece(int id) const {
  return impl_->processor.IdToPiece(id);
}
int SentencePieceReference::unk_id() const { return impl_->processor.unk_id(); }
bool SentencePieceReference::IsUnknown(int id) const {
  return impl_->processor.IsUnknown(id);
}
bool SentencePieceReference::IsControl(int id) const {
  return impl_->processor.IsControl(id);
}

}  // namespace binq::testing
