// A thin wall around Debian's libsentencepiece (0.1.97): its header defines
// `absl::string_view` itself and cannot share a translation unit with
// abseil's headers, so only sentencepiece_backend.cc includes it and this
// header uses the standard library alone. Internal to core/text.
#ifndef BINQ_CORE_TEXT_SENTENCEPIECE_BACKEND_H_
#define BINQ_CORE_TEXT_SENTENCEPIECE_BACKEND_H_

#include <memory>
#include <string>
#include <string_view>
#include <vector>

namespace binq::core::sp_internal {

// One loaded SentencePiece model; const methods are thread-safe (as
// SentencePieceProcessor's are).
class SentencePieceModel {
 public:
  ~SentencePieceModel();

  // Loads a serialized ModelProto (the bytes of tokenizer.model). With
  // `disable_dummy_prefix` the model's normalizer gets add_dummy_prefix=false,
  // as transformers' LlamaTokenizer(legacy=False) sets it. nullptr with
  // `*error` set when the bytes are not a model.
  static std::unique_ptr<SentencePieceModel> Load(const std::string& serialized, bool disable_dummy_prefix,
                                                  std::string* error);

  // Ids of `text` (SentencePieceProcessor::Encode); false with `*error` set
  // on failure.
  bool Encode(std::string_view text, std::vector<int>* ids, std::string* error) const;
  std::string Decode(const std::vector<int>& ids) const;

  int size() const;                            // number of pieces
  int PieceToId(std::string_view piece) const;  // unk_id() when not a piece
  std::string IdToPiece(int id) const;
  int unk_id() const;
  bool IsUnknown(int id) const;
  bool IsControl(int id) const;

 private:
  SentencePieceModel();
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace binq::core::sp_internal

#endif  // BINQ_CORE_TEXT_SENTENCEPIECE_BACKEND_H_
