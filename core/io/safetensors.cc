#include "core/io/safetensors.h"

#include <fcntl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <utility>

#include "absl/strings/str_cat.h"
#include "core/base/status_macros.h"
#include "nlohmann/json.hpp"

namespace binq::core {
namespace {

constexpr uint64_t kMaxHeaderBytes = 100ull << 20;

absl::Status Corrupt(const std::string& path, absl::string_view what) {
  return absl::DataLossError(absl::StrCat(path, ": not a valid safetensors file: ", what));
}

absl::StatusOr<TensorView> ParseEntry(const std::string& path, const std::string& name,
                                      const nlohmann::json& entry, const uint8_t* data,
                                      uint64_t data_size) {
  const std::string where = absl::StrCat("tensor '", name, "'");
  if (!entry.is_object() || !entry.contains("dtype") || !entry.contains("shape") ||
      !entry.contains("data_offsets")) {
    return Corrupt(path, absl::StrCat(where, " lacks dtype, shape or data_offsets"));
  }
  if (!entry["dtype"].is_string()) return Corrupt(path, absl::StrCat(where, ": dtype is not a string"));
  auto dtype = ParseDType(entry["dtype"].get<std::string>());
  if (!dtype.ok()) return absl::InvalidArgumentError(absl::StrCat(path, ": ", where, ": ", dtype.status().message()));
  TensorView view;
  view.dtype = *dtype;
  if (!entry["shape"].is_array()) return Corrupt(path, absl::StrCat(where, ": shape is not a list"));
  uint64_t numel = 1;
  for (const auto& dim : entry["shape"]) {
    if (!dim.is_number_integer() || dim.get<int64_t>() < 0) {
      return Corrupt(path, absl::StrCat(where, ": shape has a negative or non-integer dimension"));
    }
    view.shape.push_back(dim.get<int64_t>());
    numel *= static_cast<uint64_t>(view.shape.back());
  }
  const auto& offsets = entry["data_offsets"];
  if (!offsets.is_array() || offsets.size() != 2 || !offsets[0].is_number_unsigned() ||
      !offsets[1].is_number_unsigned()) {
    return Corrupt(path, absl::StrCat(where, ": data_offsets must be [begin, end]"));
  }
  const uint64_t begin = offsets[0].get<uint64_t>(), end = offsets[1].get<uint64_t>();
  if (begin > end) return Corrupt(path, absl::StrCat(where, ": data_offsets begin > end"));
  if (end > data_size) {
    return Corrupt(path, absl::StrCat(where, ": data ends at byte ", end, " but the file has ",
                                      data_size, " data bytes (truncated?)"));
  }
  if (end - begin != numel * DTypeSize(view.dtype)) {
    return Corrupt(path, absl::StrCat(where, ": ", end - begin, " bytes for ", numel, " ",
                                      DTypeName(view.dtype), " elements"));
  }
  view.data = data + begin;
  view.nbytes = end - begin;
  return view;
}

}  // namespace

int64_t TensorView::numel() const {
  int64_t n = 1;
  for (int64_t d : shape) n *= d;
  return n;
}

absl::StatusOr<std::unique_ptr<SafetensorsFile>> SafetensorsFile::Open(const std::string& path) {
  const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) {
    const int err = errno;
    if (err == ENOENT) return absl::NotFoundError(absl::StrCat(path, ": no such file"));
    return absl::UnavailableError(absl::StrCat(path, ": cannot open: ", std::strerror(err)));
  }
  struct stat st;
  if (::fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
    ::close(fd);
    return absl::InvalidArgumentError(absl::StrCat(path, ": not a regular file"));
  }
  std::unique_ptr<SafetensorsFile> file(new SafetensorsFile());
  file->path_ = path;
  file->map_size_ = static_cast<size_t>(st.st_size);
  if (file->map_size_ < 8) {
    ::close(fd);
    return Corrupt(path, absl::StrCat("truncated: ", file->map_size_, " bytes, shorter than the 8-byte header length"));
  }
  file->map_ = ::mmap(nullptr, file->map_size_, PROT_READ, MAP_PRIVATE, fd, 0);
  ::close(fd);
  if (file->map_ == MAP_FAILED) {
    file->map_ = nullptr;
    return absl::UnavailableError(absl::StrCat(path, ": mmap failed: ", std::strerror(errno)));
  }
  const uint8_t* bytes = static_cast<const uint8_t*>(file->map_);
  uint64_t header_size;
  std::memcpy(&header_size, bytes, 8);
  if (header_size > kMaxHeaderBytes || header_size > file->map_size_ - 8) {
    return Corrupt(path, absl::StrCat("truncated or corrupt: header length ", header_size,
                                      " exceeds the file size ", file->map_size_));
  }
  nlohmann::json header;
  try {
    header = nlohmann::json::parse(bytes + 8, bytes + 8 + header_size);
  } catch (const nlohmann::json::exception& e) {
    return Corrupt(path, absl::StrCat("header is not JSON (", e.what(), ")"));
  }
  if (!header.is_object()) return Corrupt(path, "header is not a JSON object");
  const uint8_t* data = bytes + 8 + header_size;
  const uint64_t data_size = file->map_size_ - 8 - header_size;
  std::vector<std::pair<uint64_t, std::string>> ranges;
  for (const auto& [name, entry] : header.items()) {
    if (name == "__metadata__") {
      if (!entry.is_object()) return Corrupt(path, "__metadata__ is not an object");
      for (const auto& [key, value] : entry.items()) {
        if (!value.is_string()) return Corrupt(path, absl::StrCat("__metadata__ value '", key, "' is not a string"));
        file->metadata_[key] = value.get<std::string>();
      }
      continue;
    }
    BINQ_ASSIGN_OR_RETURN(TensorView view, ParseEntry(path, name, entry, data, data_size));
    ranges.emplace_back(static_cast<uint64_t>(view.data - data), name);
    file->tensors_.emplace(name, std::move(view));
  }
  std::sort(ranges.begin(), ranges.end());
  for (size_t i = 1; i < ranges.size(); ++i) {
    const TensorView& prev = file->tensors_.find(ranges[i - 1].second)->second;
    if (ranges[i - 1].first + prev.nbytes > ranges[i].first) {
      return Corrupt(path, absl::StrCat("tensors '", ranges[i - 1].second, "' and '",
                                        ranges[i].second, "' overlap"));
    }
  }
  return file;
}

