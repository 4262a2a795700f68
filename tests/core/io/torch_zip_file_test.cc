#include "core/io/torch_zip_file.h"

#include <unistd.h>

#include <cstdint>
#include <cstring>
#include <memory>
#include <random>
#include <string>
#include <thread>
#include <vector>

#include "absl/strings/str_cat.h"
#include "core/io/safetensors.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/core/io/io_test_util.h"
#include "tests/testing/status_matchers.h"
#include "tests/testing/subprocess.h"

namespace binq::core {
namespace {

using ::binq::core::testing::Bytes;
using ::binq::core::testing::FixtureDir;
using ::binq::core::testing::MakeZip;
using ::binq::core::testing::PickleBuilder;
using ::binq::core::testing::ReadFileBytes;
using ::binq::core::testing::RowMajorStrides;
using ::binq::core::testing::WriteFileBytes;
using ::binq::core::testing::ZipEntrySpec;
using ::binq::testing::IsOkAndHolds;
using ::binq::testing::StatusIs;
using ::testing::AllOf;
using ::testing::ElementsAreArray;
using ::testing::HasSubstr;

constexpr absl::StatusCode kDataLoss = absl::StatusCode::kDataLoss;
constexpr absl::StatusCode kInvalidArgument =
    absl::StatusCode::kInvalidArgument;
constexpr absl::StatusCode kNotFound = absl::StatusCode::kNotFound;

// Every tensor of `file` equals the one of that name in `expected_path`
// (written by the safetensors library from the same torch tensors): dtype,
// shape and bytes.
void ExpectSameTensors(const TorchZipFile& file,
                       const std::string& expected_path) {
  auto expected = SafetensorsFile::Open(expected_path);
  ASSERT_TRUE(expected.ok()) << expected.status();
  EXPECT_EQ(file.TensorNames(), (*expected)->TensorNames());
  for (const std::string& name : (*expected)->TensorNames()) {
    SCOPED_TRACE(name);
    auto want = (*expected)->Get(name);
    auto got = file.Get(name);
    ASSERT_TRUE(want.ok() && got.ok()) << got.status();
    EXPECT_EQ(got->dtype, want->dtype);
    EXPECT_EQ(got->shape, want->shape);
    EXPECT_EQ(Bytes(*got), Bytes(*want));
  }
}

class TorchZipFileTest : public testing::TempDirTest {
 protected:
  // A torch.save-shaped archive under "archive/" with the given pickle and
  // storages, at Path(name).
  std::string WriteArchive(const std::string& name, const std::string& pickle,
                           std::vector<ZipEntrySpec> storages,
                           const std::string& byteorder = "little",
                           bool zip64 = false) {
    std::vector<ZipEntrySpec> entries = {{"archive/data.pkl", pickle}};
    if (!byteorder.empty()) entries.push_back({"archive/byteorder", byteorder});
    for (ZipEntrySpec& s : storages) {
      s.name = "archive/data/" + s.name;
      entries.push_back(std::move(s));
    }
    entries.push_back({"archive/version", "3\n"});
    const std::string path = Path(name);
    WriteFileBytes(path, MakeZip(entries, zip64));
    return path;
  }
};

std::string Floats(const std::vector<float>& v) {
  return std::string(reinterpret_cast<const char*>(v.data()),
                     v.size() * sizeof(float));
}

TEST_F(TorchZipFileTest, ReadsEveryDTypeAndViewExactly) {
  for (const char* fixture : {"torch_dtypes", "torch_protocol4"}) {
    SCOPED_TRACE(fixture);
    auto file = TorchZipFile::Open(
        FixtureDir(std::string(fixture) + "/pytorch_model.bin"));
    ASSERT_TRUE(file.ok()) << file.status();
    ExpectSameTensors(**file, FixtureDir("expected/torch_dtypes.safetensors"));
  }
}

TEST_F(TorchZipFileTest, ReadsParameters) {
  auto file = TorchZipFile::Open(FixtureDir("torch_params/pytorch_model.bin"));
  ASSERT_TRUE(file.ok()) << file.status();
  ExpectSameTensors(**file, FixtureDir("expected/torch_params.safetensors"));
}

TEST_F(TorchZipFileTest, ContiguousTensorsAreViewsOfTheMapping) {
  auto file = TorchZipFile::Open(FixtureDir("torch_dtypes/pytorch_model.bin"));
  ASSERT_TRUE(file.ok()) << file.status();
  const TorchZipFile& f = **file;
  for (const char* name :
       {"f32", "f16", "base", "row_of_base", "tied_a", "scalar", "empty"}) {
    EXPECT_THAT(f.IsMapped(name), IsOkAndHolds(true)) << name;
  }
  for (const char* name : {"transposed", "strided", "expanded"}) {
    EXPECT_THAT(f.IsMapped(name), IsOkAndHolds(false)) << name;
  }
  // Shared storages are shared bytes: tied names and a row of a matrix point
  // at the same mapped memory.
  auto a = f.Get("tied_a"), b = f.Get("tied_b");
  auto base = f.Get("base"), row = f.Get("row_of_base");
  ASSERT_TRUE(a.ok() && b.ok() && base.ok() && row.ok());
  EXPECT_EQ(a->data, b->data);
  EXPECT_EQ(row->data, base->data + 3 * 4 * sizeof(float));
  // torch aligns storages to 64 bytes in the file (and mmap to a page).
  EXPECT_EQ(reinterpret_cast<uintptr_t>(base->data) % 64, 0u);
  // A gathered tensor is gathered once.
  auto t1 = f.Get("transposed"), t2 = f.Get("transposed");
  ASSERT_TRUE(t1.ok() && t2.ok());
  EXPECT_EQ(t1->data, t2->data);
}

TEST_F(TorchZipFileTest, ConcurrentGetsAgree) {
  auto file = TorchZipFile::Open(FixtureDir("torch_dtypes/pytorch_model.bin"));
  ASSERT_TRUE(file.ok()) << file.status();
  std::vector<std::thread> threads;
  std::vector<const uint8_t*> seen(8);
  for (int i = 0; i < 8; ++i) {
    threads.emplace_back([&, i] {
      auto v = (*file)->Get("strided");
      seen[i] = v.ok() ? v->data : nullptr;
    });
  }
  for (std::thread& t : threads) t.join();
  for (const uint8_t* p : seen) {
    EXPECT_NE(p, nullptr);
    EXPECT_EQ(p, seen[0]);
  }
}

TEST_F(TorchZipFileTest, MissingTensor) {
  const std::string path = FixtureDir("torch_params/pytorch_model.bin");
  auto file = TorchZipFile::Open(path);
  ASSERT_TRUE(file.ok()) << file.status();
  EXPECT_FALSE((*file)->Has("nope"));
  EXPECT_THAT((*file)->Get("nope"),
              StatusIs(kNotFound, AllOf(HasSubstr(path), HasSubstr("'nope'"))));
}

TEST_F(TorchZipFileTest, LegacyFormat) {
  const std::string path = FixtureDir("torch_legacy/pytorch_model.bin");
  EXPECT_THAT(
      TorchZipFile::Open(path),
      StatusIs(kInvalidArgument,
               AllOf(HasSubstr(path), HasSubstr("legacy torch.save format"),
                     HasSubstr("re-save it with torch>=1.6"))));
}

TEST_F(TorchZipFileTest, RefusesCodeInThePickle) {
  const std::string path = FixtureDir("torch_evil/pytorch_model.bin");
  EXPECT_THAT(TorchZipFile::Open(path),
              StatusIs(kInvalidArgument,
                       AllOf(HasSubstr(path), HasSubstr("posix.system"))));
}

TEST_F(TorchZipFileTest, NotFoundAndNotAnArchive) {
  EXPECT_THAT(TorchZipFile::Open(Path("absent.bin")),
              StatusIs(kNotFound, HasSubstr("absent.bin")));
  WriteFileBytes(Path("text.bin"), "hello, not a zip");
  EXPECT_THAT(TorchZipFile::Open(Path("text.bin")),
              StatusIs(kDataLoss, HasSubstr("text.bin")));
  WriteFileBytes(Path("plain.zip"), MakeZip({{"readme.txt", "hi"}}));
  EXPECT_THAT(TorchZipFile::Open(Path("plain.zip")),
              StatusIs(kDataLoss, HasSubstr("not one written by torch.save")));
}

// Crafted archives: one float tensor `w` of `sizes` over a 6-float storage.
TEST_F(TorchZipFileTest, ReadsCraftedArchivesInBothZipForms) {
  PickleBuilder p;
  p.BeginDict()
      .Str("w")
      .Tensor("FloatStorage", "0", 6, 1, {2, 2}, {1, 2})  // strided, offset 1
      .Str("v")
      .Tensor("FloatStorage", "0", 6, 0, {6}, {1})
      .EndDict();
  const std::string storage = Floats({0, 1, 2, 3, 4, 5});
  for (const bool zip64 : {false, true}) {
    SCOPED_TRACE(zip64);
    const std::string path =
        WriteArchive(zip64 ? "z64.bin" : "plain.bin", p.bytes(),
                     {{"0", storage}}, "little", zip64);
    auto file = TorchZipFile::Open(path);
    ASSERT_TRUE(file.ok()) << file.status();
    auto w = (*file)->Get("w");
    ASSERT_TRUE(w.ok()) << w.status();
    // w[i][j] = storage[1 + i + 2j], gathered row-major.
    EXPECT_EQ(std::string(reinterpret_cast<const char*>(w->data), w->nbytes),
              Floats({1, 3, 2, 4}));
    auto v = (*file)->Get("v");
    ASSERT_TRUE(v.ok()) << v.status();
    EXPECT_EQ(std::string(reinterpret_cast<const char*>(v->data), v->nbytes),
              storage);
  }
}

// The crafted archives are real: torch itself loads them to the same values.
TEST_F(TorchZipFileTest, TorchLoadsTheCraftedArchives) {
  const std::string python = BINQ_PYTHON;
  if (::access(python.c_str(), X_OK) != 0) {
    GTEST_SKIP() << "no Python at " << python << " to run torch.load";
  }
  PickleBuilder p;
  p.BeginDict()
      .Str("w")
      .Tensor("FloatStorage", "0", 6, 1, {2, 2}, {1, 2})
      .EndDict();
  const std::string storage = Floats({0, 1, 2, 3, 4, 5});
  const std::string plain =
      WriteArchive("plain.bin", p.bytes(), {{"0", storage}}, "little", false);
  const std::string z64 =
      WriteArchive("z64.bin", p.bytes(), {{"0", storage}}, "little", true);
  const auto r = ::binq::testing::RunProcess(
      {python, "-c",
       "import sys, torch\n"
       "for path in sys.argv[1:]:\n"
       "    print(torch.load(path, weights_only=True)['w'].tolist())\n",
       plain, z64});
  if (r.exit_code != 0 &&
      r.err.find("No module named 'torch'") != std::string::npos) {
    GTEST_SKIP() << python << " has no torch";
  }
  EXPECT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(r.out, "[[1.0, 3.0], [2.0, 4.0]]\n[[1.0, 3.0], [2.0, 4.0]]\n");
}

TEST_F(TorchZipFileTest, CorruptArchives) {
  const auto one = [](const std::string& type, int64_t numel, int64_t offset,
                      const std::vector<int64_t>& sizes,
                      const std::vector<int64_t>& strides) {
    PickleBuilder p;
    p.BeginDict().Str("w").Tensor(type, "0", numel, offset, sizes, strides);
    return p.EndDict().bytes();
  };
  const std::string six = Floats({0, 1, 2, 3, 4, 5});
  const std::string ok = one("FloatStorage", 6, 0, {6}, {1});
  struct Case {
    const char* what;
    std::string pickle;
    std::vector<ZipEntrySpec> storages;
    std::string byteorder;
    absl::StatusCode code;
    std::vector<std::string> message;
  };
  const Case cases[] = {
      {"missing storage",
       ok,
       {},
       "little",
       kDataLoss,
       {"tensor 'w'", "storage entry 'archive/data/0' is missing"}},
      {"storage too small",
       ok,
       {{"0", six.substr(0, 12)}},
       "little",
       kDataLoss,
       {"tensor 'w'", "holds 12 bytes", "needs 24"}},
      {"storage too large",
       ok,
       {{"0", six + "xxxx"}},
       "little",
       kDataLoss,
       {"holds 28 bytes"}},
      {"view past storage",
       one("FloatStorage", 6, 3, {2, 2}, {2, 1}),
       {{"0", six}},
       "little",
       kDataLoss,
       {"tensor 'w'", "runs past its storage of 6 elements"}},
      {"offset past storage",
       one("FloatStorage", 6, 7, {0}, {1}),
       {{"0", six}},
       "little",
       kDataLoss,
       {"runs past its storage"}},
      {"huge strides",
       one("FloatStorage", 6, 0, {5, 2}, {1ll << 62, 1}),
       {{"0", six}},
       "little",
       kDataLoss,
       {"too large"}},
      {"complex",
       one("ComplexFloatStorage", 3, 0, {3}, {1}),
       {{"0", six}},
       "little",
       kInvalidArgument,
       {"tensor 'w'", "torch.ComplexFloatStorage is not one binq reads"}},
      {"compressed storage",
       ok,
       {{"0", six, 8}},
       "little",
       kInvalidArgument,
       {"tensor 'w'", "is compressed"}},
      {"big endian",
       ok,
       {{"0", six}},
       "big",
       kInvalidArgument,
       {"byteorder is 'big'"}},
      {"bad pickle",
       "\x80\x02}q",
       {{"0", six}},
       "little",
       kDataLoss,
       {"archive/data.pkl: corrupt pickle"}},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(c.what);
    const std::string path =
        WriteArchive("case.bin", c.pickle, c.storages, c.byteorder);
    auto matcher = HasSubstr(path);
    absl::StatusOr<std::unique_ptr<TorchZipFile>> file =
        TorchZipFile::Open(path);
    EXPECT_THAT(file, StatusIs(c.code, matcher));
    for (const std::string& m : c.message) {
      EXPECT_THAT(file, StatusIs(c.code, HasSubstr(m)));
    }
  }
  // And the well-formed variant of the same archive opens.
  EXPECT_TRUE(
      TorchZipFile::Open(WriteArchive("ok.bin", ok, {{"0", six}})).ok());
}

TEST_F(TorchZipFileTest, EveryTruncationIsAnError) {
  const std::string good =
      ReadFileBytes(FixtureDir("torch_params/pytorch_model.bin"));
  const std::string path = Path("cut.bin");
  for (size_t n = 0; n < good.size(); ++n) {
    WriteFileBytes(path, good.substr(0, n));
    EXPECT_THAT(TorchZipFile::Open(path), StatusIs(kDataLoss, HasSubstr(path)))
        << "cut at " << n;
  }
}

// Random damage to a real archive: an error naming the file, or a file whose
// every tensor can be read; never a crash or an out-of-bounds read (run under
// BINQ_SANITIZE=address to check the latter).
TEST_F(TorchZipFileTest, SurvivesRandomCorruption) {
  const std::string good =
      ReadFileBytes(FixtureDir("torch_dtypes/pytorch_model.bin"));
  const std::string path = Path("damaged.bin");
  std::mt19937 rng(11);
  int errors = 0;
  for (int trial = 0; trial < 1500; ++trial) {
    std::string bytes = good;
    // Damage where it matters most: the pickle (first ~1 KB) and the
    // directory (last ~1.5 KB); the rest is tensor data.
    for (int k = 0; k < 2; ++k) {
      const size_t region =
          rng() % 2 == 0 ? rng() % 1200 : bytes.size() - 1 - rng() % 1600;
      bytes[region] = static_cast<char>(rng());
    }
    WriteFileBytes(path, bytes);
    auto file = TorchZipFile::Open(path);
    if (!file.ok()) {
      ++errors;
      EXPECT_THAT(std::string(file.status().message()), HasSubstr(path));
      continue;
    }
    for (const std::string& name : (*file)->TensorNames()) {
      auto view = (*file)->Get(name);
      ASSERT_TRUE(view.ok()) << view.status();
      volatile uint8_t sink = 0;
      for (size_t i = 0; i < view->nbytes; ++i) sink ^= view->data[i];
      (void)sink;
    }
  }
  EXPECT_GT(errors, 300);
}

}  // namespace
}  // namespace binq::core
