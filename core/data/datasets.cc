#include "core/data/datasets.h"

#include <algorithm>
#include <memory>
#include <unordered_map>
#include <utility>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "core/base/status_macros.h"
#include "core/data/gzip_jsonl.h"
#include "core/data/python_random.h"
#include "core/data/text_rows.h"

namespace binq::core {
namespace {

enum class Kind { kWikiText2, kPtb, kC4, kCustom };

absl::StatusOr<Kind> KindOf(const DatasetFiles& files) {
  if (files.custom) return Kind::kCustom;
  if (files.name == "wikitext2") return Kind::kWikiText2;
  if (files.name == "ptb") return Kind::kPtb;
  if (files.name == "c4") return Kind::kC4;
  return absl::InvalidArgumentError(
      absl::StrCat("dataset: unknown built-in dataset \"", files.name, "\""));
}

absl::Status CheckOptions(const CalibrationOptions& options) {
  if (options.nsamples < 1) {
    return absl::InvalidArgumentError(
        absl::StrCat("nsamples: must be ≥ 1, got ", options.nsamples));
  }
  if (options.seqlen < 1) {
    return absl::InvalidArgumentError(absl::StrCat("seqlen: must be ≥ 1, got ", options.seqlen));
  }
  if (options.max_document_draws < 1) {
    return absl::InvalidArgumentError(
        absl::StrCat("max_document_draws: must be ≥ 1, got ", options.max_document_draws));
  }
  return absl::OkStatus();
}

// EncodeForModel with progress (one call: 0, then all bytes) and context.
absl::StatusOr<std::vector<int32_t>> Tokenize(const Tokenizer& tokenizer, absl::string_view text,
                                              absl::string_view step,
                                              const DataProgressFn& progress,
                                              const CancelToken* cancel) {
  BINQ_RETURN_IF_CANCELLED(cancel, absl::StrCat(step, ": cancelled"));
  const auto total = static_cast<int64_t>(text.size());
  ReportProgress(progress, step, "bytes", 0, total);
  absl::StatusOr<std::vector<int32_t>> ids = tokenizer.EncodeForModel(text);
  if (!ids.ok()) return WithContext(ids.status(), step);
  ReportProgress(progress, step, "bytes", total, total);
  BINQ_RETURN_IF_CANCELLED(cancel, absl::StrCat(step, ": cancelled"));
  return ids;
}

std::string Join(const std::vector<std::string>& rows, absl::string_view separator) {
  return absl::StrJoin(rows, separator);
}

}  // namespace

absl::StatusOr<CalibrationSet> SampleTokenWindows(absl::string_view dataset,
                                                  absl::Span<const int32_t> ids,
                                                  const CalibrationOptions& options) {
  BINQ_RETURN_IF_ERROR(CheckOptions(options));
  const auto n = static_cast<int64_t>(ids.size());
  if (n <= options.seqlen) {
    return absl::InvalidArgumentError(absl::StrCat(
        "dataset ", dataset, ": the calibration text has ", n,
        " tokens; drawing windows of seqlen = ", options.seqlen, " tokens needs more than ",
        options.seqlen));
  }
  CalibrationSet set;
  set.dataset = std::string(dataset);
  set.seqlen = options.seqlen;
  set.stream_tokens = n;
  set.ids.reserve(static_cast<size_t>(options.nsamples * options.seqlen));
  set.starts.reserve(static_cast<size_t>(options.nsamples));
  PythonRandom random(options.seed);
  for (int64_t s = 0; s < options.nsamples; ++s) {
    BINQ_ASSIGN_OR_RETURN(const int64_t i, random.RandInt(0, n - options.seqlen - 1));
    set.starts.push_back(i);
    set.ids.insert(set.ids.end(), ids.begin() + i, ids.begin() + i + options.seqlen);
  }
  return set;
}

absl::StatusOr<CalibrationSet> SampleDocumentWindows(
    absl::string_view dataset, int64_t num_documents,
    absl::FunctionRef<absl::StatusOr<std::string>(int64_t)> document, const Tokenizer& tokenizer,
    const CalibrationOptions& options, const DataProgressFn& progress,
    const CancelToken* cancel) {
  BINQ_RETURN_IF_ERROR(CheckOptions(options));
  if (num_documents < 1) {
    return absl::InvalidArgumentError(
        absl::StrCat("dataset ", dataset, ": the train split holds no documents"));
  }
  const std::string step = absl::StrCat("sampling ", dataset, " windows");
  CalibrationSet set;
  set.dataset = std::string(dataset);
  set.seqlen = options.seqlen;
  set.ids.reserve(static_cast<size_t>(options.nsamples * options.seqlen));
  // Token counts of documents found too short: drawing one again needs no
  // tokenizer call (the random stream is consumed the same way).
  std::unordered_map<int64_t, int64_t> short_documents;
  PythonRandom random(options.seed);
  ReportProgress(progress, step, "windows", 0, options.nsamples);
  for (int64_t s = 0; s < options.nsamples; ++s) {
    std::vector<int32_t> ids;
    int64_t k = 0;
    int64_t longest = 0;
    for (int64_t draws = 0;; ++draws) {
      if (draws == options.max_document_draws) {
        return absl::InvalidArgumentError(absl::StrCat(
            "dataset ", dataset, ": no document longer than seqlen = ", options.seqlen,
            " tokens in ", draws, " draws for window ", s, " (the longest drawn has ", longest,
            " tokens; ", num_documents, " documents)"));
      }
      BINQ_RETURN_IF_CANCELLED(cancel, absl::StrCat(step, ": cancelled"));
      BINQ_ASSIGN_OR_RETURN(k, random.RandInt(0, num_documents - 1));
      ++set.document_draws;
      if (auto it = short_documents.find(k); it != short_documents.end()) {
        longest = std::max(longest, it->second);
        continue;
      }
      absl::StatusOr<std::string> text = document(k);
      if (!text.ok()) {
        return WithContext(text.status(), absl::StrCat("dataset ", dataset, " document ", k));
      }
      absl::StatusOr<std::vector<int32_t>> encoded = tokenizer.EncodeForModel(*text);
      if (!encoded.ok()) {
        return WithContext(encoded.status(),
                           absl::StrCat("tokenizing dataset ", dataset, " document ", k));
      }
      const auto length = static_cast<int64_t>(encoded->size());
      if (length > options.seqlen) {  // strict, as BiLLM (GPTQ has ≥)
        ids = *std::move(encoded);
        break;
      }
      short_documents.emplace(k, length);
      longest = std::max(longest, length);
    }
    const auto n = static_cast<int64_t>(ids.size());
    BINQ_ASSIGN_OR_RETURN(const int64_t i, random.RandInt(0, n - options.seqlen - 1));
    set.starts.push_back(i);
    set.documents.push_back(k);
    set.ids.insert(set.ids.end(), ids.begin() + i, ids.begin() + i + options.seqlen);
    ReportProgress(progress, step, "windows", s + 1, options.nsamples);
  }
  return set;
}

absl::StatusOr<std::string> CalibrationText(const DatasetFiles& files) {
  BINQ_ASSIGN_OR_RETURN(const Kind kind, KindOf(files));
  switch (kind) {
    case Kind::kWikiText2: {
      BINQ_ASSIGN_OR_RETURN(std::vector<std::string> rows, ReadWikiTextRows(files.train));
      return Join(rows, " ");  // BiLLM joins with one space (GPTQ: "\n\n")
    }
    case Kind::kPtb: {
      BINQ_ASSIGN_OR_RETURN(std::vector<std::string> rows, ReadPtbRows(files.train));
      return Join(rows, " ");
    }
    case Kind::kCustom:
      return ReadUtf8TextFile(files.train);
    case Kind::kC4:
      break;
  }
  return absl::InvalidArgumentError(
      "dataset c4: calibration draws documents one by one; there is no joined train text");
}

absl::StatusOr<std::string> TestText(const DatasetFiles& files, const DataProgressFn& progress,
                                     const CancelToken* cancel) {
  BINQ_ASSIGN_OR_RETURN(const Kind kind, KindOf(files));
  switch (kind) {
    case Kind::kWikiText2: {
      BINQ_ASSIGN_OR_RETURN(std::vector<std::string> rows, ReadWikiTextRows(files.test));
      return Join(rows, "\n\n");
    }
    case Kind::kPtb: {
      BINQ_ASSIGN_OR_RETURN(std::vector<std::string> rows, ReadPtbRows(files.test));
      return Join(rows, " ");
    }
    case Kind::kCustom:
      return ReadUtf8TextFile(files.test);
    case Kind::kC4: {
      BINQ_ASSIGN_OR_RETURN(std::vector<std::string> docs,
                            ReadGzipJsonlTexts(files.test, kC4TestDocuments, progress, cancel,
                                               "reading c4 validation"));
      return Join(docs, " ");
    }
  }
  return absl::InternalError("unreachable");
}

absl::StatusOr<CalibrationSet> LoadCalibrationSet(const DatasetFiles& files,
                                                  const Tokenizer& tokenizer,
                                                  const CalibrationOptions& options,
                                                  const DataProgressFn& progress,
                                                  const CancelToken* cancel) {
  BINQ_RETURN_IF_ERROR(CheckOptions(options));
  BINQ_ASSIGN_OR_RETURN(const Kind kind, KindOf(files));
  if (kind == Kind::kC4) {
    GzipJsonlOptions gz_options;
    gz_options.progress_step = "reading c4 train";
    BINQ_ASSIGN_OR_RETURN(std::unique_ptr<GzipJsonlDocuments> docs,
                          GzipJsonlDocuments::Open(files.train, gz_options, progress, cancel));
    return SampleDocumentWindows(
        files.name, docs->size(), [&](int64_t k) { return docs->Text(k); }, tokenizer, options,
        progress, cancel);
  }
  BINQ_RETURN_IF_CANCELLED(cancel, "reading calibration text: cancelled");
  BINQ_ASSIGN_OR_RETURN(std::string text, CalibrationText(files));
  BINQ_ASSIGN_OR_RETURN(std::vector<int32_t> ids,
                        Tokenize(tokenizer, text, absl::StrCat("tokenizing ", files.name, " train"),
                                 progress, cancel));
  return SampleTokenWindows(files.name, ids, options);
}

absl::StatusOr<std::vector<int32_t>> LoadTestTokens(const DatasetFiles& files,
                                                    const Tokenizer& tokenizer, int64_t seqlen,
                                                    const DataProgressFn& progress,
                                                    const CancelToken* cancel) {
  if (seqlen < 1) {
    return absl::InvalidArgumentError(absl::StrCat("seqlen: must be ≥ 1, got ", seqlen));
  }
  BINQ_ASSIGN_OR_RETURN(const Kind kind, KindOf(files));
  BINQ_ASSIGN_OR_RETURN(std::string text, TestText(files, progress, cancel));
  BINQ_ASSIGN_OR_RETURN(std::vector<int32_t> ids,
                        Tokenize(tokenizer, text, absl::StrCat("tokenizing ", files.name, " test"),
                                 progress, cancel));
  if (kind == Kind::kC4) {
    const int64_t keep = kC4TestWindows * seqlen;
    if (static_cast<int64_t>(ids.size()) > keep) ids.resize(static_cast<size_t>(keep));
  }
  if (static_cast<int64_t>(ids.size()) < seqlen) {
    // No window: the reference would divide by zero windows.
    return absl::InvalidArgumentError(absl::StrCat("dataset ", files.name, ": the test text has ",
                                                   ids.size(), " tokens, fewer than one window of "
                                                   "seqlen = ", seqlen));
  }
  return ids;
}

}  // namespace binq::core
