// SentencePiece `tokenizer.model` files read and run without the
// sentencepiece library: Debian's libsentencepiece.so (0.1.97) carries its
// own copy of protobuf-lite and exports it, and a process that also loads
// libprotobuf.so (binq-run and binqd through gRPC) crashes at start-up when
// the two copies interpose. So binq parses the ModelProto itself (protobuf
// wire format; only the fields encoding needs) and encodes as the library's
// BPE model does:
//  * normalization with the identity rule set (LLaMA, Gemma): optional
//    removal of extra spaces, the dummy-prefix "▁", spaces escaped as "▁";
//    a model with a precompiled character map (NFKC and the like) is refused;
//  * the text split into characters, user-defined pieces (longest match)
//    kept whole; then repeatedly the adjacent pair whose concatenation is a
//    piece with the highest score (leftmost on ties) is merged; unused pieces
//    split back into their parts;
//  * a symbol that is no piece becomes its UTF-8 bytes `<0xAB>` with
//    byte_fallback, else the unknown id.
// tests/core/text checks this against libsentencepiece itself (a test binary
// that loads no libprotobuf). Unigram models are refused. Internal to
// core/text; immutable after Load and thread-safe.
#ifndef BINQ_CORE_TEXT_SENTENCEPIECE_MODEL_H_
#define BINQ_CORE_TEXT_SENTENCEPIECE_MODEL_H_

#include <array>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"

namespace binq::core::sp_internal {

class SentencePieceModel {
 public:
  // From the bytes of tokenizer.model. With `disable_dummy_prefix`
  // add_dummy_prefix is false whatever the model says (transformers'
  // LlamaTokenizer with legacy=False). DATA_LOSS for bytes that are not a
  // model (naming the field); UNIMPLEMENTED for a model type other than BPE,
  // a precompiled normalization map, or treat_whitespace_as_suffix.
  [[nodiscard]] static absl::StatusOr<std::unique_ptr<SentencePieceModel>> Load(
      absl::string_view serialized, bool disable_dummy_prefix);

  // Ids of `text` (well-formed UTF-8), as SentencePieceProcessor::Encode.
  std::vector<int> Encode(absl::string_view text) const;
  // Text of `ids`: pieces with "▁" as spaces, byte pieces as bytes, control
  // pieces dropped, the unknown piece as the model's unk surface; the leading
  // space of a dummy prefix dropped.
  std::string Decode(const std::vector<int>& ids) const;

  int size() const { return static_cast<int>(pieces_.size()); }
  int PieceToId(absl::string_view piece) const;  // unk_id() when not a piece
  std::string IdToPiece(int id) const;
  int unk_id() const { return unk_id_; }
  bool IsUnknown(int id) const;
  bool IsControl(int id) const;

 private:
  enum Type : int {
    kNormal = 1,
    kUnknown = 2,
    kControl = 3,
    kUserDefined = 4,
    kUnused = 5,
    kByte = 6
  };
  struct Piece {
    std::string text;
    float score = 0;
    int type = kNormal;
  };
  SentencePieceModel() = default;
  std::string Normalize(absl::string_view text) const;
  // Appends the ids of `piece` (a final symbol), splitting unused pieces and
  // falling back to bytes.
  void EmitPiece(absl::string_view piece, std::vector<int>* ids) const;

  std::vector<Piece> pieces_;
  absl::flat_hash_map<std::string, int>
      normal_;  // NORMAL, USER_DEFINED, UNUSED pieces
  absl::flat_hash_map<std::string, int> reserved_;  // the others
  std::vector<std::string> user_defined_;  // matched whole, longest first
  std::array<bool, 256> user_first_byte_{};
  std::array<int, 256> byte_ids_{};
  bool byte_fallback_ = false;
  bool add_dummy_prefix_ = true;
  bool remove_extra_whitespaces_ = true;
  bool escape_whitespaces_ = true;
  int unk_id_ = 0;
  std::string unk_surface_ = " \xE2\x81\x87 ";
};

}  // namespace binq::core::sp_internal

#endif  // BINQ_CORE_TEXT_SENTENCEPIECE_MODEL_H_
