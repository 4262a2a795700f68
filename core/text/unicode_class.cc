#include "core/text/unicode_class.h"

#include <array>
#include <cstring>
#include <map>
#include <memory>
#include <vector>

namespace binq::core {
namespace {

#include "core/text/unicode_tables.inc"

constexpr int kBlocks = (0x10FFFF >> 8) + 1;  // 4352 blocks of 256 code points

template <int N>
constexpr int Count(const CodePointRange (&)[N]) {
  return N;
}

// Blocks with the same contents share one leaf: most of the 4352 blocks are
// all-kOther or all-kLetter, so the table is a few dozen KiB.
struct ClassTable {
  std::array<const uint8_t*, kBlocks> index{};
  std::vector<std::unique_ptr<std::array<uint8_t, 256>>> leaves;

  ClassTable() {
    std::vector<uint8_t> flat(static_cast<size_t>(kBlocks) * 256, static_cast<uint8_t>(CharClass::kOther));
    auto paint = [&flat](const CodePointRange* rs, int n, CharClass c) {
      for (int i = 0; i < n; ++i) {
        std::memset(&flat[rs[i].lo], static_cast<int>(c), rs[i].hi - rs[i].lo + 1);
      }
    };
    paint(kLetterRanges, Count(kLetterRanges), CharClass::kLetter);
    paint(kNumberRanges, Count(kNumberRanges), CharClass::kNumber);
    paint(kSpaceRanges, Count(kSpaceRanges), CharClass::kSpace);
    std::map<std::array<uint8_t, 256>, const uint8_t*> unique;
    for (int b = 0; b < kBlocks; ++b) {
      std::array<uint8_t, 256> leaf;
      std::memcpy(leaf.data(), &flat[static_cast<size_t>(b) * 256], 256);
      auto it = unique.find(leaf);
      if (it == unique.end()) {
        leaves.push_back(std::make_unique<std::array<uint8_t, 256>>(leaf));
        it = unique.emplace(leaf, leaves.back()->data()).first;
      }
      index[b] = it->second;
    }
  }
};

const ClassTable& Table() {
  static const ClassTable* const table = new ClassTable();
  return *table;
}

}  // namespace

namespace unicode_internal {

const uint8_t* ClassTableFor(char32_t cp) { return Table().index[cp >> 8]; }

#define L CharClass::kLetter
#define N CharClass::kNumber
#define S CharClass::kSpace
#define O CharClass::kOther
// ASCII, checked against the generated ranges by the tests.
// clang-format off
const CharClass kAsciiClass[128] = {
    O, O, O, O, O, O, O, O, O, S, S, S, S, S, O, O,  // 0x00: \t \n \v \f \r
    O, O, O, O, O, O, O, O, O, O, O, O, O, O, O, O,  // 0x10 (0x1C-0x1F are not \s in `regex`)
    S, O, O, O, O, O, O, O, O, O, O, O, O, O, O, O,  // 0x20: space and punctuation
    N, N, N, N, N, N, N, N, N, N, O, O, O, O, O, O,  // 0x30: digits
    O, L, L, L, L, L, L, L, L, L, L, L, L, L, L, L,  // 0x40: @ A-O
    L, L, L, L, L, L, L, L, L, L, L, O, O, O, O, O,  // 0x50: P-Z
    O, L, L, L, L, L, L, L, L, L, L, L, L, L, L, L,  // 0x60: ` a-o
    L, L, L, L, L, L, L, L, L, L, L, O, O, O, O, O,  // 0x70: p-z, DEL
};
// clang-format on
#undef L
#undef N
#undef S
#undef O

}  // namespace unicode_internal

CharClassRanges RangesOf(CharClass c) {
  switch (c) {
    case CharClass::kLetter:
      return {kLetterRanges, Count(kLetterRanges)};
    case CharClass::kNumber:
      return {kNumberRanges, Count(kNumberRanges)};
    case CharClass::kSpace:
      return {kSpaceRanges, Count(kSpaceRanges)};
    case CharClass::kOther:
      break;
  }
  return {nullptr, 0};
}

}  // namespace binq::core
