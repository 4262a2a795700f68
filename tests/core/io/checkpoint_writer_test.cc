#include "core/io/checkpoint_writer.h"

#include <signal.h>
#include <sys/resource.h>
#include <unistd.h>

#include <cstdint>
#include <filesystem>
#include <memory>
#include <numeric>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "core/io/checkpoint_reader.h"
#include "core/io/safetensors.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "nlohmann/json.hpp"
#include "tests/core/io/io_test_util.h"
#include "tests/testing/status_matchers.h"
#include "tests/testing/subprocess.h"

namespace binq::core {
namespace {

using ::binq::core::testing::Bytes;
using ::binq::core::testing::FixtureDir;
using ::binq::core::testing::ReadFileBytes;
using ::binq::core::testing::WriteFileBytes;
using ::binq::testing::IsOk;
using ::binq::testing::StatusIs;
using ::testing::AllOf;
using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::IsEmpty;
using ::testing::UnorderedElementsAre;

using Json = nlohmann::json;

constexpr absl::StatusCode kFailedPrecondition =
    absl::StatusCode::kFailedPrecondition;
constexpr absl::StatusCode kInvalidArgument =
    absl::StatusCode::kInvalidArgument;
constexpr absl::StatusCode kNotFound = absl::StatusCode::kNotFound;

// The names in `dir`, sorted.
std::vector<std::string> Listing(const std::string& dir) {
  std::vector<std::string> names;
  for (const auto& e : std::filesystem::directory_iterator(dir)) {
    names.push_back(e.path().filename().string());
  }
  std::sort(names.begin(), names.end());
  return names;
}

// The JSON header of the safetensors file at `path`.
Json HeaderOf(const std::string& path) {
  const std::string raw = ReadFileBytes(path);
  uint64_t length = 0;
  for (int k = 7; k >= 0; --k) {
    length = (length << 8) | static_cast<uint8_t>(raw[k]);
  }
  EXPECT_EQ(length % 8, 0u) << path;
  return Json::parse(raw.substr(8, length));
}

// Every tensor `reader` has, declared in its (sorted) name order.
std::vector<CheckpointTensorSpec> SpecsOf(const CheckpointReader& reader) {
  std::vector<CheckpointTensorSpec> specs;
  for (const std::string& name : reader.TensorNames()) {
    const TensorView v = *reader.Get(name);
    specs.push_back({name, v.dtype, v.shape});
  }
  return specs;
}

class CheckpointWriterTest : public testing::TempDirTest {
 protected:
  void SetUp() override {
    TempDirTest::SetUp();
    auto reader = CheckpointReader::Open(FixtureDir("opt_bin_sharded"));
    ASSERT_TRUE(reader.ok()) << reader.status();
    source_ = std::move(*reader);
  }

  // Writes every tensor of source_ to `dir`.
  absl::Status WriteOpt(const std::string& dir,
                        CheckpointWriterOptions options) {
    return WriteCheckpoint(
        dir, SpecsOf(*source_),
        [&](const CheckpointTensorSpec& spec) {
          return source_->Get(spec.name);
        },
        options);
  }

  // `dir` holds exactly source_'s tensors.
  void ExpectSameAsSource(const std::string& dir) {
    auto reader = CheckpointReader::Open(dir);
    ASSERT_TRUE(reader.ok()) << reader.status();
    EXPECT_EQ((*reader)->TensorNames(), source_->TensorNames());
    for (const std::string& name : source_->TensorNames()) {
      auto got = (*reader)->Get(name);
      ASSERT_TRUE(got.ok()) << got.status();
      const TensorView want = *source_->Get(name);
      EXPECT_EQ(got->dtype, want.dtype) << name;
      EXPECT_EQ(got->shape, want.shape) << name;
      EXPECT_EQ(Bytes(*got), Bytes(want)) << name;
    }
  }

  uint64_t SourceBytes() const {
    uint64_t total = 0;
    for (const std::string& name : source_->TensorNames()) {
      total += source_->Get(name)->nbytes;
    }
    return total;
  }

