#include "core/text/sentencepiece_model.h"

#include <algorithm>
#include <cstdio>
#include <cstring>
#include <functional>
#include <queue>
#include <utility>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "core/base/status_macros.h"
#include "core/text/utf8.h"

namespace binq::core::sp_internal {
namespace {

constexpr char kSpaceSymbol[] = "\xE2\x96\x81";  // U+2581
constexpr size_t kSpaceSymbolSize = 3;

// Protobuf wire format, the part a ModelProto uses.
class WireReader {
 public:
  explicit WireReader(absl::string_view bytes)
      : p_(bytes.data()), end_(bytes.data() + bytes.size()) {}
  bool done() const { return p_ == end_; }

  bool Varint(uint64_t* value) {
    *value = 0;
    for (int shift = 0; shift < 64 && p_ < end_; shift += 7) {
      const auto byte = static_cast<unsigned char>(*p_++);
      *value |= static_cast<uint64_t>(byte & 0x7F) << shift;
      if ((byte & 0x80) == 0) return true;
    }
    return false;
  }
  // The next field's number and wire type.
  bool Tag(int* field, int* wire_type) {
    uint64_t tag;
    if (!Varint(&tag) || (tag >> 3) == 0 || (tag >> 3) > (1u << 29))
      return false;
    *field = static_cast<int>(tag >> 3);
    *wire_type = static_cast<int>(tag & 7);
    return true;
  }
  bool Bytes(absl::string_view* value) {
    uint64_t length;
    if (!Varint(&length) || length > static_cast<uint64_t>(end_ - p_))
      return false;
    *value = absl::string_view(p_, length);
    p_ += length;
    return true;
  }
  bool Fixed32(uint32_t* value) {
    if (end_ - p_ < 4) return false;
    std::memcpy(value, p_,
                4);  // little-endian on every machine binq builds for
    p_ += 4;
    return true;
  }
  bool Skip(int wire_type) {
    uint64_t ignored;
    absl::string_view bytes;
    uint32_t fixed;
    switch (wire_type) {
      case 0:
        return Varint(&ignored);
      case 1:
        if (end_ - p_ < 8) return false;
        p_ += 8;
        return true;
      case 2:
        return Bytes(&bytes);
      case 5:
        return Fixed32(&fixed);
      default:
        return false;  // groups are not used by sentencepiece_model.proto
    }
  }

