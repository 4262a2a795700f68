#include "core/text/bpe_merge.h"

#include <algorithm>

namespace binq::core {
namespace {

// Two adjacent symbols (at positions left and right) that a merge rule joins
// into `result`; stale once either symbol has changed.
struct MergeCandidate {
  int32_t rank, left, right, left_sym, right_sym, result;
};

}  // namespace

void MergeBpeSymbols(const BpeMergeTable& merges, BpeMergeOrder order,
                     std::vector<int32_t>* symbols) {
  // Symbols in a linked list over the initial positions; a merge keeps the
  // left position. Candidate pairs wait in a heap ordered by (rank, position);
  // stale candidates are skipped when popped. (In kRounds a round cannot
  // create its own pair: the merged symbol is longer than either part.)
  const int n = static_cast<int>(symbols->size());
  if (n < 2) return;
  thread_local std::vector<int32_t> sym, next, prev;
  sym.assign(symbols->begin(), symbols->end());
  next.resize(n);
  prev.resize(n);
  for (int i = 0; i < n; ++i) {
    prev[i] = i - 1;
    next[i] = i + 1 < n ? i + 1 : -1;
  }
  thread_local std::vector<MergeCandidate> heap, round;
  heap.clear();
  const auto later = [](const MergeCandidate& a, const MergeCandidate& b) {
    return a.rank != b.rank ? a.rank > b.rank : a.left > b.left;
  };
  auto consider = [&](int32_t left, int32_t right) {
    auto it = merges.find(BpePairKey(sym[left], sym[right]));
    if (it == merges.end()) return;
    heap.push_back({it->second.rank, left, right, sym[left], sym[right],
                    it->second.result});
    std::push_heap(heap.begin(), heap.end(), later);
  };
  auto apply = [&](int32_t left, int32_t right, int32_t result) {
    sym[left] = result;
    sym[right] = -1;
    next[left] = next[right];
    if (next[right] >= 0) prev[next[right]] = left;
    if (prev[left] >= 0) consider(prev[left], left);
    if (next[left] >= 0) consider(left, next[left]);
  };
  for (int i = 0; i + 1 < n; ++i) consider(i, i + 1);

  if (order == BpeMergeOrder::kRounds) {
    while (!heap.empty()) {
      round.clear();
      const int32_t rank = heap.front().rank;
      while (!heap.empty() && heap.front().rank == rank) {
        std::pop_heap(heap.begin(), heap.end(), later);
        round.push_back(heap.back());
        heap.pop_back();
      }
      for (const MergeCandidate& m : round) {
        if (sym[m.left] != m.left_sym || next[m.left] != m.right ||
            sym[m.right] != m.right_sym)
          continue;
        apply(m.left, m.right, m.result);
      }
    }
  } else {
    while (!heap.empty()) {
      std::pop_heap(heap.begin(), heap.end(), later);
      const MergeCandidate m = heap.back();
      heap.pop_back();
      // As the `tokenizers` library checks: the left symbol is still there,
      // has a right neighbour, and that pair still merges into this result.
      if (sym[m.left] < 0 || next[m.left] < 0) continue;
      const int32_t right = next[m.left];
      auto it = merges.find(BpePairKey(sym[m.left], sym[right]));
      if (it == merges.end() || it->second.result != m.result) continue;
      apply(m.left, right, m.result);
    }
  }
  symbols->clear();
  for (int i = 0; i >= 0; i = next[i]) symbols->push_back(sym[i]);
}

}  // namespace binq::core
