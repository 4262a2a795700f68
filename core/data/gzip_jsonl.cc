#include "core/data/gzip_jsonl.h"

#include <zlib.h>

#include <algorithm>
#include <cstring>
#include <limits>
#include <memory>
#include <utility>

#include "absl/functional/function_ref.h"
#include "absl/strings/str_cat.h"
#include "core/base/status_macros.h"
#include "core/data/json_line_check.h"
#include "nlohmann/json.hpp"

namespace binq::core {
namespace {

using data_internal::ReadOnlyFile;

constexpr size_t kWindowSize = 32768;        // deflate's history
constexpr size_t kInputChunk = size_t{1} << 20;   // reading the whole file
constexpr size_t kOutputChunk = size_t{256} << 10;
constexpr size_t kLookupChunk = size_t{64} << 10;  // Text(): a short stretch
constexpr uint64_t kProgressEvery = uint64_t{4} << 20;  // compressed bytes

// Where inflate stopped between two deflate blocks (Z_BLOCK), so that it can
// be restarted there.
struct Boundary {
  bool valid = false;
  uint64_t in = 0;
  int bits = 0;
};

// Inflates a gzip file (one or more members, zero padding between members
// allowed, as Python's gzip module reads them) from its start or from an
// access point. Not copyable; owns its z_stream.
class GzipInflater {
 public:
  GzipInflater(const ReadOnlyFile& file, size_t input_chunk)
      : file_(file), input_(new char[input_chunk]), input_size_(input_chunk) {}
  ~GzipInflater() {
    if (initialized_) inflateEnd(&strm_);
  }
  GzipInflater(const GzipInflater&) = delete;
  GzipInflater& operator=(const GzipInflater&) = delete;

  // At the first member's header. An empty file has no member: at the end.
  absl::Status StartAtBeginning() {
    BINQ_RETURN_IF_ERROR(Init(15 + 16));
    next_read_ = 0;
    BINQ_RETURN_IF_ERROR(Refill());
    at_end_ = strm_.avail_in == 0;
    return absl::OkStatus();
  }

  // Inside a member, at `point` (raw deflate; the member's trailer is
  // skipped when its last block ends).
  absl::Status StartAt(const GzipJsonlDocuments::AccessPoint& point) {
    BINQ_RETURN_IF_ERROR(Init(-15));
    raw_ = true;
    next_read_ = point.in - (point.bits > 0 ? 1 : 0);
    BINQ_RETURN_IF_ERROR(Refill());
    if (point.bits > 0) {
      if (strm_.avail_in == 0) return Corrupt("access point beyond the end of the file");
      const int byte = *strm_.next_in;
      ++strm_.next_in;
      --strm_.avail_in;
      if (inflatePrime(&strm_, point.bits, byte >> (8 - point.bits)) != Z_OK) {
        return Corrupt("cannot restart inflating at an access point");
      }
    }
    if (point.window_size > 0) {
      std::unique_ptr<Bytef[]> window(new Bytef[point.window_size]);
      uLongf size = point.window_size;
      if (uncompress(window.get(), &size, reinterpret_cast<const Bytef*>(point.window.data()),
                     point.window.size()) != Z_OK ||
          size != point.window_size ||
          inflateSetDictionary(&strm_, window.get(), point.window_size) != Z_OK) {
        return Corrupt("cannot restore the inflate window at an access point");
      }
    }
    return absl::OkStatus();
  }