  std::unique_ptr<CheckpointReader> source_;
};

TEST_F(CheckpointWriterTest, OneShardIsModelSafetensors) {
  const std::string out = Path("out");
  ASSERT_THAT(WriteOpt(out, {}), IsOk());
  EXPECT_THAT(Listing(out), ElementsAre("model.safetensors"));
  auto file = SafetensorsFile::Open(out + "/model.safetensors");
  ASSERT_TRUE(file.ok()) << file.status();
  EXPECT_THAT(
      (*file)->metadata(),
      ElementsAre(std::pair<const std::string, std::string>("format", "pt")));
  ExpectSameAsSource(out);
  // No temp folder is left next to it.
  EXPECT_THAT(Listing(dir_), ElementsAre("out"));
}

TEST_F(CheckpointWriterTest, ShardsWithAnIndex) {
  const std::string out = Path("out");
  const uint64_t max = 3000;
  CheckpointWriterOptions options;
  options.max_shard_bytes = max;
  options.metadata = {{"binq", "test"}};
  ASSERT_THAT(WriteOpt(out, options), IsOk());
  const std::vector<std::string> files = Listing(out);
  ASSERT_GE(files.size(), 4u);
  const size_t n = files.size() - 1;
  for (size_t i = 0; i < n; ++i) {
    EXPECT_EQ(files[i],
              absl::StrFormat("model-%05d-of-%05d.safetensors", i + 1, n));
  }
  EXPECT_EQ(files[n], "model.safetensors.index.json");

  const Json index =
      Json::parse(ReadFileBytes(out + "/model.safetensors.index.json"));
  EXPECT_EQ(index["metadata"]["total_size"].get<uint64_t>(), SourceBytes());
  EXPECT_EQ(index["weight_map"].size(), source_->TensorNames().size());
  for (size_t i = 0; i < n; ++i) {
    auto shard = SafetensorsFile::Open(out + "/" + files[i]);
    ASSERT_TRUE(shard.ok()) << shard.status();
    EXPECT_EQ((*shard)->metadata().at("format"), "pt");
    EXPECT_EQ((*shard)->metadata().at("binq"), "test");
    uint64_t bytes = 0;
    for (const std::string& name : (*shard)->TensorNames()) {
      EXPECT_EQ(index["weight_map"][name], files[i]) << name;
      bytes += (*shard)->Get(name)->nbytes;
    }
    // Over the limit only when one tensor alone is.
    if (bytes > max) EXPECT_EQ((*shard)->TensorNames().size(), 1u) << files[i];
    // Each tensor's data offset is a multiple of its element size.
    const Json header = HeaderOf(out + "/" + files[i]);
    for (const auto& [name, entry] : header.items()) {
      if (name == "__metadata__") continue;
      const uint64_t begin = entry["data_offsets"][0];
      EXPECT_EQ(
          begin % DTypeSize(*ParseDType(entry["dtype"].get<std::string>())), 0u)
          << name;
    }
  }
  ExpectSameAsSource(out);
}

TEST_F(CheckpointWriterTest, MixedDTypesStayAligned) {
  const std::string out = Path("out");
  const std::vector<CheckpointTensorSpec> specs = {
      {"a_byte", DType::kU8, {3}},
      {"b_half", DType::kF16, {3}},
      {"c_float", DType::kF32, {1}},
      {"d_double", DType::kF64, {2}}};
  auto writer = CheckpointWriter::Create(out, specs);
  ASSERT_TRUE(writer.ok()) << writer.status();
  const std::vector<uint8_t> data(16, 7);
  for (const auto& s : specs) {
    const size_t n = DTypeSize(s.dtype) * static_cast<size_t>(s.shape[0]);
    ASSERT_THAT((*writer)->Write(s.name, data.data(), n), IsOk());
  }
  ASSERT_THAT((*writer)->Commit(), IsOk());
  const Json header = HeaderOf(out + "/model.safetensors");
  EXPECT_EQ(header["d_double"]["data_offsets"][0], 0);
  EXPECT_EQ(header["c_float"]["data_offsets"][0], 16);
  EXPECT_EQ(header["b_half"]["data_offsets"][0], 20);
  EXPECT_EQ(header["a_byte"]["data_offsets"][0], 26);
}

TEST_F(CheckpointWriterTest, CopiesSideFilesAndWritesNewOnes) {
  const std::string src = Path("src");
  std::filesystem::create_directory(src);
  for (const char* f : {"config.json", "generation_config.json"}) {
    std::filesystem::copy_file(
        FixtureDir(std::string("opt_safetensors_sharded/") + f), src + "/" + f);
  }
  // A symbolic link, as in the Hugging Face cache.
  std::filesystem::create_symlink(
      std::string(BINQ_TEST_DATA_DIR) + "/gpt2-bpe/vocab.json",
      src + "/vocab.json");
  std::filesystem::copy_file(
      std::string(BINQ_TEST_DATA_DIR) + "/gpt2-bpe/merges.txt",
      src + "/merges.txt");
  WriteFileBytes(src + "/notes.txt", "not a side file");

  const std::string out = Path("out");
  CheckpointWriterOptions options;
  options.side_files_from = src;
  auto writer = CheckpointWriter::Create(out, SpecsOf(*source_), options);
  ASSERT_TRUE(writer.ok()) << writer.status();
  EXPECT_THAT((*writer)->copied_side_files(),
              ElementsAre("config.json", "generation_config.json", "vocab.json",
                          "merges.txt"));
  for (const std::string& name : source_->TensorNames()) {
    ASSERT_THAT((*writer)->Write(name, *source_->Get(name)), IsOk());
  }
  ASSERT_THAT((*writer)->WriteSideFile("generation_config.json", "{}\n"),
              IsOk());
  ASSERT_THAT((*writer)->Commit(), IsOk());

  EXPECT_THAT(Listing(out),
              ElementsAre("config.json", "generation_config.json", "merges.txt",
                          "model.safetensors", "vocab.json"));
  EXPECT_EQ(ReadFileBytes(out + "/config.json"),
            ReadFileBytes(src + "/config.json"));
  EXPECT_EQ(
      ReadFileBytes(out + "/vocab.json"),
      ReadFileBytes(std::string(BINQ_TEST_DATA_DIR) + "/gpt2-bpe/vocab.json"));
  EXPECT_FALSE(std::filesystem::is_symlink(out + "/vocab.json"));
  EXPECT_EQ(ReadFileBytes(out + "/merges.txt"),
            ReadFileBytes(src + "/merges.txt"));
  EXPECT_EQ(ReadFileBytes(out + "/generation_config.json"), "{}\n");
}

TEST_F(CheckpointWriterTest, ReplacesAnExistingFolderOnlyOnCommit) {
  const std::string out = Path("out");
  std::filesystem::create_directory(out);
  WriteFileBytes(out + "/old.txt", "old model");

  auto writer = CheckpointWriter::Create(out, SpecsOf(*source_));
  ASSERT_TRUE(writer.ok()) << writer.status();
  // Tensors in reverse order: placement does not depend on write order.
  const std::vector<std::string> names = source_->TensorNames();
  for (auto it = names.rbegin(); it != names.rend(); ++it) {
    ASSERT_THAT((*writer)->Write(*it, *source_->Get(*it)), IsOk());
    // Until Commit, the old folder is untouched.
    ASSERT_THAT(Listing(out), ElementsAre("old.txt"));
  }
  EXPECT_TRUE(std::filesystem::exists((*writer)->temp_dir()));
  ASSERT_THAT((*writer)->Commit(), IsOk());
  EXPECT_THAT(Listing(out), ElementsAre("model.safetensors"));
  ExpectSameAsSource(out);
  EXPECT_THAT(Listing(dir_), ElementsAre("out"));  // old folder removed
  EXPECT_THAT((*writer)->Commit(),
              StatusIs(kFailedPrecondition, HasSubstr("already committed")));
}

TEST_F(CheckpointWriterTest, AbandonedWriterLeavesNothing) {
  const std::string out = Path("out");
  std::filesystem::create_directory(out);
  WriteFileBytes(out + "/old.txt", "old model");
  {
    auto writer = CheckpointWriter::Create(Path("fresh"), SpecsOf(*source_));
    ASSERT_TRUE(writer.ok()) << writer.status();
    const std::string name = source_->TensorNames()[0];
    ASSERT_THAT((*writer)->Write(name, *source_->Get(name)), IsOk());
    auto replacing = CheckpointWriter::Create(out, SpecsOf(*source_));
    ASSERT_TRUE(replacing.ok()) << replacing.status();
    ASSERT_THAT((*replacing)->Write(name, *source_->Get(name)), IsOk());
    // A job cancelled here: both writers are destroyed without Commit.
    EXPECT_EQ(Listing(dir_).size(), 3u);  // out + two temp folders
  }
  EXPECT_THAT(Listing(dir_), ElementsAre("out"));
  EXPECT_THAT(Listing(out), ElementsAre("old.txt"));
}

TEST_F(CheckpointWriterTest, CommitNeedsEveryTensor) {
  const std::string out = Path("out");
  auto writer = CheckpointWriter::Create(out, {{"a", DType::kF32, {2}},
                                               {"b", DType::kF16, {}},
                                               {"c", DType::kI8, {0}}});
  ASSERT_TRUE(writer.ok()) << writer.status();
  const float a[2] = {1, 2};
  ASSERT_THAT((*writer)->Write("a", a, sizeof a), IsOk());
  EXPECT_THAT((*writer)->Commit(),
              StatusIs(kFailedPrecondition,
                       AllOf(HasSubstr(out),
                             HasSubstr("2 tensors never written: b, c"))));
  EXPECT_FALSE(std::filesystem::exists(out));
  const uint16_t b = 0x3c00;
  ASSERT_THAT((*writer)->Write("b", &b, 2), IsOk());
  ASSERT_THAT((*writer)->Write("c", nullptr, 0), IsOk());
  ASSERT_THAT((*writer)->Commit(), IsOk());
  auto reader = CheckpointReader::Open(out);
  ASSERT_TRUE(reader.ok()) << reader.status();
  EXPECT_THAT((*reader)->TensorNames(), ElementsAre("a", "b", "c"));
  EXPECT_THAT((*reader)->Get("c")->shape, ElementsAre(0));
}

TEST_F(CheckpointWriterTest, EmptyCheckpoint) {
  ASSERT_THAT(WriteCheckpoint(Path("out"), {}, nullptr), IsOk());
  auto file = SafetensorsFile::Open(Path("out/model.safetensors"));
  ASSERT_TRUE(file.ok()) << file.status();
  EXPECT_THAT((*file)->TensorNames(), IsEmpty());
}

TEST_F(CheckpointWriterTest, BadArguments) {
  const std::string out = Path("out");
  const auto create_fails = [&](std::vector<CheckpointTensorSpec> specs,
                                CheckpointWriterOptions options,
                                const std::string& message) {
    EXPECT_THAT(CheckpointWriter::Create(out, std::move(specs), options),
                StatusIs(kInvalidArgument, HasSubstr(message)));
  };
  create_fails({{"", DType::kF32, {1}}}, {}, "empty or reserved");
  create_fails({{"__metadata__", DType::kF32, {1}}}, {}, "empty or reserved");
  create_fails({{"a", DType::kF32, {1}}, {"a", DType::kF16, {1}}}, {},
               "'a' declared twice");
  create_fails({{"a", DType::kF32, {2, -1}}}, {}, "negative dimension");
  create_fails({{"a", DType::kF32, {1ll << 62, 1ll << 62}}}, {}, "too large");
  create_fails({{"\xff\xfe", DType::kF32, {1}}}, {}, "valid UTF-8");
  CheckpointWriterOptions zero;
  zero.max_shard_bytes = 0;
  create_fails({}, zero, "max_shard_bytes");
  WriteFileBytes(Path("file"), "x");
  EXPECT_THAT(CheckpointWriter::Create(Path("file"), {}),
              StatusIs(kInvalidArgument, HasSubstr("is not a folder")));
  CheckpointWriterOptions no_source;
  no_source.side_files_from = Path("absent");
  EXPECT_THAT(CheckpointWriter::Create(out, {}, no_source),
              StatusIs(kNotFound, HasSubstr(Path("absent"))));
  // Failed creations leave nothing behind.
  EXPECT_THAT(Listing(dir_), ElementsAre("file"));

  auto writer = CheckpointWriter::Create(
      out, {{"w", DType::kF32, {2}}, {"v", DType::kF16, {1}}});
  ASSERT_TRUE(writer.ok()) << writer.status();
  const float w[2] = {1, 2};
  EXPECT_THAT((*writer)->Write("nope", w, sizeof w),
              StatusIs(kInvalidArgument, HasSubstr("'nope' was not declared")));
  EXPECT_THAT(
      (*writer)->Write("w", w, 4),
      StatusIs(kInvalidArgument, HasSubstr("4 bytes do not hold F32 [2]")));
  EXPECT_THAT((*writer)->Write("w", TensorView{DType::kF16, {4}, nullptr, 8}),
              StatusIs(kInvalidArgument,
                       HasSubstr("'w' is F16 [4] but was declared F32 [2]")));
  ASSERT_THAT((*writer)->Write("w", w, sizeof w), IsOk());
  EXPECT_THAT((*writer)->Write("w", w, sizeof w),
              StatusIs(kInvalidArgument, HasSubstr("'w' written twice")));
  for (const char* bad :
       {"", "..", "a/b", "model.safetensors", "model.safetensors.index.json"}) {
    EXPECT_THAT((*writer)->WriteSideFile(bad, "x"),
                StatusIs(kInvalidArgument, HasSubstr("side file")))
        << bad;
  }
  // Argument errors are not sticky.
  const uint16_t v = 0;
  EXPECT_THAT((*writer)->Write("v", &v, 2), IsOk());
  EXPECT_THAT((*writer)->Commit(), IsOk());
}

// A real write failure (the file size limit, EFBIG) is kept: later calls
// return it, and nothing reaches the destination.
TEST_F(CheckpointWriterTest, IoErrorsAreSticky) {
  const std::string out = Path("out");
  auto writer = CheckpointWriter::Create(
      out, {{"big", DType::kU8, {100000}}, {"small", DType::kU8, {1}}});
  ASSERT_TRUE(writer.ok()) << writer.status();
  struct rlimit old_limit;
  ASSERT_EQ(::getrlimit(RLIMIT_FSIZE, &old_limit), 0);
  struct rlimit low = old_limit;
  low.rlim_cur = 4096;
  void (*old_handler)(int) = ::signal(SIGXFSZ, SIG_IGN);
  ASSERT_EQ(::setrlimit(RLIMIT_FSIZE, &low), 0);
  const std::vector<uint8_t> big(100000, 1);
  const absl::Status failed = (*writer)->Write("big", big.data(), big.size());
  ::setrlimit(RLIMIT_FSIZE, &old_limit);
  ::signal(SIGXFSZ, old_handler);

  EXPECT_THAT(failed, StatusIs(absl::StatusCode::kUnavailable,
                               AllOf(HasSubstr("model.safetensors"),
                                     HasSubstr("cannot write 'big'"))));
  const uint8_t small = 2;
  EXPECT_EQ((*writer)->Write("small", &small, 1), failed);
  EXPECT_EQ((*writer)->Commit(), failed);
  EXPECT_FALSE(std::filesystem::exists(out));
  writer->reset();
  EXPECT_THAT(Listing(dir_), IsEmpty());
}

// The real consumers: transformers and safetensors load what was written,
// with the exact values Python saved.
TEST_F(CheckpointWriterTest, TransformersLoadsTheCheckpoint) {
  const std::string python = BINQ_PYTHON;
  if (::access(python.c_str(), X_OK) != 0) {
    GTEST_SKIP() << "no Python at " << python << " to load the checkpoint";
  }
  const std::string check =
      std::string(BINQ_SOURCE_DIR) + "/tests/core/io/check_hf_checkpoint.py";
  const std::string expected = FixtureDir("expected/opt.safetensors");
  CheckpointWriterOptions sharded;
  sharded.max_shard_bytes = 3000;
  sharded.side_files_from = FixtureDir("opt_safetensors_sharded");
  CheckpointWriterOptions single;
  single.side_files_from = FixtureDir("opt_bin_sharded");
  ASSERT_THAT(WriteOpt(Path("sharded"), sharded), IsOk());
  ASSERT_THAT(WriteOpt(Path("single"), single), IsOk());
  const auto r = ::binq::testing::RunProcess(
      {python, check, expected, Path("sharded"), Path("single")});
  if (r.exit_code != 0 && r.err.find("No module named") != std::string::npos) {
    GTEST_SKIP() << python
                 << " lacks torch/transformers/safetensors: " << r.err;
  }
  EXPECT_EQ(r.exit_code, 0) << r.out << r.err;
  EXPECT_THAT(r.out, HasSubstr(Path("sharded") + ": OK 37 tensors"));
  EXPECT_THAT(r.out, HasSubstr(Path("single") + ": OK 37 tensors"));
}

}  // namespace
}  // namespace binq::core
