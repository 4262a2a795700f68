#include "core/io/zip_archive.h"

#include <fcntl.h>
#include <unistd.h>

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "core/io/posix_file.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/core/io/io_test_util.h"
#include "tests/testing/status_matchers.h"
#include "tests/testing/subprocess.h"

namespace binq::core {
namespace {

using ::binq::core::testing::FixtureDir;
using ::binq::core::testing::MakeZip;
using ::binq::core::testing::PutLE;
using ::binq::core::testing::ZipEntrySpec;
using ::binq::testing::StatusIs;
using ::testing::HasSubstr;

constexpr absl::StatusCode kDataLoss = absl::StatusCode::kDataLoss;
constexpr absl::StatusCode kInvalidArgument =
    absl::StatusCode::kInvalidArgument;

absl::StatusOr<ZipArchive> ParseString(const std::string& bytes) {
  return ZipArchive::Parse(reinterpret_cast<const uint8_t*>(bytes.data()),
                           bytes.size(), "test.zip");
}

std::string ReadEntry(const ZipArchive& zip, const std::string& name) {
  const ZipArchive::Entry* e = zip.Find(name);
  if (e == nullptr) return "<missing>";
  absl::StatusOr<absl::Span<const uint8_t>> bytes = zip.Read(*e);
  if (!bytes.ok()) return std::string(bytes.status().message());
  return std::string(reinterpret_cast<const char*>(bytes->data()),
                     bytes->size());
}

// Overwrites `bytes` at the first occurrence of `signature` + `at`.
void Patch(std::string* bytes, uint32_t signature, size_t at, uint64_t value,
           int width, size_t occurrence = 0) {
  std::string sig;
  PutLE(&sig, signature, 4);
  size_t pos = bytes->find(sig);
  for (size_t i = 0; i < occurrence; ++i) pos = bytes->find(sig, pos + 1);
  ASSERT_NE(pos, std::string::npos);
  std::string v;
  PutLE(&v, value, width);
  bytes->replace(pos + at, width, v);
}

const std::vector<ZipEntrySpec> kTwoEntries = {
    {"archive/data.pkl", "pickled"}, {"archive/data/0", std::string(10, 'x')}};

TEST(ZipArchiveTest, ReadsTheArchiveTorchSaveWrote) {
  const std::string path = FixtureDir("torch_dtypes/pytorch_model.bin");
  auto file = MappedFile::Open(path);
  ASSERT_TRUE(file.ok()) << file.status();
  auto zip = ZipArchive::Parse((*file)->data(), (*file)->size(), path);
  ASSERT_TRUE(zip.ok()) << zip.status();
  const ZipArchive::Entry* pkl = zip->Find("pytorch_model/data.pkl");
  ASSERT_NE(pkl, nullptr);
  auto bytes = zip->Read(*pkl);
  ASSERT_TRUE(bytes.ok()) << bytes.status();
  ASSERT_GE(bytes->size(), 2u);
  EXPECT_EQ((*bytes)[0], 0x80);                 // pickle PROTO
  EXPECT_EQ((*bytes)[bytes->size() - 1], '.');  // STOP
  EXPECT_EQ(ReadEntry(*zip, "pytorch_model/byteorder"), "little");
  int storages = 0;
  for (const ZipArchive::Entry& e : zip->entries()) {
    if (e.name.rfind("pytorch_model/data/", 0) == 0) {
      ++storages;
      EXPECT_EQ(e.data_offset % 64, 0u) << e.name;  // torch aligns storages
    }
  }
  EXPECT_GT(storages, 10);
}

// (zip64 fields, ZIP64 end records): a small archive from most writers, one
// from torch, one over 4 GiB.
const std::pair<bool, bool> kForms[] = {
    {false, false}, {false, true}, {true, true}};

TEST(ZipArchiveTest, ReadsPlainAndZip64Forms) {
  for (const auto& [zip64, zip64_end] : kForms) {
    SCOPED_TRACE(::testing::Message() << zip64 << zip64_end);
    const std::string bytes = MakeZip(kTwoEntries, zip64, zip64_end);
    auto zip = ParseString(bytes);
    ASSERT_TRUE(zip.ok()) << zip.status();
    ASSERT_EQ(zip->entries().size(), 2u);
    EXPECT_EQ(ReadEntry(*zip, "archive/data.pkl"), "pickled");
    EXPECT_EQ(ReadEntry(*zip, "archive/data/0"), std::string(10, 'x'));
    EXPECT_EQ(zip->Find("archive/data/1"), nullptr);
  }
}

// The test's own zip writer must make archives a real reader accepts, or the
// ZIP64 tests above would prove nothing.
TEST(ZipArchiveTest, TestArchivesAreValidForPython) {
  const std::string python = BINQ_PYTHON;
  if (::access(python.c_str(), X_OK) != 0) {
    GTEST_SKIP() << "no Python at " << python << " to cross-check the archives";
  }
  const std::string dir = ::binq::testing::MakeTempDir();
  for (const auto& [zip64, zip64_end] : kForms) {
    const std::string path =
        absl::StrCat(dir, "/form", zip64, zip64_end, ".zip");
    testing::WriteFileBytes(path, MakeZip(kTwoEntries, zip64, zip64_end));
    const auto r = ::binq::testing::RunProcess(
        {python, "-c",
         "import sys, zipfile\n"
         "z = zipfile.ZipFile(sys.argv[1])\n"
         "assert z.read('archive/data.pkl') == b'pickled'\n"
         "assert z.read('archive/data/0') == b'x' * 10\n"
         "print('ok')\n",
         path});
    EXPECT_EQ(r.exit_code, 0) << r.err;
    EXPECT_EQ(r.out, "ok\n");
  }
}

// A real archive over 4 GiB, made sparse so it costs no disk: a 4.5 GiB entry
// of zeros, then a small one whose offset needs ZIP64.
TEST(ZipArchiveTest, ReadsEntriesPastFourGiB) {
  const std::string path = ::binq::testing::MakeTempDir() + "/big.zip";
  const uint64_t big = (9ull << 29);  // 4.5 GiB
  std::vector<ZipEntrySpec> entries = {{"a/big", ""}, {"a/small", "tail!"}};
  // Local headers: "a/big" at 0 (data at 64), "a/small" after the hole.
  std::string local_big, local_small;
  const auto local = [](const std::string& name, std::string* out) {
    PutLE(out, 0x04034b50, 4);
    PutLE(out, 45, 2);
    PutLE(out, 0x0808, 2);
    PutLE(out, 0, 2);
    out->append(16, '\0');  // time, date, crc, sizes
    PutLE(out, name.size(), 2);
    const uint64_t pad = 64 - 30 - name.size() - 4;
    PutLE(out, 4 + pad, 2);
    *out += name;
    PutLE(out, 0x4246, 2);
    PutLE(out, pad, 2);
    out->append(pad, 'Z');
  };
  local("a/big", &local_big);
  local("a/small", &local_small);
  ASSERT_EQ(local_big.size(), 64u);
  const uint64_t small_offset = 64 + big;
  std::string tail = local_small + "tail!";
  const uint64_t cd_offset = small_offset + tail.size();
  std::string cd;
  const std::vector<std::pair<uint64_t, uint64_t>> where = {{0, big},
                                                            {small_offset, 5}};
  for (size_t i = 0; i < 2; ++i) {
    PutLE(&cd, 0x02014b50, 4);
    PutLE(&cd, 45, 2);
    PutLE(&cd, 45, 2);
    PutLE(&cd, 0x0808, 2);
    PutLE(&cd, 0, 2);
    PutLE(&cd, 0, 8);
    PutLE(&cd, 0xffffffffu, 4);
    PutLE(&cd, 0xffffffffu, 4);
    PutLE(&cd, entries[i].name.size(), 2);
    PutLE(&cd, 28, 2);
    cd.append(10, '\0');  // comment length, disk, attributes
    PutLE(&cd, 0xffffffffu, 4);
    cd += entries[i].name;
    PutLE(&cd, 1, 2);
    PutLE(&cd, 24, 2);
    PutLE(&cd, where[i].second, 8);
    PutLE(&cd, where[i].second, 8);
    PutLE(&cd, where[i].first, 8);
  }
  const uint64_t z64 = cd_offset + cd.size();
  std::string end;
  PutLE(&end, 0x06064b50, 4);
  PutLE(&end, 44, 8);
  PutLE(&end, 45, 2);
  PutLE(&end, 45, 2);
  PutLE(&end, 0, 8);
  PutLE(&end, 2, 8);
  PutLE(&end, 2, 8);
  PutLE(&end, cd.size(), 8);
  PutLE(&end, cd_offset, 8);
  PutLE(&end, 0x07064b50, 4);
  PutLE(&end, 0, 4);
  PutLE(&end, z64, 8);
  PutLE(&end, 1, 4);
  PutLE(&end, 0x06054b50, 4);
  PutLE(&end, 0, 4);
  PutLE(&end, 0xffff, 2);
  PutLE(&end, 0xffff, 2);
  PutLE(&end, 0xffffffffu, 4);
  PutLE(&end, 0xffffffffu, 4);
  PutLE(&end, 0, 2);

  const int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
  ASSERT_GE(fd, 0);
  const std::string after_hole = tail + cd + end;
  ASSERT_EQ(::pwrite(fd, local_big.data(), local_big.size(), 0),
            static_cast<ssize_t>(local_big.size()));
  ASSERT_EQ(::pwrite(fd, after_hole.data(), after_hole.size(),
                     static_cast<off_t>(small_offset)),
            static_cast<ssize_t>(after_hole.size()));
  ::close(fd);

  auto file = MappedFile::Open(path);
  ASSERT_TRUE(file.ok()) << file.status();
  ASSERT_GT((*file)->size(), 1ull << 32);
  auto zip = ZipArchive::Parse((*file)->data(), (*file)->size(), path);
  ASSERT_TRUE(zip.ok()) << zip.status();
  EXPECT_EQ(ReadEntry(*zip, "a/small"), "tail!");
  const ZipArchive::Entry* e = zip->Find("a/small");
  ASSERT_NE(e, nullptr);
  EXPECT_GT(e->data_offset, 1ull << 32);
  const ZipArchive::Entry* b = zip->Find("a/big");
  ASSERT_NE(b, nullptr);
  EXPECT_EQ(b->size, big);
  EXPECT_EQ(b->data_offset, 64u);
}

TEST(ZipArchiveTest, NotAZip) {
  EXPECT_THAT(ParseString("short"),
              StatusIs(kDataLoss, HasSubstr("test.zip: corrupt zip archive")));
  EXPECT_THAT(ParseString(std::string(1000, 'a')),
              StatusIs(kDataLoss, HasSubstr("no end of central directory")));
  EXPECT_THAT(ParseString(""), StatusIs(kDataLoss, HasSubstr("test.zip")));
}

TEST(ZipArchiveTest, EveryTruncationIsDataLoss) {
  const std::string bytes = MakeZip(kTwoEntries, /*zip64=*/true);
  for (size_t n = 0; n < bytes.size(); ++n) {
    EXPECT_THAT(ParseString(bytes.substr(0, n)),
                StatusIs(kDataLoss, HasSubstr("test.zip")))
        << "cut at " << n;
  }
}

TEST(ZipArchiveTest, CorruptDirectories) {
  const std::string good = MakeZip(kTwoEntries);
  struct Case {
    const char* what;
    uint32_t signature;
    size_t at;
    uint64_t value;
    int width;
    size_t occurrence;
    const char* message;
  };
  const Case cases[] = {
      // ZIP64 end record: directory offset past the end.
      {"cd offset", 0x06064b50, 48, 1u << 30, 8, 0, "runs past the"},
      {"cd size", 0x06064b50, 40, 1u << 30, 8, 0, "runs past the"},
      {"entry count", 0x06064b50, 32, 1000, 8, 0, "cannot fit"},
      {"locator", 0x07064b50, 8, 3, 8, 0, "does not point at a ZIP64 end"},
      {"local offset", 0x02014b50, 42, 5, 4, 0, "no local header"},
      {"entry size", 0x02014b50, 20, 1u << 20, 4, 1, "run past the"},
      {"stored sizes", 0x02014b50, 24, 3, 4, 1, "has compressed size"},
      {"name length", 0x02014b50, 28, 0xfff0, 2, 1, "runs past the directory"},
      {"local name", 0x04034b50, 30, 'X', 1, 0, "names another file"},
      {"cd signature", 0x02014b50, 0, 0x12345678, 4, 1, "bad signature"},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(c.what);
    std::string bytes = good;
    Patch(&bytes, c.signature, c.at, c.value, c.width, c.occurrence);
    EXPECT_THAT(ParseString(bytes), StatusIs(kDataLoss, HasSubstr(c.message)));
  }
}

TEST(ZipArchiveTest, DuplicateNames) {
  EXPECT_THAT(ParseString(MakeZip({{"a/x", "1"}, {"a/x", "2"}})),
              StatusIs(kDataLoss, HasSubstr("'a/x' appears twice")));
}

TEST(ZipArchiveTest, SaturatedEndRecordNeedsZip64) {
  std::string bytes = MakeZip(kTwoEntries, /*zip64=*/true);
  // Break the locator's signature: the saturated end record has no ZIP64.
  Patch(&bytes, 0x07064b50, 0, 0, 4);
  EXPECT_THAT(ParseString(bytes),
              StatusIs(kDataLoss, HasSubstr("no ZIP64 locator")));
}

TEST(ZipArchiveTest, MissingZip64ExtraField) {
  std::string bytes = MakeZip(kTwoEntries, /*zip64=*/true);
  Patch(&bytes, 0x02014b50, 46 + 16, 0x7777, 2);  // the extra field's id
  EXPECT_THAT(ParseString(bytes),
              StatusIs(kDataLoss, HasSubstr("ZIP64 extra field, which is "
                                            "missing")));
}

TEST(ZipArchiveTest, MultiVolume) {
  std::string bytes = MakeZip(kTwoEntries);
  Patch(&bytes, 0x07064b50, 16, 2, 4);  // total disks
  EXPECT_THAT(ParseString(bytes),
              StatusIs(kInvalidArgument, HasSubstr("multi-volume")));
}

TEST(ZipArchiveTest, CompressedAndEncryptedEntriesAreRefusedWhenRead) {
  std::vector<ZipEntrySpec> entries = kTwoEntries;
  entries[1].method = 8;
  const std::string compressed = MakeZip(entries);  // outlives the archive
  auto zip = ParseString(compressed);
  ASSERT_TRUE(zip.ok()) << zip.status();
  EXPECT_EQ(ReadEntry(*zip, "archive/data.pkl"), "pickled");
  EXPECT_THAT(zip->Read(*zip->Find("archive/data/0")),
              StatusIs(kInvalidArgument,
                       HasSubstr("test.zip: entry 'archive/data/0' is "
                                 "compressed (method 8, deflate)")));

  std::string encrypted = MakeZip(kTwoEntries);
  Patch(&encrypted, 0x02014b50, 8, 0x0809, 2);
  zip = ParseString(encrypted);
  ASSERT_TRUE(zip.ok()) << zip.status();
  EXPECT_THAT(zip->Read(*zip->Find("archive/data.pkl")),
              StatusIs(kInvalidArgument, HasSubstr("is encrypted")));
}

}  // namespace
}  // namespace binq::core