  // Inflates up to `capacity` bytes into `out`. Returns the count; 0 with
  // at_end() after the last member. With `boundary` non-null, stops at every
  // deflate block boundary and says where it is (a count of 0 is then
  // possible without being at the end).
  absl::StatusOr<size_t> Read(char* out, size_t capacity, Boundary* boundary) {
    if (boundary != nullptr) boundary->valid = false;
    while (!at_end_) {
      if (strm_.avail_in == 0) BINQ_RETURN_IF_ERROR(Refill());
      strm_.next_out = reinterpret_cast<Bytef*>(out);
      strm_.avail_out = static_cast<uInt>(capacity);
      const int ret = inflate(&strm_, boundary != nullptr ? Z_BLOCK : Z_NO_FLUSH);
      const size_t produced = capacity - strm_.avail_out;
      if (ret == Z_STREAM_END) {
        BINQ_RETURN_IF_ERROR(FinishMember());
        if (produced > 0 || boundary != nullptr) return produced;
        continue;
      }
      if (ret == Z_BUF_ERROR || (ret == Z_OK && produced == 0 && strm_.avail_in == 0)) {
        if (strm_.avail_in == 0 && input_eof_) {
          return Corrupt("truncated: the compressed data ends early");
        }
        if (ret == Z_BUF_ERROR && strm_.avail_in != 0) return Corrupt("inflate made no progress");
      } else if (ret != Z_OK) {
        return Corrupt(strm_.msg != nullptr ? strm_.msg : "invalid compressed data");
      }
      if (boundary != nullptr) {
        // 128: just after an end-of-block code (or the gzip header); 64: the
        // block just finished was the member's last.
        if ((strm_.data_type & 128) != 0 && (strm_.data_type & 64) == 0) {
          boundary->valid = true;
          boundary->in = compressed_offset();
          boundary->bits = strm_.data_type & 7;
        }
        return produced;
      }
      if (produced > 0) return produced;
    }
    return size_t{0};
  }

  bool at_end() const { return at_end_; }
  // File offset of the next compressed byte inflate has not taken.
  uint64_t compressed_offset() const { return next_read_ - strm_.avail_in; }

 private:
  absl::Status Init(int window_bits) {
    if (inflateInit2(&strm_, window_bits) != Z_OK) {
      return absl::ResourceExhaustedError(absl::StrCat("inflateInit2 failed for ", file_.path()));
    }
    initialized_ = true;
    return absl::OkStatus();
  }

  absl::Status Refill() {
    if (input_eof_) return absl::OkStatus();
    BINQ_ASSIGN_OR_RETURN(const size_t n, file_.ReadAt(next_read_, input_.get(), input_size_));
    next_read_ += n;
    input_eof_ = n == 0;
    strm_.next_in = reinterpret_cast<Bytef*>(input_.get());
    strm_.avail_in = static_cast<uInt>(n);
    return absl::OkStatus();
  }

  // Takes one input byte into *byte; false at the end of the file.
  absl::StatusOr<bool> NextByte(unsigned char* byte) {
    if (strm_.avail_in == 0) BINQ_RETURN_IF_ERROR(Refill());
    if (strm_.avail_in == 0) return false;
    *byte = *strm_.next_in;
    ++strm_.next_in;
    --strm_.avail_in;
    return true;
  }

  // After a member's last block: skip its trailer when inflating raw (gzip
  // mode has checked it), then zero padding; another member or the end.
  absl::Status FinishMember() {
    unsigned char byte = 0;
    if (raw_) {
      for (int i = 0; i < 8; ++i) {
        BINQ_ASSIGN_OR_RETURN(const bool got, NextByte(&byte));
        if (!got) return Corrupt("truncated: the gzip trailer is incomplete");
      }
    }
    for (;;) {
      if (strm_.avail_in == 0) BINQ_RETURN_IF_ERROR(Refill());
      if (strm_.avail_in == 0) {
        at_end_ = true;
        return absl::OkStatus();
      }
      if (*strm_.next_in != 0) break;
      ++strm_.next_in;
      --strm_.avail_in;
    }
    if (inflateReset2(&strm_, 15 + 16) != Z_OK) return Corrupt("cannot start the next gzip member");
    raw_ = false;
    return absl::OkStatus();
  }

  absl::Status Corrupt(absl::string_view what) const {
    return absl::DataLossError(absl::StrCat(file_.path(), ": corrupt gzip data near compressed byte ",
                                            compressed_offset(), ": ", what));
  }

