// The datasets of a job as the reference scripts form them (ALGORITHMS.md §8):
// calibration windows exactly as BiLLM's `datautils.py: get_loaders` draws
// them (same CPython random stream, same joins, same C4 length test), test
// token streams as §8.4 builds them, and the evaluation windows of §8.5.
//
// Built-in datasets read the publishers' files that LocateDataset
// (core/base/dataset_files.h) finds: wikitext2 (wiki.{train,test}.raw), ptb
// (ptb.{train,test}.txt), c4 (the two .json.gz shards). A custom dataset is a
// plain UTF-8 text file: calibration windows are drawn from its whole text
// like wikitext2's train split, and evaluation uses its whole text.
//
// Tokens come from Tokenizer::EncodeForModel, which prepends BOS as the
// references' tokenizer calls do (§8.2). Functions are thread-compatible: they
// share no state, and call `tokenizer` and `progress` on the calling thread.
//
// Errors: those of the readers (text_rows.h, gzip_jsonl.h) and the tokenizer,
// with the dataset named; INVALID_ARGUMENT for bad options (naming the field)
// and for too little data (naming the dataset, its token count and seqlen);
// CANCELLED when `cancel` fires (checked between documents, reads and
// tokenizer calls — not inside one tokenizer call).
#ifndef BINQ_CORE_DATA_DATASETS_H_
#define BINQ_CORE_DATA_DATASETS_H_

#include <cstdint>
#include <string>
#include <vector>

#include "absl/functional/function_ref.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/types/span.h"
#include "core/base/cancel_token.h"
#include "core/base/dataset_files.h"
#include "core/data/progress.h"
#include "core/text/tokenizer.h"

namespace binq::core {

// C4's test set: the first 1100 validation documents, joined with " ", cut to
// 256 windows of seqlen tokens (GPTQ's `c4-new`, BiLLM's `c4`).
inline constexpr int64_t kC4TestDocuments = 1100;
inline constexpr int64_t kC4TestWindows = 256;

struct CalibrationOptions {
  int64_t nsamples = 128;  // windows
  int64_t seqlen = 2048;   // tokens per window
  uint64_t seed = 0;       // random.seed(seed) at the start of the loader
  // C4: documents drawn for one window before giving up. The reference
  // loops forever when no document is longer than seqlen; the chance that a
  // real C4 shard needs this many draws at seqlen 2048 is nil.
  int64_t max_document_draws = 10000;
};

// The calibration windows, in the order drawn.
struct CalibrationSet {
  std::string dataset;
  int64_t seqlen = 0;
  std::vector<int32_t> ids;        // num_windows() × seqlen, row-major
  std::vector<int64_t> starts;     // first token of each window in its stream
  std::vector<int64_t> documents;  // c4: the document of each window; else empty
  int64_t stream_tokens = 0;       // wikitext2/ptb/custom: tokens of the joined text
  int64_t document_draws = 0;      // c4: documents drawn in all

  int64_t num_windows() const { return static_cast<int64_t>(starts.size()); }
  absl::Span<const int32_t> window(int64_t i) const {
    return absl::MakeConstSpan(ids).subspan(static_cast<size_t>(i * seqlen),
                                            static_cast<size_t>(seqlen));
  }
};

// The calibration set of `files` (wikitext2, ptb, c4, or custom), §8.3.
// Reading the C4 train shard takes a pass over the whole file; only the
// documents drawn are tokenized.
[[nodiscard]] absl::StatusOr<CalibrationSet> LoadCalibrationSet(
    const DatasetFiles& files, const Tokenizer& tokenizer, const CalibrationOptions& options,
    const DataProgressFn& progress = nullptr, const CancelToken* cancel = nullptr);

// The evaluation token stream of `files` (§8.4): all tokens for wikitext2,
// ptb and custom; c4 cut to kC4TestWindows · seqlen tokens. INVALID_ARGUMENT
// when it holds fewer than seqlen tokens (not one window).
[[nodiscard]] absl::StatusOr<std::vector<int32_t>> LoadTestTokens(
    const DatasetFiles& files, const Tokenizer& tokenizer, int64_t seqlen,
    const DataProgressFn& progress = nullptr, const CancelToken* cancel = nullptr);

// The texts before tokenization. Calibration: the joined train split
// (" ".join(rows) for wikitext2 and ptb, the whole file for custom;
// INVALID_ARGUMENT for c4, which is drawn per document). Test: "\n\n".join
// of wikitext2's rows, " ".join of ptb's, " ".join of C4's first 1100
// validation documents, the whole custom file.
[[nodiscard]] absl::StatusOr<std::string> CalibrationText(const DatasetFiles& files);
[[nodiscard]] absl::StatusOr<std::string> TestText(const DatasetFiles& files,
                                                   const DataProgressFn& progress = nullptr,
                                                   const CancelToken* cancel = nullptr);

// Building blocks, also used on their own (tests, tools).

// BiLLM's wikitext2/ptb sampler over one token stream: seed the stream, then
// nsamples times i = randint(0, len − seqlen − 1), window ids[i : i+seqlen].
// INVALID_ARGUMENT when len ≤ seqlen (naming `dataset`).
[[nodiscard]] absl::StatusOr<CalibrationSet> SampleTokenWindows(
    absl::string_view dataset, absl::Span<const int32_t> ids, const CalibrationOptions& options);

// BiLLM's c4 sampler over `num_documents` documents: per window, repeat
// { k = randint(0, D − 1); ids = EncodeForModel(document(k)) } until
// len(ids) > seqlen, then i = randint(0, len − seqlen − 1); both from one
// stream. Progress in "windows". INVALID_ARGUMENT when D = 0 or after
// options.max_document_draws draws without a long enough document.
[[nodiscard]] absl::StatusOr<CalibrationSet> SampleDocumentWindows(
    absl::string_view dataset, int64_t num_documents,
    absl::FunctionRef<absl::StatusOr<std::string>(int64_t)> document, const Tokenizer& tokenizer,
    const CalibrationOptions& options, const DataProgressFn& progress = nullptr,
    const CancelToken* cancel = nullptr);

// Perplexity windows over a test stream (§8.5): K = floor(N / seqlen)
// consecutive windows, window k = ids[k·seqlen, (k+1)·seqlen); the tail is
// dropped. Views `ids`, which must outlive it. seqlen must be ≥ 1.
class EvalWindows {
 public:
  EvalWindows(absl::Span<const int32_t> ids, int64_t seqlen) : ids_(ids), seqlen_(seqlen) {}

  static int64_t Count(int64_t num_tokens, int64_t seqlen) {
    return seqlen < 1 || num_tokens < 0 ? 0 : num_tokens / seqlen;
  }

  int64_t size() const { return Count(static_cast<int64_t>(ids_.size()), seqlen_); }
  int64_t seqlen() const { return seqlen_; }
  int64_t tokens_used() const { return size() * seqlen_; }
  // 0 ≤ k < size().
  absl::Span<const int32_t> window(int64_t k) const {
    return ids_.subspan(static_cast<size_t>(k * seqlen_), static_cast<size_t>(seqlen_));
  }

 private:
  absl::Span<const int32_t> ids_;
  int64_t seqlen_;
};

}  // namespace binq::core

#endif  // BINQ_CORE_DATA_DATASETS_H_
