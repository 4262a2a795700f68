// Helpers shared by the checkpoint tests: a per-test temp folder, whole-file
// reads and writes, fixture paths, a writer of stored zip archives shaped like
// torch.save's, and a builder of the pickles torch.save writes.
#ifndef BINQ_TESTS_CORE_IO_IO_TEST_UTIL_H_
#define BINQ_TESTS_CORE_IO_IO_TEST_UTIL_H_

#include <stdlib.h>

#include <cerrno>
#include <cstdint>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <string>
#include <utility>
#include <vector>

#include "core/io/safetensors.h"
#include "gtest/gtest.h"

namespace binq::core::testing {

// A tensor's bytes, for comparing what was read with what was written.
inline std::vector<uint8_t> Bytes(const TensorView& view) {
  return std::vector<uint8_t>(view.data, view.data + view.nbytes);
}

inline std::string FixtureDir(const std::string& name) {
  return std::string(BINQ_TEST_DATA_DIR) + "/checkpoints/" + name;
}

inline std::string ReadFileBytes(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  return std::string(std::istreambuf_iterator<char>(in),
                     std::istreambuf_iterator<char>());
}

inline void WriteFileBytes(const std::string& path, const std::string& bytes) {
  // Unlink first: ext4 flushes a file truncated and rewritten in place
  // (auto_da_alloc), which makes loops over damaged copies crawl.
  std::error_code ec;
  std::filesystem::remove(path, ec);
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  out.write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
  ASSERT_TRUE(out.good()) << path;
}

// Each test gets its own folder under the test temp dir, removed afterwards.
class TempDirTest : public ::testing::Test {
 protected:
  void SetUp() override {
    std::string templ = ::testing::TempDir() + "binq_ckpt_XXXXXX";
    ASSERT_NE(::mkdtemp(templ.data()), nullptr) << std::strerror(errno);
    dir_ = templ;
  }
  void TearDown() override {
    std::error_code ec;
    std::filesystem::remove_all(dir_, ec);
  }
  std::string Path(const std::string& name) const { return dir_ + "/" + name; }
  // Copies the fixture folder `name` to Path(as) and returns that path.
  std::string CopyFixture(const std::string& name, const std::string& as) {
    const std::string to = Path(as);
    std::filesystem::copy(FixtureDir(name), to,
                          std::filesystem::copy_options::recursive);
    return to;
  }