  const ReadOnlyFile& file_;
  z_stream strm_{};
  bool initialized_ = false;
  bool raw_ = false;
  bool at_end_ = false;
  bool input_eof_ = false;
  uint64_t next_read_ = 0;  // file offset of the next read
  std::unique_ptr<char[]> input_;  // not zeroed: only what ReadAt filled is used
  size_t input_size_;
};

bool IsJsonBlank(absl::string_view line) {
  return std::all_of(line.begin(), line.end(),
                     [](char c) { return c == ' ' || c == '\t' || c == '\r' || c == '\n'; });
}

// Parses one line; `text` (may be null) receives the "text" field.
absl::Status ParseJsonLine(absl::string_view line, const std::string& path, uint64_t line_number,
                           std::string* text) {
  nlohmann::json json;
  try {
    json = nlohmann::json::parse(line.begin(), line.end());
  } catch (const nlohmann::json::exception& e) {
    return absl::InvalidArgumentError(
        absl::StrCat(path, " line ", line_number, ": invalid JSON: ", e.what()));
  }
  if (!json.is_object()) {
    return absl::InvalidArgumentError(absl::StrCat(path, " line ", line_number,
                                                   ": expected a JSON object, got ",
                                                   json.type_name()));
  }
  auto it = json.find("text");
  if (it == json.end()) {
    return absl::InvalidArgumentError(
        absl::StrCat(path, " line ", line_number, ": no \"text\" field"));
  }
  if (!it->is_string()) {
    return absl::InvalidArgumentError(absl::StrCat(path, " line ", line_number,
                                                   ": \"text\" is a ", it->type_name(),
                                                   ", not a string"));
  }
  if (text != nullptr) *text = std::move(it->get_ref<std::string&>());
  return absl::OkStatus();
}

// Keeps `window` deflated (about a third of 32 KiB for text).
absl::Status CompressWindow(absl::string_view window, GzipJsonlDocuments::AccessPoint* point) {
  uLongf size = compressBound(window.size());
  std::unique_ptr<Bytef[]> out(new Bytef[size]);
  if (compress2(out.get(), &size, reinterpret_cast<const Bytef*>(window.data()), window.size(),
                Z_BEST_SPEED) != Z_OK) {
    return absl::ResourceExhaustedError("compressing an access point's window failed");
  }
  point->window.assign(reinterpret_cast<const char*>(out.get()), size);
  point->window_size = static_cast<uint32_t>(window.size());
  return absl::OkStatus();
}

// What ScanLines reports for each complete line (without its "\n"):
// returns false to stop reading.
using LineFn = absl::FunctionRef<absl::StatusOr<bool>(absl::string_view line, uint64_t line_number,
                                                      uint64_t offset)>;

struct ScanResult {
  std::vector<GzipJsonlDocuments::AccessPoint> access_points;
  uint64_t inflated_bytes = 0;
};

// Inflates `file` from its start and splits it into lines. With
// `span` > 0 records an access point every `span` inflated bytes.
absl::StatusOr<ScanResult> ScanLines(const ReadOnlyFile& file, uint64_t span, LineFn on_line,
                                     const DataProgressFn& progress, absl::string_view step,
                                     bool bytes_progress, const CancelToken* cancel) {
  ScanResult result;
  GzipInflater inflater(file, kInputChunk);
  BINQ_RETURN_IF_ERROR(inflater.StartAtBeginning());

  // buffer = [history (≤ 32 KiB) | new output]: the history gives the window
  // of an access point.
  std::string buffer(kWindowSize + kOutputChunk, '\0');
  size_t history = 0;
  uint64_t total_out = 0;
  uint64_t last_point = 0;
  std::string partial;          // a line that continues in the next output
  uint64_t line_start = 0;
  uint64_t line_number = 1;
  uint64_t next_progress = 0;
  uint64_t next_cancel_check = 0;

  // A line that does not parse may be the first sign of corrupt compressed
  // data: keep inflating to the end so that a CRC or format error (DATA_LOSS)
  // wins over the line's own error.
  absl::Status line_error;
  const auto emit = [&](absl::string_view line) -> bool {
    if (line_error.ok()) {
      absl::StatusOr<bool> go_on = on_line(line, line_number, line_start);
      if (!go_on.ok()) {
        line_error = go_on.status();
      } else if (!*go_on) {
        return false;
      }
    }
    ++line_number;
    return true;
  };

  while (!inflater.at_end()) {
    const uint64_t in_pos = inflater.compressed_offset();
    if (in_pos >= next_cancel_check) {
      BINQ_RETURN_IF_CANCELLED(cancel, absl::StrCat(step, ": cancelled reading ", file.path()));
      next_cancel_check = in_pos + kInputChunk;
    }
    if (bytes_progress && in_pos >= next_progress) {
      ReportProgress(progress, step, "bytes", static_cast<int64_t>(in_pos),
                     static_cast<int64_t>(file.size()));
      next_progress = in_pos + kProgressEvery;
    }

    Boundary boundary;
    char* out = buffer.data() + history;
    BINQ_ASSIGN_OR_RETURN(const size_t produced,
                          inflater.Read(out, kOutputChunk, span > 0 ? &boundary : nullptr));

    // Split the new output into lines (after a line error only inflate on).
    size_t pos = line_error.ok() ? 0 : produced;
    while (pos < produced) {
      const void* hit = std::memchr(out + pos, '\n', produced - pos);
      if (hit == nullptr) {
        partial.append(out + pos, produced - pos);
        break;
      }
      const size_t newline = static_cast<size_t>(static_cast<const char*>(hit) - out);
      absl::string_view line;
      if (partial.empty()) {
        line = absl::string_view(out + pos, newline - pos);
      } else {
        partial.append(out + pos, newline - pos);
        line = partial;
      }
      const bool go_on = emit(line);
      partial.clear();
      pos = newline + 1;
      line_start = total_out + pos;
      if (!go_on) {
        result.inflated_bytes = total_out + pos;
        return result;
      }
    }
    total_out += produced;

    if (boundary.valid && total_out - last_point >= span) {
      GzipJsonlDocuments::AccessPoint point;
      point.out = total_out;
      point.in = boundary.in;
      point.bits = boundary.bits;
      const size_t available = history + produced;
      const size_t keep = std::min(available, kWindowSize);
      BINQ_RETURN_IF_ERROR(
          CompressWindow(absl::string_view(buffer.data() + available - keep, keep), &point));
      result.access_points.push_back(std::move(point));
      last_point = total_out;
    }

    // Keep the last 32 KiB as history.
    const size_t available = history + produced;
    if (available > kWindowSize) {
      std::memmove(buffer.data(), buffer.data() + available - kWindowSize, kWindowSize);
      history = kWindowSize;
    } else {
      history = available;
    }
  }
  if (!partial.empty() && line_error.ok()) emit(partial);
  if (!line_error.ok()) return line_error;
  if (bytes_progress) {
    ReportProgress(progress, step, "bytes", static_cast<int64_t>(file.size()),
                   static_cast<int64_t>(file.size()));
  }
  result.inflated_bytes = total_out;
  return result;
}

}  // namespace

absl::StatusOr<std::unique_ptr<GzipJsonlDocuments>> GzipJsonlDocuments::Open(
    const std::string& path, const GzipJsonlOptions& options, const DataProgressFn& progress,
    const CancelToken* cancel) {
  BINQ_ASSIGN_OR_RETURN(ReadOnlyFile file, ReadOnlyFile::Open(path));
  std::unique_ptr<GzipJsonlDocuments> docs(new GzipJsonlDocuments(std::move(file)));
  BINQ_ASSIGN_OR_RETURN(docs->stamp_, docs->file_.CurrentStamp());
  const std::string& file_path = docs->file_.path();
  const uint64_t span = std::max<uint64_t>(options.access_point_span, 1);
  auto on_line = [&](absl::string_view line, uint64_t line_number,
                     uint64_t offset) -> absl::StatusOr<bool> {
    if (IsJsonBlank(line)) return true;
    if (!data_internal::IsFlatJsonObjectWithText(line)) {  // unusual: let nlohmann decide
      BINQ_RETURN_IF_ERROR(ParseJsonLine(line, file_path, line_number, nullptr));
    }
    if (line.size() > std::numeric_limits<uint32_t>::max() ||
        line_number > std::numeric_limits<uint32_t>::max()) {
      return absl::InvalidArgumentError(absl::StrCat(
          file_path, " line ", line_number, ": lines longer than 4 GiB or more than 2^32 lines "
          "are not supported"));
    }
    docs->documents_.push_back(Document{offset, static_cast<uint32_t>(line.size()),
                                        static_cast<uint32_t>(line_number)});
    return true;
  };
  BINQ_ASSIGN_OR_RETURN(ScanResult scan, ScanLines(docs->file_, span, on_line, progress,
                                                   options.progress_step, true, cancel));
  docs->access_points_ = std::move(scan.access_points);
  docs->inflated_bytes_ = scan.inflated_bytes;
  docs->documents_.shrink_to_fit();
  return docs;
}

absl::StatusOr<std::string> GzipJsonlDocuments::Text(int64_t k) const {
  if (k < 0 || k >= size()) {
    return absl::InvalidArgumentError(
        absl::StrCat(path(), ": document ", k, " out of range [0, ", size(), ")"));
  }
  const Document& doc = documents_[static_cast<size_t>(k)];
  BINQ_ASSIGN_OR_RETURN(const data_internal::ReadOnlyFile::Stamp stamp, file_.CurrentStamp());
  if (!(stamp == stamp_)) {
    return absl::DataLossError(absl::StrCat(
        path(), " changed since it was indexed (size or modification time differs)"));
  }
  GzipInflater inflater(file_, kLookupChunk);
  // The last access point at or before the line's start.
  auto it = std::upper_bound(access_points_.begin(), access_points_.end(), doc.offset,
                             [](uint64_t offset, const AccessPoint& p) { return offset < p.out; });
  uint64_t pos = 0;
  if (it == access_points_.begin()) {
    BINQ_RETURN_IF_ERROR(inflater.StartAtBeginning());
  } else {
    --it;
    BINQ_RETURN_IF_ERROR(inflater.StartAt(*it));
    pos = it->out;
  }
  std::string line;
  line.reserve(doc.length);
  std::unique_ptr<char[]> buffer(new char[kLookupChunk]);
  const uint64_t end = doc.offset + doc.length;
  while (pos < end) {
    BINQ_ASSIGN_OR_RETURN(const size_t produced,
                          inflater.Read(buffer.get(), kLookupChunk, nullptr));
    if (produced == 0) {
      return absl::DataLossError(absl::StrCat(path(), " changed since it was indexed: line ",
                                              doc.line, " is no longer there"));
    }
    const uint64_t chunk_end = pos + produced;
    const uint64_t from = std::max(pos, doc.offset);
    const uint64_t to = std::min(chunk_end, end);
    if (from < to) line.append(buffer.get() + (from - pos), to - from);
    pos = chunk_end;
  }
  std::string text;
  if (absl::Status s = ParseJsonLine(line, path(), doc.line, &text); !s.ok()) {
    return absl::DataLossError(
        absl::StrCat(path(), " changed since it was indexed: ", s.message()));
  }
  return text;
}

uint64_t GzipJsonlDocuments::index_bytes() const {
  uint64_t bytes = documents_.capacity() * sizeof(Document);
  for (const AccessPoint& p : access_points_) bytes += sizeof(AccessPoint) + p.window.capacity();
  return bytes;
}

absl::StatusOr<std::vector<std::string>> ReadGzipJsonlTexts(const std::string& path,
                                                            int64_t max_documents,
                                                            const DataProgressFn& progress,
                                                            const CancelToken* cancel,
                                                            absl::string_view progress_step) {
  BINQ_ASSIGN_OR_RETURN(ReadOnlyFile file, ReadOnlyFile::Open(path));
  std::vector<std::string> texts;
  if (max_documents == 0) return texts;
  const bool by_documents = max_documents > 0;
  auto on_line = [&](absl::string_view line, uint64_t line_number,
                     uint64_t) -> absl::StatusOr<bool> {
    if (IsJsonBlank(line)) return true;
    std::string text;
    BINQ_RETURN_IF_ERROR(ParseJsonLine(line, path, line_number, &text));
    texts.push_back(std::move(text));
    const int64_t count = static_cast<int64_t>(texts.size());
    if (by_documents) {
      if (count % 100 == 0 || count == max_documents) {
        ReportProgress(progress, progress_step, "documents", count, max_documents);
      }
      return count < max_documents;
    }
    return true;
  };
  BINQ_ASSIGN_OR_RETURN(ScanResult scan, ScanLines(file, 0, on_line, progress, progress_step,
                                                   !by_documents, cancel));
  (void)scan;
  return texts;
}

}  // namespace binq::core
