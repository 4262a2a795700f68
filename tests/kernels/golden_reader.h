// A LibTorch-free safetensors reader for the kernel tests: just enough for
// the golden files (F32, F64, I32, U8; see tests/data/golden/README.md).
// Layout: u64 little-endian header length, JSON header, raw little-endian data.
// Thread-safety: a GoldenFile is immutable after Open.
#ifndef BINQ_TESTS_KERNELS_GOLDEN_READER_H_
#define BINQ_TESTS_KERNELS_GOLDEN_READER_H_

#include <cstdint>
#include <cstring>
#include <fstream>
#include <iterator>
#include <map>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/str_cat.h"
#include "nlohmann/json.hpp"

namespace binq::testing {

class GoldenFile {
 public:
  // Reads the whole file. NOT_FOUND if it cannot be opened, DATA_LOSS if it
  // is not a well-formed safetensors file.
  static absl::StatusOr<GoldenFile> Open(const std::string& path) {
    std::ifstream in(path, std::ios::binary);
    if (!in) return absl::NotFoundError(absl::StrCat("cannot open ", path));
    std::vector<char> bytes((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    if (bytes.size() < 8) return absl::DataLossError(absl::StrCat(path, ": shorter than 8 bytes"));
    uint64_t header_len = 0;
    for (int i = 7; i >= 0; --i) header_len = (header_len << 8) | static_cast<uint8_t>(bytes[i]);
    if (header_len > bytes.size() - 8) {
      return absl::DataLossError(absl::StrCat(path, ": header length ", header_len, " too large"));
    }
    const nlohmann::json header = nlohmann::json::parse(
        bytes.begin() + 8, bytes.begin() + 8 + static_cast<std::ptrdiff_t>(header_len),
        /*cb=*/nullptr, /*allow_exceptions=*/false);
    if (header.is_discarded() || !header.is_object()) {
      return absl::DataLossError(absl::StrCat(path, ": header is not a JSON object"));
    }
    GoldenFile file;
    const size_t data_start = 8 + header_len;
    for (const auto& [name, entry] : header.items()) {
      if (name == "__metadata__") {
        for (const auto& [key, value] : entry.items()) {
          if (value.is_string()) file.metadata_[key] = value.get<std::string>();
        }
        continue;
      }
      Tensor t;
      t.dtype = entry.value("dtype", "");
      for (const auto& d : entry.at("shape")) t.shape.push_back(d.get<int64_t>());
      const uint64_t begin = entry.at("data_offsets").at(0).get<uint64_t>();
      const uint64_t end = entry.at("data_offsets").at(1).get<uint64_t>();
      if (end < begin || data_start + end > bytes.size()) {
        return absl::DataLossError(absl::StrCat(path, ": ", name, ": data outside the file"));
      }
      t.bytes.assign(bytes.begin() + static_cast<std::ptrdiff_t>(data_start + begin),
                     bytes.begin() + static_cast<std::ptrdiff_t>(data_start + end));
      int64_t numel = 1;
      for (int64_t d : t.shape) numel *= d;
      if (static_cast<uint64_t>(numel) * ElementSize(t.dtype) != t.bytes.size()) {
        return absl::DataLossError(absl::StrCat(path, ": ", name, ": ", t.bytes.size(),
                                                " bytes do not match dtype ", t.dtype));
      }
      file.tensors_[name] = std::move(t);
    }
    return file;
  }

  bool Has(const std::string& name) const { return tensors_.count(name) > 0; }

  absl::StatusOr<std::vector<int64_t>> Shape(const std::string& name) const {
    auto it = tensors_.find(name);
    if (it == tensors_.end()) return absl::NotFoundError(absl::StrCat("no tensor ", name));
    return it->second.shape;
  }

  absl::StatusOr<std::vector<float>> F32(const std::string& name) const {
    return Get<float>(name, "F32");
  }
  absl::StatusOr<std::vector<double>> F64(const std::string& name) const {
    return Get<double>(name, "F64");
  }
  absl::StatusOr<std::vector<int32_t>> I32(const std::string& name) const {
    return Get<int32_t>(name, "I32");
  }
  absl::StatusOr<std::vector<uint8_t>> U8(const std::string& name) const {
    return Get<uint8_t>(name, "U8");
  }

  // A `__metadata__` value, or "" when absent.
  std::string Meta(const std::string& key) const {
    auto it = metadata_.find(key);
    return it == metadata_.end() ? "" : it->second;
  }

 private:
  struct Tensor {
    std::string dtype;
    std::vector<int64_t> shape;
    std::vector<char> bytes;
  };

  static uint64_t ElementSize(const std::string& dtype) {
    if (dtype == "F64") return 8;
    if (dtype == "F32" || dtype == "I32") return 4;
    if (dtype == "U8") return 1;
    return 0;  // unsupported: never matches a non-empty tensor
  }

  // Copies the little-endian data (the host is little-endian: x86-64, arm64).
  template <typename T>
  absl::StatusOr<std::vector<T>> Get(const std::string& name, const char* dtype) const {
    auto it = tensors_.find(name);
    if (it == tensors_.end()) return absl::NotFoundError(absl::StrCat("no tensor ", name));
    if (it->second.dtype != dtype) {
      return absl::InvalidArgumentError(
          absl::StrCat(name, " is ", it->second.dtype, ", not ", dtype));
    }
    std::vector<T> out(it->second.bytes.size() / sizeof(T));
    if (!out.empty()) std::memcpy(out.data(), it->second.bytes.data(), it->second.bytes.size());
    return out;
  }

  std::map<std::string, Tensor> tensors_;
  std::map<std::string, std::string> metadata_;
};

// Path of a file under tests/data/golden.
inline std::string GoldenPath(const std::string& file_name) {
  return std::string(BINQ_TEST_DATA_DIR) + "/golden/" + file_name;
}

}  // namespace binq::testing

#endif  // BINQ_TESTS_KERNELS_GOLDEN_READER_H_
