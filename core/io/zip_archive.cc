#include "core/io/zip_archive.h"

#include <algorithm>
#include <cstring>
#include <utility>

#include "absl/strings/str_cat.h"
#include "core/base/status_macros.h"

namespace binq::core {
namespace {

// Record signatures and fixed sizes (APPNOTE.TXT 4.3).
constexpr uint32_t kLocalHeaderSig = 0x04034b50;
constexpr uint32_t kCentralHeaderSig = 0x02014b50;
constexpr uint32_t kEndSig = 0x06054b50;
constexpr uint32_t kZip64EndSig = 0x06064b50;
constexpr uint32_t kZip64LocatorSig = 0x07064b50;
constexpr uint64_t kLocalHeaderSize = 30;
constexpr uint64_t kCentralHeaderSize = 46;
constexpr uint64_t kEndSize = 22;
constexpr uint64_t kZip64EndSize = 56;
constexpr uint64_t kZip64LocatorSize = 20;
constexpr uint64_t kMaxCommentSize = 0xffff;
constexpr uint16_t kZip64ExtraId = 0x0001;

absl::Status Corrupt(const std::string& path, absl::string_view what) {
  return absl::DataLossError(
      absl::StrCat(path, ": corrupt zip archive: ", what));
}

// Little-endian reads from a range already checked to be in bounds.
uint16_t U16(const uint8_t* p) {
  return static_cast<uint16_t>(p[0] | (p[1] << 8));
}
uint32_t U32(const uint8_t* p) {
  return static_cast<uint32_t>(p[0]) | (static_cast<uint32_t>(p[1]) << 8) |
         (static_cast<uint32_t>(p[2]) << 16) |
         (static_cast<uint32_t>(p[3]) << 24);
}
uint64_t U64(const uint8_t* p) {
  return static_cast<uint64_t>(U32(p)) |
         (static_cast<uint64_t>(U32(p + 4)) << 32);
}

// Whether [offset, offset + length) lies inside [0, size), without overflow.
bool InBounds(uint64_t offset, uint64_t length, uint64_t size) {
  return offset <= size && length <= size - offset;
}

// Where the directory is and how many entries it has, from the (ZIP64) end
// record.
struct DirectoryLocation {
  uint64_t entries = 0;
  uint64_t size = 0;
  uint64_t offset = 0;
};

// Fills the fields that the central directory header saturated (0xffffffff)
// from the ZIP64 extra field, in the order APPNOTE 4.5.3 defines.
absl::Status ApplyZip64Extra(const std::string& path, const std::string& name,
                             const uint8_t* extra, uint64_t extra_size,
                             bool need_size, bool need_csize, bool need_offset,
                             ZipArchive::Entry* entry) {
  uint64_t pos = 0;
  while (pos + 4 <= extra_size) {
    const uint16_t id = U16(extra + pos);
    const uint16_t len = U16(extra + pos + 2);
    if (!InBounds(pos + 4, len, extra_size)) {
      return Corrupt(path, absl::StrCat("entry '", name,
                                        "': extra field runs past its end"));
    }
    if (id == kZip64ExtraId) {
      const uint8_t* field = extra + pos + 4;
      uint64_t used = 0;
      const auto take = [&](uint64_t* out) {
        if (used + 8 > len) return false;
        *out = U64(field + used);
        used += 8;
        return true;
      };
      if ((need_size && !take(&entry->size)) ||
          (need_csize && !take(&entry->compressed_size)) ||
          (need_offset && !take(&entry->local_header_offset))) {
        return Corrupt(path, absl::StrCat("entry '", name,
                                          "': ZIP64 extra field too short"));
      }
      return absl::OkStatus();
    }
    pos += 4 + len;
  }
  return Corrupt(path, absl::StrCat("entry '", name,
                                    "': sizes need a ZIP64 extra field, "
                                    "which is missing"));
}

// Finds the end record (and the ZIP64 one when present).
absl::StatusOr<DirectoryLocation> LocateDirectory(const std::string& path,
                                                  const uint8_t* data,
                                                  uint64_t size) {
  if (size < kEndSize) {
    return Corrupt(path, absl::StrCat("only ", size,
                                      " bytes, no end of central directory "
                                      "(not a zip archive, or truncated)"));
  }
  // The end record is the last thing in the file, followed only by a comment
  // of up to 64 KiB: search backwards.
  const uint64_t lowest =
      size - kEndSize > kMaxCommentSize ? size - kEndSize - kMaxCommentSize : 0;
  uint64_t end = size - kEndSize;
  bool found = false;
  for (uint64_t pos = size - kEndSize + 1; pos-- > lowest;) {
    if (U32(data + pos) == kEndSig &&
        pos + kEndSize + U16(data + pos + 20) <= size) {
      end = pos;
      found = true;
      break;
    }
  }
  if (!found) {
    return Corrupt(path,
                   "no end of central directory record (not a zip archive, or "
                   "truncated)");
  }
  const uint8_t* e = data + end;
  DirectoryLocation loc;
  const uint16_t disk = U16(e + 4), cd_disk = U16(e + 6);
  loc.entries = U16(e + 10);
  loc.size = U32(e + 12);
  loc.offset = U32(e + 16);
  const bool saturated = U16(e + 8) == 0xffff || loc.entries == 0xffff ||
                         loc.size == 0xffffffffu || loc.offset == 0xffffffffu;

  const bool has_locator =
      end >= kZip64LocatorSize &&
      U32(data + end - kZip64LocatorSize) == kZip64LocatorSig;
  if (!has_locator) {
    if (saturated) {
      return Corrupt(path,
                     "end record needs ZIP64 but there is no ZIP64 locator");
    }
    if (disk != 0 || cd_disk != 0 || U16(e + 8) != loc.entries) {
      return absl::InvalidArgumentError(
          absl::StrCat(path, ": multi-volume zip archives are not supported"));
    }
    return loc;
  }
  const uint8_t* locator = data + end - kZip64LocatorSize;
  const uint64_t z64 = U64(locator + 8);
  if (U32(locator + 4) != 0 || U32(locator + 16) > 1) {
    return absl::InvalidArgumentError(
        absl::StrCat(path, ": multi-volume zip archives are not supported"));
  }
  if (!InBounds(z64, kZip64EndSize, end - kZip64LocatorSize) ||
      U32(data + z64) != kZip64EndSig) {
    return Corrupt(path, absl::StrCat("ZIP64 end record offset ", z64,
                                      " does not point at a ZIP64 end record"));
  }
  const uint8_t* r = data + z64;
  if (U32(r + 16) != 0 || U32(r + 20) != 0) {
    return absl::InvalidArgumentError(
        absl::StrCat(path, ": multi-volume zip archives are not supported"));
  }
  loc.entries = U64(r + 32);
  loc.size = U64(r + 40);
  loc.offset = U64(r + 48);
  return loc;
}

}  // namespace

absl::StatusOr<ZipArchive> ZipArchive::Parse(const uint8_t* data, uint64_t size,
                                             std::string path) {
  ZipArchive archive(data, size, std::move(path));
  BINQ_RETURN_IF_ERROR(archive.ParseDirectory());
  return archive;
}

absl::Status ZipArchive::ParseDirectory() {
  BINQ_ASSIGN_OR_RETURN(const DirectoryLocation loc,
                        LocateDirectory(path_, data_, size_));
  if (!InBounds(loc.offset, loc.size, size_)) {
    return Corrupt(path_, absl::StrCat("central directory [", loc.offset, ", +",
                                       loc.size, ") runs past the ", size_,
                                       "-byte file (truncated?)"));
  }
  // Every header takes at least 46 bytes: a count that cannot fit is corrupt
  // (and must not size an allocation).
  if (loc.entries > loc.size / kCentralHeaderSize) {
    return Corrupt(path_, absl::StrCat(loc.entries, " entries cannot fit in a ",
                                       loc.size, "-byte central directory"));
  }
  entries_.reserve(static_cast<size_t>(loc.entries));
  const uint8_t* dir = data_ + loc.offset;
  uint64_t pos = 0;
  for (uint64_t i = 0; i < loc.entries; ++i) {
    if (!InBounds(pos, kCentralHeaderSize, loc.size) ||
        U32(dir + pos) != kCentralHeaderSig) {
      return Corrupt(path_, absl::StrCat("central directory entry ", i,
                                         " is missing or has a bad signature"));
    }
    const uint8_t* h = dir + pos;
    const uint16_t name_len = U16(h + 28);
    const uint16_t extra_len = U16(h + 30);
    const uint16_t comment_len = U16(h + 32);
    const uint64_t record = kCentralHeaderSize + name_len + extra_len +
                            static_cast<uint64_t>(comment_len);
    if (!InBounds(pos, record, loc.size)) {
      return Corrupt(path_, absl::StrCat("central directory entry ", i,
                                         " runs past the directory"));
    }
    Entry entry;
    entry.name.assign(reinterpret_cast<const char*>(h + kCentralHeaderSize),
                      name_len);
    entry.flags = U16(h + 8);
    entry.method = U16(h + 10);
    entry.compressed_size = U32(h + 20);
    entry.size = U32(h + 24);
    entry.local_header_offset = U32(h + 42);
    const bool need_size = entry.size == 0xffffffffu;
    const bool need_csize = entry.compressed_size == 0xffffffffu;
    const bool need_offset = entry.local_header_offset == 0xffffffffu;
    if (need_size || need_csize || need_offset) {
      BINQ_RETURN_IF_ERROR(ApplyZip64Extra(
          path_, entry.name, h + kCentralHeaderSize + name_len, extra_len,
          need_size, need_csize, need_offset, &entry));
    }
    if (U16(h + 34) != 0 && U16(h + 34) != 0xffff) {
      return absl::InvalidArgumentError(
          absl::StrCat(path_, ": multi-volume zip archives are not supported"));
    }
    pos += record;

    // The local header: its own name and extra lengths decide where the data
    // starts (torch pads the extra field to align the data).
    const uint64_t lho = entry.local_header_offset;
    if (!InBounds(lho, kLocalHeaderSize, size_) ||
        U32(data_ + lho) != kLocalHeaderSig) {
      return Corrupt(path_, absl::StrCat("entry '", entry.name,
                                         "': no local header at offset ", lho));
    }
    const uint8_t* local = data_ + lho;
    const uint64_t local_name_len = U16(local + 26);
    const uint64_t local_extra_len = U16(local + 28);
    if (!InBounds(lho + kLocalHeaderSize, local_name_len + local_extra_len,
                  size_)) {
      return Corrupt(path_, absl::StrCat("entry '", entry.name,
                                         "': local header runs past the end "
                                         "of the file (truncated?)"));
    }
    if (local_name_len != name_len ||
        std::memcmp(local + kLocalHeaderSize, entry.name.data(), name_len) !=
            0) {
      return Corrupt(path_, absl::StrCat("entry '", entry.name,
                                         "': local header names another file"));
    }
    entry.data_offset =
        lho + kLocalHeaderSize + local_name_len + local_extra_len;
    if (!InBounds(entry.data_offset, entry.compressed_size, size_)) {
      return Corrupt(
          path_,
          absl::StrCat("entry '", entry.name, "': ", entry.compressed_size,
                       " bytes at offset ", entry.data_offset, " run past the ",
                       size_, "-byte file (truncated?)"));
    }
    if (entry.method == 0 && entry.compressed_size != entry.size) {
      return Corrupt(
          path_,
          absl::StrCat("stored entry '", entry.name, "' has compressed size ",
                       entry.compressed_size, " but size ", entry.size));
    }
    if (!by_name_.emplace(entry.name, entries_.size()).second) {
      return Corrupt(path_,
                     absl::StrCat("entry '", entry.name, "' appears twice"));
    }
    entries_.push_back(std::move(entry));
  }
  return absl::OkStatus();
}

const ZipArchive::Entry* ZipArchive::Find(absl::string_view name) const {
  const auto it = by_name_.find(name);
  return it == by_name_.end() ? nullptr : &entries_[it->second];
}

absl::StatusOr<absl::Span<const uint8_t>> ZipArchive::Read(
    const Entry& entry) const {
  if ((entry.flags & 1u) != 0) {
    return absl::InvalidArgumentError(
        absl::StrCat(path_, ": entry '", entry.name, "' is encrypted"));
  }
  if (entry.method != 0) {
    return absl::InvalidArgumentError(absl::StrCat(
        path_, ": entry '", entry.name, "' is compressed (method ",
        entry.method, entry.method == 8 ? ", deflate" : "",
        "); torch.save stores entries uncompressed, so the archive was "
        "probably re-zipped: re-save it with torch.save"));
  }
  return absl::Span<const uint8_t>(data_ + entry.data_offset,
                                   static_cast<size_t>(entry.size));
}

}  // namespace binq::core
