#include "core/io/torch_zip_file.h"

#include <cstring>
#include <limits>
#include <utility>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "core/base/status_macros.h"
#include "core/io/state_dict_pickle.h"
#include "core/io/zip_archive.h"

// Storage bytes are handed out as they lie in the file (little-endian).
static_assert(__BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__,
              "torch archive reading assumes a little-endian host");

namespace binq::core {
namespace {

// What the legacy (pre-1.6) format starts with: pickle protocol 2, then the
// LONG1 magic number 0x1950a86a20f9469cfc6c.
constexpr uint8_t kLegacyMagic[] = {0x80, 0x02, 0x8a, 0x0a, 0x6c, 0xfc, 0x9c,
                                    0x46, 0xf9, 0x20, 0x6a, 0xa8, 0x50, 0x19};

absl::Status Corrupt(const std::string& path, absl::string_view tensor,
                     absl::string_view what) {
  return absl::DataLossError(absl::StrCat(
      path, ": corrupt torch archive: tensor '", tensor, "': ", what));
}

bool MultiplyChecked(uint64_t a, uint64_t b, uint64_t* out) {
  if (a != 0 && b > std::numeric_limits<uint64_t>::max() / a) return false;
  *out = a * b;
  return true;
}

bool AddChecked(uint64_t a, uint64_t b, uint64_t* out) {
  if (b > std::numeric_limits<uint64_t>::max() - a) return false;
  *out = a + b;
  return true;
}

std::string ShapeString(const std::vector<int64_t>& v) {
  return absl::StrCat("[", absl::StrJoin(v, ", "), "]");
}

// The single "<prefix>/" that data.pkl lives under (torch names it after the
// file, or "archive").
absl::StatusOr<std::string> FindPrefix(const ZipArchive& zip) {
  std::vector<std::string> prefixes;
  for (const ZipArchive::Entry& e : zip.entries()) {
    const size_t slash = e.name.find('/');
    if (slash != std::string::npos && slash > 0 &&
        e.name.compare(slash, std::string::npos, "/data.pkl") == 0) {
      prefixes.push_back(e.name.substr(0, slash + 1));
    }
  }
  if (prefixes.empty()) {
    return absl::DataLossError(absl::StrCat(
        zip.path(),
        ": no '<name>/data.pkl' entry: a zip archive, but not one written by "
        "torch.save"));
  }
  if (prefixes.size() > 1) {
    return absl::DataLossError(absl::StrCat(
        zip.path(), ": several data.pkl entries (",
        absl::StrJoin(prefixes, ", "), "): not one torch.save archive"));
  }
  return prefixes[0];
}

}  // namespace

absl::StatusOr<std::unique_ptr<TorchZipFile>> TorchZipFile::Open(
    const std::string& path) {
  BINQ_ASSIGN_OR_RETURN(std::unique_ptr<MappedFile> file,
                        MappedFile::Open(path));
  std::unique_ptr<TorchZipFile> out(new TorchZipFile(std::move(file)));
  BINQ_RETURN_IF_ERROR(out->Index());
  return out;
}

absl::Status TorchZipFile::Index() {
  const std::string& path = file_->path();
  if (file_->size() >= sizeof kLegacyMagic &&
      std::memcmp(file_->data(), kLegacyMagic, sizeof kLegacyMagic) == 0) {
    return absl::InvalidArgumentError(absl::StrCat(
        path,
        ": legacy torch.save format (before PyTorch 1.6, not a zip archive); "
        "re-save it with torch>=1.6: torch.save(torch.load(f), f)"));
  }
  BINQ_ASSIGN_OR_RETURN(const ZipArchive zip,
                        ZipArchive::Parse(file_->data(), file_->size(), path));
  BINQ_ASSIGN_OR_RETURN(const std::string prefix, FindPrefix(zip));

  if (const ZipArchive::Entry* order = zip.Find(prefix + "byteorder")) {
    BINQ_ASSIGN_OR_RETURN(const absl::Span<const uint8_t> bytes,
                          zip.Read(*order));
    const absl::string_view text(reinterpret_cast<const char*>(bytes.data()),
                                 bytes.size());
    if (text != "little") {
      return absl::InvalidArgumentError(
          absl::StrCat(path, ": byteorder is '", text.substr(0, 16),
                       "'; binq reads little-endian archives only"));
    }
  }

  const std::string pkl_name = prefix + "data.pkl";
  BINQ_ASSIGN_OR_RETURN(const absl::Span<const uint8_t> pkl,
                        zip.Read(*zip.Find(pkl_name)));
  BINQ_ASSIGN_OR_RETURN(
      const std::vector<PickledTensor> pickled,
      ParseStateDictPickle(pkl, absl::StrCat(path, ": ", pkl_name)));

  for (const PickledTensor& p : pickled) {
    if (!p.dtype.has_value()) {
      return absl::InvalidArgumentError(absl::StrCat(
          path, ": tensor '", p.name, "': storage type torch.", p.storage_type,
          " is not one binq reads (F64, F32, F16, BF16, I64, I32, I16, I8, U8, "
          "BOOL)"));
    }
    Tensor t;
    t.dtype = *p.dtype;
    t.shape = p.sizes;
    t.strides = p.strides;
    t.offset = p.storage_offset;
    const uint64_t elem = DTypeSize(t.dtype);

    const std::string entry_name = absl::StrCat(prefix, "data/", p.storage_key);
    const ZipArchive::Entry* entry = zip.Find(entry_name);
    if (entry == nullptr) {
      return Corrupt(
          path, p.name,
          absl::StrCat("storage entry '", entry_name, "' is missing"));
    }
    absl::StatusOr<absl::Span<const uint8_t>> bytes = zip.Read(*entry);
    if (!bytes.ok()) {
      return WithContext(bytes.status(), absl::StrCat("tensor '", p.name, "'"));
    }
    uint64_t storage_bytes;
    if (!MultiplyChecked(p.storage_numel, elem, &storage_bytes) ||
        storage_bytes != bytes->size()) {
      return Corrupt(
          path, p.name,
          absl::StrCat("storage '", entry_name, "' holds ", bytes->size(),
                       " bytes but a ", p.storage_type, " of ", p.storage_numel,
                       " elements needs ", p.storage_numel * elem));
    }
    t.storage = bytes->data();

    // numel, and the last element the view reaches.
    uint64_t numel = 1;
    uint64_t last = t.offset;
    bool overflow = false;
    for (size_t d = 0; d < t.shape.size(); ++d) {
      const uint64_t size = static_cast<uint64_t>(t.shape[d]);
      uint64_t reach;
      overflow |= !MultiplyChecked(numel, size, &numel);
      if (size > 0) {
        overflow |=
            !MultiplyChecked(size - 1, static_cast<uint64_t>(t.strides[d]),
                             &reach) ||
            !AddChecked(last, reach, &last);
      }
    }
    if (overflow || !MultiplyChecked(numel, elem, &t.nbytes)) {
      return Corrupt(path, p.name,
                     absl::StrCat("size ", ShapeString(t.shape), " stride ",
                                  ShapeString(t.strides), " is too large"));
    }
    const bool in_bounds =
        numel == 0 ? t.offset <= p.storage_numel : last < p.storage_numel;
    if (!in_bounds) {
      return Corrupt(path, p.name,
                     absl::StrCat("size ", ShapeString(t.shape), " stride ",
                                  ShapeString(t.strides), " at offset ",
                                  t.offset, " runs past its storage of ",
                                  p.storage_numel, " elements"));
    }
    // Row-major strides, ignoring dimensions of size 1 (as torch does).
    uint64_t expected = 1;
    for (size_t d = t.shape.size(); d-- > 0;) {
      if (t.shape[d] != 1 && static_cast<uint64_t>(t.strides[d]) != expected) {
        t.contiguous = false;
      }
      expected *= static_cast<uint64_t>(t.shape[d]);
    }
    if (numel == 0) t.contiguous = true;
    tensors_.emplace(p.name, std::move(t));
  }
  return absl::OkStatus();
}

std::vector<std::string> TorchZipFile::TensorNames() const {
  std::vector<std::string> names;
  names.reserve(tensors_.size());
  for (const auto& [name, t] : tensors_) names.push_back(name);
  return names;
}

bool TorchZipFile::Has(absl::string_view name) const {
  return tensors_.find(name) != tensors_.end();
}

absl::StatusOr<bool> TorchZipFile::IsMapped(absl::string_view name) const {
  const auto it = tensors_.find(name);
  if (it == tensors_.end()) {
    return absl::NotFoundError(
        absl::StrCat(path(), ": no tensor '", name, "'"));
  }
  return it->second.contiguous;
}

absl::StatusOr<TensorView> TorchZipFile::Get(absl::string_view name) const {
  const auto it = tensors_.find(name);
  if (it == tensors_.end()) {
    return absl::NotFoundError(
        absl::StrCat(path(), ": no tensor '", name, "'"));
  }
  const Tensor& t = it->second;
  const size_t elem = DTypeSize(t.dtype);
  TensorView view;
  view.dtype = t.dtype;
  view.shape = t.shape;
  view.nbytes = static_cast<size_t>(t.nbytes);
  if (t.contiguous) {
    view.data = t.storage + t.offset * elem;
    return view;
  }

  absl::MutexLock lock(&mu_);
  auto gathered = gathered_.find(name);
  if (gathered == gathered_.end()) {
    // Walk the index space row-major, copying the innermost dimension as a run
    // when it is dense. Bounds were checked at Open: every index lies inside
    // the storage.
    std::vector<uint8_t> buffer(view.nbytes);
    const size_t rank = t.shape.size();  // >= 1: a scalar is contiguous
    const size_t inner = static_cast<size_t>(t.shape[rank - 1]);
    const bool dense_inner = t.strides[rank - 1] == 1;
    std::vector<int64_t> index(rank, 0);
    uint8_t* out = buffer.data();
    for (uint8_t* const end = out + buffer.size(); out < end;) {
      uint64_t start = t.offset;
      for (size_t d = 0; d + 1 < rank; ++d) {
        start += static_cast<uint64_t>(index[d] * t.strides[d]);
      }
      const uint8_t* row = t.storage + start * elem;
      if (dense_inner) {
        std::memcpy(out, row, inner * elem);
      } else {
        const size_t step = static_cast<size_t>(t.strides[rank - 1]) * elem;
        for (size_t k = 0; k < inner; ++k) {
          std::memcpy(out + k * elem, row + k * step, elem);
        }
      }
      out += inner * elem;
      // Next row: odometer over the outer dimensions.
      for (size_t d = rank - 1; d-- > 0;) {
        if (++index[d] < t.shape[d]) break;
        index[d] = 0;
      }
    }
    gathered = gathered_.emplace(std::string(name), std::move(buffer)).first;
  }
  view.data = gathered->second.data();
  return view;
}

}  // namespace binq::core
