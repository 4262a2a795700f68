#include "core/io/safetensors.h"

#include <fcntl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <limits>
#include <set>
#include <tuple>
#include <utility>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "core/base/status_macros.h"
#include "core/io/posix_file.h"
#include "nlohmann/json.hpp"

// Tensor bytes are handed out and written as they lie in memory.
static_assert(__BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__,
              "safetensors I/O assumes a little-endian host");

namespace binq::core {
namespace {

using Json = nlohmann::json;

// Readers refuse larger headers (the reference implementation's limit), so a
// garbage length cannot make us parse gigabytes.
constexpr uint64_t kMaxHeaderBytes = 100ull << 20;
constexpr absl::string_view kMetadataKey = "__metadata__";

absl::Status Corrupt(const std::string& path, absl::string_view what) {
  return absl::DataLossError(
      absl::StrCat(path, ": corrupt safetensors file: ", what));
}

absl::Status Corrupt(const std::string& path, absl::string_view tensor,
                     absl::string_view what) {
  return Corrupt(path, absl::StrCat("tensor '", tensor, "': ", what));
}

// A JSON value for an error message, cut short: a corrupt header may hold
// megabytes in one value.
std::string Snippet(const Json& value) {
  std::string text = value.dump();
  if (text.size() <= 64) return text;
  size_t cut = 61;
  // Not inside a UTF-8 sequence: messages may end up in JSON.
  while (cut > 0 && (static_cast<unsigned char>(text[cut]) & 0xc0) == 0x80) {
    --cut;
  }
  return text.substr(0, cut) + "...";
}

std::string ShapeString(const std::vector<int64_t>& shape) {
  return absl::StrCat("[", absl::StrJoin(shape, ", "), "]");
}

// a * b, or false when it does not fit in 64 bits.
bool MultiplyChecked(uint64_t a, uint64_t b, uint64_t* out) {
  if (a != 0 && b > std::numeric_limits<uint64_t>::max() / a) return false;
  *out = a * b;
  return true;
}

// Validates one header entry against a data section of `data_size` bytes
// starting at `data`.
absl::StatusOr<TensorView> ParseEntry(const std::string& path,
                                      const std::string& name,
                                      const Json& entry, const uint8_t* data,
                                      uint64_t data_size) {
  if (!entry.is_object()) {
    return Corrupt(path, name, "entry is not a JSON object");
  }
  for (const char* key : {"dtype", "shape", "data_offsets"}) {
    if (!entry.contains(key)) {
      return Corrupt(path, name, absl::StrCat("no '", key, "'"));
    }
  }
  const Json& dtype_json = entry.at("dtype");
  if (!dtype_json.is_string()) {
    return Corrupt(
        path, name,
        absl::StrCat("dtype ", Snippet(dtype_json), " is not a string"));
  }
  absl::StatusOr<DType> dtype = ParseDType(dtype_json.get<std::string>());
  if (!dtype.ok()) {
    return absl::InvalidArgumentError(absl::StrCat(
        path, ": tensor '", name, "': ", dtype.status().message()));
  }
  TensorView view;
  view.dtype = *dtype;

  const Json& shape_json = entry.at("shape");
  if (!shape_json.is_array()) {
    return Corrupt(
        path, name,
        absl::StrCat("shape ", Snippet(shape_json), " is not a list"));
  }
  uint64_t numel = 1;
  for (size_t i = 0; i < shape_json.size(); ++i) {
    const Json& dim = shape_json[i];
    // nlohmann stores non-negative integers as unsigned, negative ones as
    // signed, and anything with a fraction or exponent as float.
    if (dim.is_number_integer() && !dim.is_number_unsigned()) {
      return Corrupt(path, name,
                     absl::StrCat("shape ", Snippet(shape_json),
                                  " has a negative dimension"));
    }
    if (!dim.is_number_unsigned()) {
      return Corrupt(path, name,
                     absl::StrCat("shape ", Snippet(shape_json),
                                  " has a non-integer dimension"));
    }
    const uint64_t d = dim.get<uint64_t>();
    if (d > static_cast<uint64_t>(std::numeric_limits<int64_t>::max()) ||
        !MultiplyChecked(numel, d, &numel)) {
      return Corrupt(
          path, name,
          absl::StrCat("shape ", Snippet(shape_json), " is too large"));
    }
    view.shape.push_back(static_cast<int64_t>(d));
  }
  uint64_t expected_bytes;
  if (!MultiplyChecked(numel, DTypeSize(view.dtype), &expected_bytes)) {
    return Corrupt(
        path, name,
        absl::StrCat("shape ", Snippet(shape_json), " is too large"));
  }

  const Json& offsets = entry.at("data_offsets");
  if (!offsets.is_array() || offsets.size() != 2 ||
      !offsets[0].is_number_unsigned() || !offsets[1].is_number_unsigned()) {
    return Corrupt(
        path, name,
        absl::StrCat("data_offsets ", Snippet(offsets),
                     " is not [begin, end] of two non-negative integers"));
  }
  const uint64_t begin = offsets[0].get<uint64_t>();
  const uint64_t end = offsets[1].get<uint64_t>();
  if (begin > end) {
    return Corrupt(
        path, name,
        absl::StrCat("data_offsets [", begin, ", ", end, "] begin after end"));
  }
  if (end > data_size) {
    return Corrupt(
        path, name,
        absl::StrCat("data_offsets [", begin, ", ", end, "] run past the ",
                     data_size, "-byte data section (truncated?)"));
  }
  if (end - begin != expected_bytes) {
    return Corrupt(
        path, name,
        absl::StrCat("data_offsets [", begin, ", ", end, "] hold ", end - begin,
                     " bytes but ", DTypeName(view.dtype), " ",
                     ShapeString(view.shape), " needs ", expected_bytes));
  }
  view.data = data + begin;
  view.nbytes = static_cast<size_t>(end - begin);
  return view;
}

}  // namespace

int64_t TensorView::numel() const {
  int64_t n = 1;
  for (const int64_t d : shape) n *= d;
  return n;
}

SafetensorsFile::SafetensorsFile(std::string path, std::unique_ptr<MappedFile> file)
    : path_(std::move(path)), file_(std::move(file)) {}

SafetensorsFile::~SafetensorsFile() = default;

absl::StatusOr<std::unique_ptr<SafetensorsFile>> SafetensorsFile::Open(
    const std::string& path) {
  BINQ_ASSIGN_OR_RETURN(std::unique_ptr<MappedFile> mapped, MappedFile::Open(path));
  if (mapped->size() < 8) {
    return Corrupt(
        path, absl::StrCat("truncated: ", mapped->size(),
                           " bytes, shorter than the 8-byte header length"));
  }
  std::unique_ptr<SafetensorsFile> file(
      new SafetensorsFile(path, std::move(mapped)));
  BINQ_RETURN_IF_ERROR(file->Index());
  return file;
}

absl::Status SafetensorsFile::Index() {
  const uint8_t* bytes = file_->data();
  const uint64_t map_size = file_->size();
  uint64_t header_size = 0;
  for (int i = 7; i >= 0; --i) {
    header_size = (header_size << 8) | bytes[i];  // little-endian
  }
  if (header_size > kMaxHeaderBytes) {
    return Corrupt(path_,
                   absl::StrCat("not a valid safetensors file: header length ",
                                header_size, " is over the ", kMaxHeaderBytes,
                                "-byte limit"));
  }
  if (header_size > map_size - 8) {
    return Corrupt(
        path_, absl::StrCat("truncated: header length ", header_size,
                            " but only ", map_size - 8, " bytes follow it"));
  }

  // nlohmann keeps the last of duplicate keys; a file naming a tensor twice is
  // ambiguous, so the parse callback notes duplicates in any object.
  std::vector<std::set<std::string>> open_objects;
  std::string duplicate;
  const auto note_duplicates = [&](int /*depth*/, Json::parse_event_t event,
                                   Json& parsed) {
    switch (event) {
      case Json::parse_event_t::object_start:
        open_objects.emplace_back();
        break;
      case Json::parse_event_t::object_end:
        open_objects.pop_back();
        break;
      case Json::parse_event_t::key:
        if (!open_objects.back().insert(parsed.get<std::string>()).second &&
            duplicate.empty()) {
          duplicate = parsed.get<std::string>();
        }
        break;
      default:
        break;
    }
    return true;
  };
  Json header;
  try {  // nlohmann reports malformed input only by throwing
    header = Json::parse(bytes + 8, bytes + 8 + header_size, note_duplicates);
  } catch (const Json::exception& e) {
    return Corrupt(path_, absl::StrCat("header is not valid JSON: ", e.what()));
  }
  if (!header.is_object()) return Corrupt(path_, "header is not a JSON object");
  if (!duplicate.empty()) {
    return Corrupt(path_,
                   absl::StrCat("header repeats the key '", duplicate, "'"));
  }

  const uint8_t* data = bytes + 8 + header_size;
  const uint64_t data_size = map_size - 8 - header_size;
  // (begin, end, name) of every tensor, to find overlaps.
  std::vector<std::tuple<uint64_t, uint64_t, std::string>> ranges;
  for (const auto& [name, entry] : header.items()) {
    if (name == kMetadataKey) {
      if (!entry.is_object()) {
        return Corrupt(path_, absl::StrCat("__metadata__ ", Snippet(entry),
                                           " is not an object"));
      }
      for (const auto& [key, value] : entry.items()) {
        if (!value.is_string()) {
          return Corrupt(path_,
                         absl::StrCat("__metadata__ value of '", key, "' is ",
                                      Snippet(value), ", not a string"));
        }
        metadata_.emplace(key, value.get<std::string>());
      }
      continue;
    }
    BINQ_ASSIGN_OR_RETURN(TensorView view,
                          ParseEntry(path_, name, entry, data, data_size));
    const uint64_t begin = static_cast<uint64_t>(view.data - data);
    ranges.emplace_back(begin, begin + view.nbytes, name);
    tensors_.emplace(name, std::move(view));
  }

  // Sorted by begin, non-overlapping ranges have each end <= the next begin.
  // Empty tensors cover no bytes and cannot overlap anything.
  ranges.erase(std::remove_if(ranges.begin(), ranges.end(),
                              [](const auto& r) {
                                return std::get<0>(r) == std::get<1>(r);
                              }),
               ranges.end());
  std::sort(ranges.begin(), ranges.end());
  for (size_t i = 1; i < ranges.size(); ++i) {
    const auto& [prev_begin, prev_end, prev_name] = ranges[i - 1];
    const auto& [begin, end, name] = ranges[i];
    if (prev_end > begin) {
      return Corrupt(
          path_, absl::StrCat("tensors '", prev_name, "' [", prev_begin, ", ",
                              prev_end, ") and '", name, "' [", begin, ", ",
                              end, ") overlap"));
    }
  }
  return absl::OkStatus();
}

std::vector<std::string> SafetensorsFile::TensorNames() const {
  std::vector<std::string> names;
  names.reserve(tensors_.size());
  for (const auto& [name, view] : tensors_) names.push_back(name);
  return names;
}

bool SafetensorsFile::Has(absl::string_view name) const {
  return tensors_.find(name) != tensors_.end();
}

absl::StatusOr<TensorView> SafetensorsFile::Get(absl::string_view name) const {
  const auto it = tensors_.find(name);
  if (it == tensors_.end()) {
    return absl::NotFoundError(absl::StrCat(path_, ": no tensor '", name, "'"));
  }
  return it->second;
}

absl::StatusOr<std::vector<float>> ToFloat32(const TensorView& view) {
  const DType dtype = view.dtype;
  if (dtype != DType::kF32 && dtype != DType::kF16 && dtype != DType::kBF16 &&
      dtype != DType::kF64) {
    return absl::InvalidArgumentError(absl::StrCat(
        "expected an F32, F16, BF16 or F64 tensor, got ", DTypeName(dtype)));
  }
  // Views from SafetensorsFile are consistent; hand-built ones may not be.
  uint64_t numel = 1;
  for (const int64_t d : view.shape) {
    if (d < 0 || !MultiplyChecked(numel, static_cast<uint64_t>(d), &numel)) {
      return absl::InvalidArgumentError(
          absl::StrCat("bad shape ", ShapeString(view.shape)));
    }
  }
  uint64_t expected_bytes;
  if (!MultiplyChecked(numel, DTypeSize(dtype), &expected_bytes) ||
      expected_bytes != view.nbytes ||
      (view.data == nullptr && view.nbytes > 0)) {
    return absl::InvalidArgumentError(
        absl::StrCat(view.nbytes, " bytes do not hold ", DTypeName(dtype), " ",
                     ShapeString(view.shape)));
  }
  const size_t n = static_cast<size_t>(numel);
  std::vector<float> out(n);
  // memcpy per element: view.data need not be aligned.
  switch (dtype) {
    case DType::kF32:
      if (n > 0) std::memcpy(out.data(), view.data, view.nbytes);
      break;
    case DType::kF64:
      for (size_t i = 0; i < n; ++i) {
        double d;
        std::memcpy(&d, view.data + 8 * i, 8);
        out[i] = static_cast<float>(d);
      }
      break;
    case DType::kF16:
    case DType::kBF16:
      for (size_t i = 0; i < n; ++i) {
        uint16_t h;
        std::memcpy(&h, view.data + 2 * i, 2);
        out[i] = dtype == DType::kF16 ? HalfToFloat(h) : BFloat16ToFloat(h);
      }
      break;
    default:
      break;  // rejected above
  }
  return out;
}

absl::Status SafetensorsWriter::Add(const std::string& name, DType dtype,
                                    std::vector<int64_t> shape,
                                    const void* data, size_t nbytes) {
  if (data == nullptr && nbytes > 0) {
    return absl::InvalidArgumentError(
        absl::StrCat("tensor '", name, "': null data for ", nbytes, " bytes"));
  }
  return Add(
      name, dtype, std::move(shape),
      absl::Span<const uint8_t>(static_cast<const uint8_t*>(data), nbytes));
}

absl::Status SafetensorsWriter::Add(const std::string& name, DType dtype,
                                    std::vector<int64_t> shape,
                                    absl::Span<const uint8_t> bytes) {
  if (name.empty() || name == kMetadataKey) {
    return absl::InvalidArgumentError(
        absl::StrCat("tensor name '", name, "' is empty or reserved"));
  }
  if (entries_.count(name) != 0) {
    return absl::InvalidArgumentError(
        absl::StrCat("duplicate tensor '", name, "'"));
  }
  uint64_t numel = 1;
  for (const int64_t d : shape) {
    if (d < 0) {
      return absl::InvalidArgumentError(
          absl::StrCat("tensor '", name, "': shape ", ShapeString(shape),
                       " has a negative dimension"));
    }
    if (!MultiplyChecked(numel, static_cast<uint64_t>(d), &numel)) {
      return absl::InvalidArgumentError(absl::StrCat(
          "tensor '", name, "': shape ", ShapeString(shape), " is too large"));
    }
  }
  uint64_t expected_bytes;
  if (!MultiplyChecked(numel, DTypeSize(dtype), &expected_bytes) ||
      expected_bytes != bytes.size()) {
    return absl::InvalidArgumentError(absl::StrCat(
        "tensor '", name, "': ", bytes.size(), " bytes do not hold ",
        DTypeName(dtype), " ", ShapeString(shape)));
  }
  entries_.emplace(name,
                   Entry{dtype, std::move(shape),
                         std::vector<uint8_t>(bytes.begin(), bytes.end())});
  return absl::OkStatus();
}

absl::StatusOr<std::string> EncodeSafetensorsHeader(
    const std::vector<SafetensorsHeaderEntry>& entries,
    const std::map<std::string, std::string>& metadata,
    absl::string_view path) {
  Json header = Json::object();
  uint64_t offset = 0;
  for (const SafetensorsHeaderEntry& e : entries) {
    if (e.name.empty() || e.name == kMetadataKey) {
      return absl::InvalidArgumentError(absl::StrCat(
          path, ": tensor name '", e.name, "' is empty or reserved"));
    }
    if (header.contains(e.name)) {
      return absl::InvalidArgumentError(
          absl::StrCat(path, ": duplicate tensor '", e.name, "'"));
    }
    Json& entry = header[e.name];
    entry["dtype"] = DTypeName(e.dtype);
    entry["shape"] = e.shape;
    entry["data_offsets"] = Json::array({offset, offset + e.nbytes});
    offset += e.nbytes;
  }
  if (!metadata.empty()) header[std::string(kMetadataKey)] = metadata;
  std::string text;
  try {  // dump() throws on strings that are not valid UTF-8
    text = header.dump();
  } catch (const Json::exception& e) {
    return absl::InvalidArgumentError(absl::StrCat(
        path, ": tensor names and metadata must be valid UTF-8: ", e.what()));
  }
  // Spaces up to a multiple of 8 keep the data 8-byte aligned in the file.
  text.append((8 - text.size() % 8) % 8, ' ');
  if (text.size() > kMaxHeaderBytes) {
    return absl::InvalidArgumentError(
        absl::StrCat(path, ": header of ", text.size(), " bytes is over the ",
                     kMaxHeaderBytes, "-byte limit readers accept"));
  }
  std::string out(8, '\0');
  for (int i = 0; i < 8; ++i) {
    out[i] = static_cast<char>(static_cast<uint64_t>(text.size()) >> (8 * i));
  }
  out += text;
  return out;
}

absl::Status SafetensorsWriter::WriteFile(const std::string& path) const {
  // entries_ is sorted by name, the order the data follows.
  std::vector<SafetensorsHeaderEntry> layout;
  layout.reserve(entries_.size());
  for (const auto& [name, e] : entries_) {
    layout.push_back({name, e.dtype, e.shape, e.bytes.size()});
  }
  BINQ_ASSIGN_OR_RETURN(const std::string header,
                        EncodeSafetensorsHeader(layout, metadata_, path));

  const std::string tmp = absl::StrCat(path, ".tmp-", ::getpid());
  ScopedFd fd(
      ::open(tmp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644));
  if (!fd.valid()) return ErrnoStatus(errno, tmp, "cannot create");
  const auto fail = [&](int err, absl::string_view action) {
    ::unlink(tmp.c_str());
    return ErrnoStatus(err, tmp, action);
  };
  int err = WriteAll(fd.get(), header.data(), header.size());
  for (auto it = entries_.begin(); err == 0 && it != entries_.end(); ++it) {
    err = WriteAll(fd.get(), it->second.bytes.data(), it->second.bytes.size());
  }
  if (err != 0) return fail(err, "cannot write");
  if (::fsync(fd.get()) != 0) return fail(errno, "cannot fsync");
  if ((err = fd.Close()) != 0) return fail(err, "cannot close");
  if (::rename(tmp.c_str(), path.c_str()) != 0) {
    return fail(errno, absl::StrCat("cannot rename to ", path));
  }
  // The rename is durable only once the folder's entry is on disk.
  return WithContext(SyncDir(ParentDir(path)),
                     absl::StrCat("after writing ", path));
}

}  // namespace binq::core
