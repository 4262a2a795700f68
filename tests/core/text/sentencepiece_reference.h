// The reference for sentencepiece_model_test.cc: Debian's libsentencepiece
// (0.1.97) behind a wall — its header defines `absl::string_view` itself and
// cannot share a translation unit with abseil's headers, so only
// sentencepiece_reference.cc includes it and this header uses the standard
// library alone. Only a test binary that loads no libprotobuf may link it
// (the library exports its own protobuf copy; see
// core/text/sentencepiece_model.h).
#ifndef BINQ_TESTS_CORE_TEXT_SENTENCEPIECE_REFERENCE_H_
#define BINQ_TESTS_CORE_TEXT_SENTENCEPIECE_REFERENCE_H_

#include <memory>
#include <string>
#include <string_view>
#include <vector>

namespace binq::testing {

// One loaded SentencePiece model; const methods are thread-safe (as
// SentencePieceProcessor's are).
class SentencePieceReference {
 public:
  ~SentencePieceReference();

  // Loads a serialized ModelProto (the bytes of tokenizer.model). With
  // `disable_dummy_prefix` the model's normalizer gets add_dummy_prefix=false,
  // as transformers' LlamaTokenizer(legacy=False) sets it. nullptr with
  // `*error` set when the bytes are not a model.
  static std::unique_ptr<SentencePieceReference> Load(
      const std::string& serialized, bool disable_dummy_prefix,
      std::string* error);

  // Ids of `text` (SentencePieceProcessor::Encode); false with `*error` set
  // on failure.
  bool Encode(std::string_view text, std::vector<int>* ids,
              std::string* error) const;
  std::string Decode(const std::vector<int>& ids) const;

  int size() const;                             // number of pieces
  int PieceToId(std::string_view piece) const;  // unk_id() when not a piece
  std::string IdToPiece(int id) const;
  int unk_id() const;
  bool IsUnknown(int id) const;
  bool IsControl(int id) const;

 private:
  SentencePieceReference();
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace binq::testing

#endif  // BINQ_TESTS_CORE_TEXT_SENTENCEPIECE_REFERENCE_H_