 private:
  const char* p_;
  const char* end_;
};

absl::Status Malformed(absl::string_view what) {
  return absl::DataLossError(
      absl::StrCat("not a SentencePiece model: malformed ", what));
}

}  // namespace

absl::StatusOr<std::unique_ptr<SentencePieceModel>> SentencePieceModel::Load(
    absl::string_view serialized, bool disable_dummy_prefix) {
  std::unique_ptr<SentencePieceModel> m(new SentencePieceModel());
  int model_type = 1;  // UNIGRAM, the proto's default
  bool suffix_whitespace = false;
  absl::string_view charsmap;
  WireReader model(serialized);
  while (!model.done()) {
    int field, wire;
    if (!model.Tag(&field, &wire)) return Malformed("ModelProto");
    absl::string_view message;
    if (wire != 2 || (field != 1 && field != 2 && field != 3)) {
      if (!model.Skip(wire)) return Malformed("ModelProto");
      continue;
    }
    if (!model.Bytes(&message)) return Malformed("ModelProto field");
    WireReader r(message);
    if (field == 1) {  // repeated SentencePiece pieces
      Piece piece;
      while (!r.done()) {
        int f, w;
        uint64_t v;
        uint32_t bits;
        absl::string_view text;
        if (!r.Tag(&f, &w)) return Malformed("SentencePiece");
        if (f == 1 && w == 2 && r.Bytes(&text)) {
          piece.text = std::string(text);
        } else if (f == 2 && w == 5 && r.Fixed32(&bits)) {
          std::memcpy(&piece.score, &bits, 4);
        } else if (f == 3 && w == 0 && r.Varint(&v)) {
          piece.type = static_cast<int>(v);
        } else if ((f == 1 || f == 2 || f == 3) || !r.Skip(w)) {
          return Malformed("SentencePiece");
        }
      }
      m->pieces_.push_back(std::move(piece));
      continue;
    }
    while (!r.done()) {  // TrainerSpec (2) or NormalizerSpec (3): the scalar
                         // fields used
      int f, w;
      uint64_t v = 0;
      absl::string_view text;
      if (!r.Tag(&f, &w))
        return Malformed(field == 2 ? "TrainerSpec" : "NormalizerSpec");
      if (w == 0) {
        if (!r.Varint(&v)) return Malformed("varint");
      } else if (w == 2) {
        if (!r.Bytes(&text)) return Malformed("string");
      } else if (!r.Skip(w)) {
        return Malformed("field");
      }
      if (field == 2) {
        if (f == 3) model_type = static_cast<int>(v);
        if (f == 24) suffix_whitespace = v != 0;
        if (f == 35) m->byte_fallback_ = v != 0;
        if (f == 40) m->unk_id_ = static_cast<int>(static_cast<int32_t>(v));
        if (f == 44 && w == 2) m->unk_surface_ = std::string(text);
      } else {
        if (f == 2 && w == 2) charsmap = text;
        if (f == 3) m->add_dummy_prefix_ = v != 0;
        if (f == 4) m->remove_extra_whitespaces_ = v != 0;
        if (f == 5) m->escape_whitespaces_ = v != 0;
      }
    }
  }
  if (m->pieces_.empty())
    return absl::DataLossError("not a SentencePiece model: no pieces");
  if (model_type != 2) {
    return absl::UnimplementedError(absl::StrCat(
        "SentencePiece model_type ", model_type,
        " is not supported (BPE = 2 only; LLaMA and Gemma are BPE)"));
  }
  if (!charsmap.empty()) {
    return absl::UnimplementedError(
        "SentencePiece normalizer with a precompiled character map (e.g. "
        "nmt_nfkc) is not supported "
        "(identity only, as LLaMA and Gemma)");
  }
  if (suffix_whitespace)
    return absl::UnimplementedError(
        "SentencePiece treat_whitespace_as_suffix is not supported");
  if (disable_dummy_prefix) m->add_dummy_prefix_ = false;
  m->byte_ids_.fill(-1);
  for (int id = 0; id < m->size(); ++id) {
    const Piece& p = m->pieces_[id];
    const bool normal =
        p.type == kNormal || p.type == kUserDefined || p.type == kUnused;
    if (!(normal ? m->normal_ : m->reserved_).emplace(p.text, id).second) {
      return absl::DataLossError(absl::StrCat(
          "not a SentencePiece model: piece '", p.text, "' occurs twice"));
    }
    if (p.type == kUserDefined && !p.text.empty()) {
      m->user_defined_.push_back(p.text);
      m->user_first_byte_[static_cast<unsigned char>(p.text[0])] = true;
    }
    if (p.type == kByte && p.text.size() == 6) {
      unsigned value;
      if (std::sscanf(p.text.c_str(), "<0x%2X>", &value) == 1 && value < 256)
        m->byte_ids_[value] = id;
    }
  }
  std::sort(m->user_defined_.begin(), m->user_defined_.end(),
            [](const std::string& a, const std::string& b) {
              return a.size() > b.size();
            });
  if (m->unk_id_ < 0 || m->unk_id_ >= m->size()) {
    return absl::DataLossError(absl::StrCat(
        "not a SentencePiece model: unk_id ", m->unk_id_, " is not a piece"));
  }
  return m;
}

int SentencePieceModel::PieceToId(absl::string_view piece) const {
  if (auto it = normal_.find(piece); it != normal_.end()) return it->second;
  if (auto it = reserved_.find(piece); it != reserved_.end()) return it->second;
  return unk_id_;
}

std::string SentencePieceModel::IdToPiece(int id) const {
  return id >= 0 && id < size() ? pieces_[id].text : std::string();
}
bool SentencePieceModel::IsUnknown(int id) const {
  return id >= 0 && id < size() && pieces_[id].type == kUnknown;
}
bool SentencePieceModel::IsControl(int id) const {
  return id >= 0 && id < size() && pieces_[id].type == kControl;
}

std::string SentencePieceModel::Normalize(absl::string_view text) const {
  const std::string space =
      escape_whitespaces_ ? std::string(kSpaceSymbol) : std::string(" ");
  size_t begin = 0, end = text.size();
  if (remove_extra_whitespaces_) {
    while (begin < end && text[begin] == ' ') ++begin;
    while (end > begin && text[end - 1] == ' ') --end;
  }
  std::string out;
  if (begin == end) return out;
  out.reserve((end - begin) * 3 / 2 + 3);
  if (add_dummy_prefix_) out += space;
  bool previous_space = false;
  for (size_t i = begin; i < end; ++i) {
    const bool is_space = text[i] == ' ';
    if (is_space && previous_space && remove_extra_whitespaces_) continue;
    previous_space = is_space;
    if (is_space) {
      out += space;
    } else {
      out.push_back(text[i]);
    }
  }
  return out;
}

std::vector<int> SentencePieceModel::Encode(absl::string_view text) const {
  const std::string normalized = Normalize(text);
  struct Symbol {
    int start, length, prev, next;
    bool frozen;
  };
  std::vector<Symbol> symbols;
  const auto* p = reinterpret_cast<const unsigned char*>(normalized.data());
  for (size_t i = 0; i < normalized.size();) {
    int length = 0;
    bool frozen = false;
    if (user_first_byte_[p[i]]) {
      for (const std::string& user : user_defined_) {
        if (normalized.compare(i, user.size(), user) == 0) {
          length = static_cast<int>(user.size());
          frozen = true;
          break;
        }
      }
    }
    if (length == 0) {
      char32_t cp;
      length = DecodeUtf8(p + i, &cp);
    }
    const int index = static_cast<int>(symbols.size());
    symbols.push_back({static_cast<int>(i), length, index - 1, -1, frozen});
    if (index > 0) symbols[index - 1].next = index;
    i += length;
  }
  struct Pair {
    float score;
    int left, right, size;
  };
  const auto worse = [](const Pair& a, const Pair& b) {
    return a.score != b.score
               ? a.score < b.score
               : a.left > b.left;  // best score, then leftmost, on top
  };
  std::priority_queue<Pair, std::vector<Pair>, decltype(worse)> agenda(worse);
  absl::flat_hash_map<absl::string_view,
                      std::pair<absl::string_view, absl::string_view>>
      unused_parts;
  auto view = [&](const Symbol& s) {
    return absl::string_view(normalized).substr(s.start, s.length);
  };
  auto consider = [&](int left, int right) {
    if (left < 0 || right < 0 || symbols[left].frozen || symbols[right].frozen)
      return;
    const absl::string_view joined =
        absl::string_view(normalized)
            .substr(symbols[left].start,
                    symbols[left].length + symbols[right].length);
    auto it = normal_.find(joined);
    if (it == normal_.end()) return;
    agenda.push({pieces_[it->second].score, left, right,
                 static_cast<int>(joined.size())});
    if (pieces_[it->second].type == kUnused)
      unused_parts[joined] = {view(symbols[left]), view(symbols[right])};
  };
  for (size_t i = 1; i < symbols.size(); ++i)
    consider(static_cast<int>(i) - 1, static_cast<int>(i));
  while (!agenda.empty()) {
    const Pair top = agenda.top();
    agenda.pop();
    Symbol& left = symbols[top.left];
    Symbol& right = symbols[top.right];
    if (left.length == 0 || right.length == 0 ||
        left.length + right.length != top.size)
      continue;
    left.length += right.length;
    left.next = right.next;
    if (right.next >= 0) symbols[right.next].prev = top.left;
    right.length = 0;
    consider(left.prev, top.left);
    consider(top.left, left.next);
  }
  std::vector<int> ids;
  std::function<void(absl::string_view)> emit = [&](absl::string_view piece) {
    const int id = PieceToId(piece);
    if (id >= 0 && pieces_[id].type == kUnused) {
      if (auto it = unused_parts.find(piece); it != unused_parts.end()) {
        emit(it->second.first);
        emit(it->second.second);
        return;
      }
    }
    if (id == unk_id_ && byte_fallback_ && IsUnknown(id)) {
      for (const char c : piece)
        ids.push_back(byte_ids_[static_cast<unsigned char>(c)] >= 0
                          ? byte_ids_[static_cast<unsigned char>(c)]
                          : unk_id_);
      return;
    }
    ids.push_back(id);
  };
  for (int i = symbols.empty() ? -1 : 0; i >= 0; i = symbols[i].next)
    emit(view(symbols[i]));
  return ids;
}

std::string SentencePieceModel::Decode(const std::vector<int>& ids) const {
  std::string out;
  bool first_text = true;
  for (const int id : ids) {
    if (id < 0 || id >= size() || pieces_[id].type == kControl) continue;
    const Piece& piece = pieces_[id];
    if (piece.type == kByte) {
      unsigned value = 0;
      if (std::sscanf(piece.text.c_str(), "<0x%2X>", &value) == 1)
        out.push_back(static_cast<char>(value));
      first_text = false;
      continue;
    }
    std::string text = piece.type == kUnknown ? unk_surface_ : piece.text;
    if (first_text && (add_dummy_prefix_ || remove_extra_whitespaces_) &&
        text.rfind(kSpaceSymbol, 0) == 0) {
      text.erase(0, kSpaceSymbolSize);
    }
    first_text = false;
    for (size_t pos = text.find(kSpaceSymbol); pos != std::string::npos;
         pos = text.find(kSpaceSymbol, pos + 1)) {
      text.replace(pos, kSpaceSymbolSize, " ");
    }
    out += text;
  }
  return out;
}

}  // namespace binq::core::sp_internal
