// How the dataset code reports long steps (reading C4, tokenizing, drawing
// windows) and how it is stopped. The pipeline turns a DataProgress into a
// ProgressEvent of its current stage (core/base/event.h).
#ifndef BINQ_CORE_DATA_PROGRESS_H_
#define BINQ_CORE_DATA_PROGRESS_H_

#include <cstdint>
#include <functional>

#include "absl/strings/string_view.h"

namespace binq::core {

struct DataProgress {
  absl::string_view step;  // "reading c4 train", "tokenizing wikitext2 train", …
  absl::string_view unit;  // "bytes", "documents", "windows"
  int64_t done = 0;
  int64_t total = 0;       // 0 when not known
};

// Called on the thread doing the work, synchronously; must be cheap and must
// not call back into the dataset code. May be empty (no reporting).
using DataProgressFn = std::function<void(const DataProgress&)>;

inline void ReportProgress(const DataProgressFn& fn, absl::string_view step,
                           absl::string_view unit, int64_t done, int64_t total) {
  if (fn) fn(DataProgress{step, unit, done, total});
}

}  // namespace binq::core

#endif  // BINQ_CORE_DATA_PROGRESS_H_