  std::string dir_;
};

// Stored zip archives like torch.save writes: each entry's data 64-byte
// aligned (padding in the local extra field), sizes in the central directory.
// With `zip64`, every size and offset goes through ZIP64 extra fields and the
// ZIP64 end records, as for archives over 4 GiB; `zip64_end` = false leaves
// out the ZIP64 end records of a small archive (other zip writers do).
struct ZipEntrySpec {
  std::string name;
  std::string data;
  uint16_t method = 0;  // written as is; data is not compressed
};

inline void PutLE(std::string* out, uint64_t v, int bytes) {
  for (int i = 0; i < bytes; ++i)
    out->push_back(static_cast<char>(v >> (8 * i)));
}

// CRC-32 (IEEE, as zip uses), bit by bit: test archives are small.
inline uint32_t Crc32(const std::string& data) {
  uint32_t crc = 0xffffffffu;
  for (const char c : data) {
    crc ^= static_cast<uint8_t>(c);
    for (int k = 0; k < 8; ++k)
      crc = (crc >> 1) ^ (0xedb88320u & (0u - (crc & 1u)));
  }
  return ~crc;
}

inline std::string MakeZip(const std::vector<ZipEntrySpec>& entries,
                           bool zip64 = false, bool zip64_end = true) {
  std::string out;
  std::vector<uint64_t> offsets;
  for (const ZipEntrySpec& e : entries) {
    offsets.push_back(out.size());
    PutLE(&out, 0x04034b50, 4);
    PutLE(&out, 20, 2);      // version needed
    PutLE(&out, 0x0808, 2);  // data descriptor + UTF-8, like torch
    PutLE(&out, e.method, 2);
    PutLE(&out, 0, 4);  // time, date
    PutLE(&out, 0, 4);  // crc (in the descriptor)
    PutLE(&out, 0, 8);  // sizes (in the descriptor)
    PutLE(&out, e.name.size(), 2);
    const uint64_t header_end = out.size() + 2 + e.name.size() + 4;
    const uint64_t pad = (64 - header_end % 64) % 64;
    PutLE(&out, 4 + pad, 2);
    out += e.name;
    PutLE(&out, 0x4246, 2);  // "FB", torch's padding field id
    PutLE(&out, pad, 2);
    out.append(pad, 'Z');
    out += e.data;
    PutLE(&out, 0x08074b50, 4);  // data descriptor
    PutLE(&out, Crc32(e.data), 4);
    PutLE(&out, e.data.size(), 4);
    PutLE(&out, e.data.size(), 4);
  }
  const uint64_t cd_offset = out.size();
  for (size_t i = 0; i < entries.size(); ++i) {
    const ZipEntrySpec& e = entries[i];
    PutLE(&out, 0x02014b50, 4);
    PutLE(&out, 0x031e, 2);  // made by
    PutLE(&out, 45, 2);
    PutLE(&out, 0x0808, 2);
    PutLE(&out, e.method, 2);
    PutLE(&out, 0, 4);
    PutLE(&out, Crc32(e.data), 4);  // binq does not check it; Python does
    const uint64_t sat = zip64 ? 0xffffffffu : 0;
    PutLE(&out, zip64 ? sat : e.data.size(), 4);
    PutLE(&out, zip64 ? sat : e.data.size(), 4);
    PutLE(&out, e.name.size(), 2);
    PutLE(&out, zip64 ? 28 : 0, 2);  // extra
    PutLE(&out, 0, 2);               // comment
    PutLE(&out, 0, 2);               // disk
    PutLE(&out, 0, 2);
    PutLE(&out, 0, 4);
    PutLE(&out, zip64 ? sat : offsets[i], 4);
    out += e.name;
    if (zip64) {
      PutLE(&out, 0x0001, 2);
      PutLE(&out, 24, 2);
      PutLE(&out, e.data.size(), 8);
      PutLE(&out, e.data.size(), 8);
      PutLE(&out, offsets[i], 8);
    }
  }
  const uint64_t cd_size = out.size() - cd_offset;
  const uint64_t z64_offset = out.size();
  // torch always writes the ZIP64 end records; the plain end record is then
  // saturated only when a value does not fit.
  if (zip64 || zip64_end) {
    PutLE(&out, 0x06064b50, 4);
    PutLE(&out, 44, 8);
    PutLE(&out, 0x031e, 2);
    PutLE(&out, 45, 2);
    PutLE(&out, 0, 4);
    PutLE(&out, 0, 4);
    PutLE(&out, entries.size(), 8);
    PutLE(&out, entries.size(), 8);
    PutLE(&out, cd_size, 8);
    PutLE(&out, cd_offset, 8);
    PutLE(&out, 0x07064b50, 4);
    PutLE(&out, 0, 4);
    PutLE(&out, z64_offset, 8);
    PutLE(&out, 1, 4);
  }
  PutLE(&out, 0x06054b50, 4);
  PutLE(&out, zip64 ? 0xffff : 0, 2);
  PutLE(&out, zip64 ? 0xffff : 0, 2);
  PutLE(&out, zip64 ? 0xffff : entries.size(), 2);
  PutLE(&out, zip64 ? 0xffff : entries.size(), 2);
  PutLE(&out, zip64 ? 0xffffffffu : cd_size, 4);
  PutLE(&out, zip64 ? 0xffffffffu : cd_offset, 4);
  PutLE(&out, 0, 2);
  return out;
}

// Pickle bytes for a state dict, opcode by opcode, as torch.save (protocol 2)
// writes them. Tests use it to make well-formed and subtly broken archives.
class PickleBuilder {
 public:
  PickleBuilder& Raw(const std::string& bytes) {
    out_ += bytes;
    return *this;
  }
  PickleBuilder& Op(char op) {
    out_.push_back(op);
    return *this;
  }
  PickleBuilder& Proto(int v = 2) {
    out_.push_back('\x80');
    out_.push_back(static_cast<char>(v));
    return *this;
  }
  PickleBuilder& Global(const std::string& module, const std::string& name) {
    out_ += "c" + module + "\n" + name + "\n";
    return *this;
  }
  PickleBuilder& Str(const std::string& s) {
    out_.push_back('X');
    PutLE(&out_, s.size(), 4);
    out_ += s;
    return *this;
  }
  PickleBuilder& Int(int64_t v) {
    if (v >= 0 && v < 256) {
      out_.push_back('K');
      PutLE(&out_, static_cast<uint64_t>(v), 1);
    } else if (v >= INT32_MIN && v <= INT32_MAX) {
      out_.push_back('J');
      PutLE(&out_, static_cast<uint64_t>(v), 4);
    } else {
      out_ += "\x8a\x08";
      PutLE(&out_, static_cast<uint64_t>(v), 8);
    }
    return *this;
  }
  PickleBuilder& IntTuple(const std::vector<int64_t>& v) {
    Op('(');
    for (const int64_t i : v) Int(i);
    return Op('t');
  }
  // _rebuild_tensor_v2(('storage', torch.<type>, key, 'cpu', numel), offset,
  // sizes, strides, False, OrderedDict())
  PickleBuilder& Tensor(const std::string& storage_type, const std::string& key,
                        int64_t numel, int64_t offset,
                        const std::vector<int64_t>& sizes,
                        const std::vector<int64_t>& strides) {
    Global("torch._utils", "_rebuild_tensor_v2");
    Op('(');
    Op('(').Str("storage").Global("torch", storage_type).Str(key).Str("cpu");
    Int(numel).Op('t').Op('Q');
    Int(offset).IntTuple(sizes).IntTuple(strides);
    Op('\x89');
    Global("collections", "OrderedDict").Op(')').Op('R');
    return Op('t').Op('R');
  }
  // Opens a dict: `}(`; close with EndDict.
  PickleBuilder& BeginDict() { return Proto().Op('}').Op('('); }
  PickleBuilder& EndDict() { return Op('u').Op('.'); }
  const std::string& bytes() const { return out_; }

 private:
  std::string out_;
};

// A row-major contiguous tensor entry for PickleBuilder::Tensor.
inline std::vector<int64_t> RowMajorStrides(const std::vector<int64_t>& sizes) {
  std::vector<int64_t> strides(sizes.size());
  int64_t s = 1;
  for (size_t d = sizes.size(); d-- > 0;) {
    strides[d] = s;
    s *= sizes[d];
  }
  return strides;
}

}  // namespace binq::core::testing

#endif  // BINQ_TESTS_CORE_IO_IO_TEST_UTIL_H_
