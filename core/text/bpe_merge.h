// The BPE merge loop shared by the tokenizers: symbols (token ids) merged by
// rank. Two orders, because the two Hugging Face implementations differ on
// rare inputs:
//  * kRounds — transformers' slow GPT2Tokenizer: the lowest rank present is
//    merged at every occurrence, left to right, before pairs created by that
//    round are considered;
//  * kOneAtATime — the `tokenizers` library (tokenizer.json): one merge at a
//    time, always the lowest (rank, position) pair, so a pair a merge creates
//    can go before a remaining pair of the same round's rank.
// Internal to core/text.
#ifndef BINQ_CORE_TEXT_BPE_MERGE_H_
#define BINQ_CORE_TEXT_BPE_MERGE_H_

#include <cstdint>
#include <vector>

#include "absl/container/flat_hash_map.h"

namespace binq::core {

struct BpeMergeRule {
  int32_t rank;
  int32_t result;
};
using BpeMergeTable =
    absl::flat_hash_map<uint64_t, BpeMergeRule>;  // BpePairKey → rule

inline uint64_t BpePairKey(int32_t left, int32_t right) {
  return (static_cast<uint64_t>(static_cast<uint32_t>(left)) << 32) |
         static_cast<uint32_t>(right);
}

enum class BpeMergeOrder { kRounds, kOneAtATime };

// Merges `*symbols` in place. Thread-safe (scratch is thread-local).
void MergeBpeSymbols(const BpeMergeTable& merges, BpeMergeOrder order,
                     std::vector<int32_t>* symbols);

}  // namespace binq::core

#endif  // BINQ_CORE_TEXT_BPE_MERGE_H_