SafetensorsFile::~SafetensorsFile() {
  if (map_ != nullptr) ::munmap(map_, map_size_);
}

std::vector<std::string> SafetensorsFile::TensorNames() const {
  std::vector<std::string> names;
  for (const auto& [name, view] : tensors_) names.push_back(name);
  return names;
}

bool SafetensorsFile::Has(absl::string_view name) const { return tensors_.find(name) != tensors_.end(); }

absl::StatusOr<TensorView> SafetensorsFile::Get(absl::string_view name) const {
  const auto it = tensors_.find(name);
  if (it == tensors_.end()) return absl::NotFoundError(absl::StrCat(path_, ": no tensor '", name, "'"));
  return it->second;
}

absl::StatusOr<std::vector<float>> ToFloat32(const TensorView& view) {
  const int64_t n = view.numel();
  std::vector<float> out(static_cast<size_t>(n));
  for (int64_t i = 0; i < n; ++i) {
    switch (view.dtype) {
      case DType::kF32: std::memcpy(&out[i], view.data + 4 * i, 4); break;
      case DType::kF64: {
        double d;
        std::memcpy(&d, view.data + 8 * i, 8);
        out[i] = static_cast<float>(d);
        break;
      }
      case DType::kF16:
      case DType::kBF16: {
        uint16_t h;
        std::memcpy(&h, view.data + 2 * i, 2);
        out[i] = view.dtype == DType::kF16 ? HalfToFloat(h) : BFloat16ToFloat(h);
        break;
      }
      default:
        return absl::InvalidArgumentError(absl::StrCat("expected a float tensor, got ", DTypeName(view.dtype)));
    }
  }
  return out;
}

absl::Status SafetensorsWriter::Add(const std::string& name, DType dtype, std::vector<int64_t> shape,
                                    const void* data, size_t nbytes) {
  if (name.empty() || name == "__metadata__") {
    return absl::InvalidArgumentError(absl::StrCat("tensor name '", name, "' is reserved or empty"));
  }
  if (entries_.count(name)) return absl::InvalidArgumentError(absl::StrCat("duplicate tensor '", name, "'"));
  uint64_t numel = 1;
  for (int64_t d : shape) {
    if (d < 0) return absl::InvalidArgumentError(absl::StrCat("tensor '", name, "': negative dimension"));
    numel *= static_cast<uint64_t>(d);
  }
  if (numel * DTypeSize(dtype) != nbytes) {
    return absl::InvalidArgumentError(absl::StrCat("tensor '", name, "': ", nbytes, " bytes for ",
                                                   numel, " ", DTypeName(dtype), " elements"));
  }
  entries_[name] = Entry{dtype, std::move(shape), std::string(static_cast<const char*>(data), nbytes)};
  return absl::OkStatus();
}

absl::Status SafetensorsWriter::WriteFile(const std::string& path) const {
  nlohmann::json header = nlohmann::json::object();
  uint64_t offset = 0;
  for (const auto& [name, e] : entries_) {  // std::map: sorted names, data in that order
    header[name] = {{"dtype", DTypeName(e.dtype)}, {"shape", e.shape},
                    {"data_offsets", {offset, offset + e.bytes.size()}}};
    offset += e.bytes.size();
  }
  if (!metadata_.empty()) header["__metadata__"] = metadata_;
  std::string text = header.dump();
  text.append((8 - text.size() % 8) % 8, ' ');
  const uint64_t header_size = text.size();

  const std::string tmp = absl::StrCat(path, ".tmp-", ::getpid());
  const int fd = ::open(tmp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  if (fd < 0) return absl::UnavailableError(absl::StrCat(path, ": cannot create: ", std::strerror(errno)));
  auto write_all = [fd](const void* p, size_t n) {
    const char* c = static_cast<const char*>(p);
    while (n > 0) {
      const ssize_t w = ::write(fd, c, n);
      if (w < 0 && errno == EINTR) continue;
      if (w <= 0) return false;
      c += w;
      n -= static_cast<size_t>(w);
    }
    return true;
  };
  bool ok = write_all(&header_size, 8) && write_all(text.data(), text.size());
  for (const auto& [name, e] : entries_) ok = ok && write_all(e.bytes.data(), e.bytes.size());
  ok = ok && ::fsync(fd) == 0;
  const int err = errno;
  ::close(fd);
  if (!ok || ::rename(tmp.c_str(), path.c_str()) != 0) {
    const int rename_err = ok ? errno : err;
    ::unlink(tmp.c_str());
    return absl::UnavailableError(absl::StrCat(path, ": write failed: ", std::strerror(rename_err)));
  }
  return absl::OkStatus();
}

}  // namespace binq::core
