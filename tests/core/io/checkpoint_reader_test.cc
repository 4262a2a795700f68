#include "core/io/checkpoint_reader.h"

#include <unistd.h>

#include <algorithm>
#include <cstdint>
#include <filesystem>
#include <memory>
#include <string>
#include <vector>

#include "absl/strings/str_replace.h"
#include "core/io/safetensors.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/core/io/io_test_util.h"
#include "tests/testing/status_matchers.h"

namespace binq::core {
namespace {

using ::binq::core::testing::Bytes;
using ::binq::core::testing::FixtureDir;
using ::binq::core::testing::MakeZip;
using ::binq::core::testing::PickleBuilder;
using ::binq::core::testing::ReadFileBytes;
using ::binq::core::testing::WriteFileBytes;
using ::binq::testing::IsOkAndHolds;
using ::binq::testing::StatusIs;
using ::testing::AllOf;
using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::SizeIs;

constexpr absl::StatusCode kDataLoss = absl::StatusCode::kDataLoss;
constexpr absl::StatusCode kInvalidArgument =
    absl::StatusCode::kInvalidArgument;
constexpr absl::StatusCode kNotFound = absl::StatusCode::kNotFound;

// The tiny OPT's state dict as Python saved it; HF's save_pretrained and
// save_torch_state_dict leave out lm_head.weight (tied to the embedding).
void ExpectOpt(const CheckpointReader& reader, bool with_lm_head) {
  auto expected = SafetensorsFile::Open(FixtureDir("expected/opt.safetensors"));
  ASSERT_TRUE(expected.ok()) << expected.status();
  std::vector<std::string> names = (*expected)->TensorNames();
  if (!with_lm_head) {
    names.erase(std::find(names.begin(), names.end(), "lm_head.weight"));
  }
  EXPECT_EQ(reader.TensorNames(), names);
  EXPECT_THAT(names, SizeIs(::testing::Ge(36u)));
  for (const std::string& name : names) {
    SCOPED_TRACE(name);
    auto want = (*expected)->Get(name);
    auto got = reader.Get(name);
    ASSERT_TRUE(want.ok() && got.ok()) << got.status();
    EXPECT_EQ(got->dtype, DType::kF16);
    EXPECT_EQ(got->shape, want->shape);
    EXPECT_EQ(Bytes(*got), Bytes(*want));
  }
}

class CheckpointReaderTest : public testing::TempDirTest {};

TEST_F(CheckpointReaderTest, ReadsEveryFormatHuggingFaceWrites) {
  struct Case {
    const char* fixture;
    CheckpointFormat format;
    size_t files;
    bool with_lm_head;
  };
  for (const Case& c : {
           Case{"opt_safetensors_single", CheckpointFormat::kSafetensors, 1,
                false},
           Case{"opt_safetensors_sharded",
                CheckpointFormat::kShardedSafetensors, 4, false},
           Case{"opt_bin_single", CheckpointFormat::kTorch, 1, true},
           Case{"opt_bin_sharded", CheckpointFormat::kShardedTorch, 4, false},
       }) {
    SCOPED_TRACE(c.fixture);
    auto reader = CheckpointReader::Open(FixtureDir(c.fixture));
    ASSERT_TRUE(reader.ok()) << reader.status();
    EXPECT_EQ((*reader)->format(), c.format);
    EXPECT_THAT((*reader)->files(), SizeIs(c.files));
    ExpectOpt(**reader, c.with_lm_head);
  }
}

TEST_F(CheckpointReaderTest, TiedWeightsShareTheMapping) {
  auto reader = CheckpointReader::Open(FixtureDir("opt_bin_single"));
  ASSERT_TRUE(reader.ok()) << reader.status();
  auto head = (*reader)->Get("lm_head.weight");
  auto embed = (*reader)->Get("model.decoder.embed_tokens.weight");
  ASSERT_TRUE(head.ok() && embed.ok());
  EXPECT_EQ(head->data, embed->data);
}

TEST_F(CheckpointReaderTest, FileOfNamesTheShard) {
  auto reader = CheckpointReader::Open(FixtureDir("opt_safetensors_sharded"));
  ASSERT_TRUE(reader.ok()) << reader.status();
  EXPECT_THAT((*reader)->FileOf("model.decoder.embed_tokens.weight"),
              IsOkAndHolds(FixtureDir("opt_safetensors_sharded") +
                           "/model-00001-of-00004.safetensors"));
  EXPECT_THAT((*reader)->FileOf("nope"),
              StatusIs(kNotFound, HasSubstr("no tensor 'nope'")));
  EXPECT_FALSE((*reader)->Has("nope"));
  EXPECT_THAT(
      (*reader)->Get("nope"),
      StatusIs(kNotFound,
               AllOf(HasSubstr("'nope'"),
                     HasSubstr(FixtureDir("opt_safetensors_sharded")))));
}

TEST_F(CheckpointReaderTest, ReadsATorchDictOfEveryDType) {
  auto reader = CheckpointReader::Open(FixtureDir("torch_dtypes"));
  ASSERT_TRUE(reader.ok()) << reader.status();
  auto expected =
      SafetensorsFile::Open(FixtureDir("expected/torch_dtypes.safetensors"));
  ASSERT_TRUE(expected.ok());
  EXPECT_EQ((*reader)->TensorNames(), (*expected)->TensorNames());
  for (const std::string& name : (*expected)->TensorNames()) {
    auto got = (*reader)->Get(name);
    ASSERT_TRUE(got.ok()) << got.status();
    EXPECT_EQ(Bytes(*got), Bytes(*(*expected)->Get(name))) << name;
  }
}

TEST_F(CheckpointReaderTest, PrefersSafetensorsLikeTransformers) {
  const std::string dir = CopyFixture("opt_safetensors_single", "both");
  std::filesystem::copy_file(FixtureDir("opt_bin_single/pytorch_model.bin"),
                             dir + "/pytorch_model.bin");
  auto reader = CheckpointReader::Open(dir);
  ASSERT_TRUE(reader.ok()) << reader.status();
  EXPECT_EQ((*reader)->format(), CheckpointFormat::kSafetensors);
}

TEST_F(CheckpointReaderTest, NoWeightsSaysWhereItLooked) {
  std::filesystem::create_directory(Path("empty"));
  WriteFileBytes(Path("empty/config.json"), "{}");
  EXPECT_THAT(
      CheckpointReader::Open(Path("empty")),
      StatusIs(kNotFound, AllOf(HasSubstr(Path("empty")),
                                HasSubstr("model.safetensors.index.json"),
                                HasSubstr("model.safetensors,"),
                                HasSubstr("pytorch_model.bin.index.json"),
                                HasSubstr("pytorch_model.bin"))));
  EXPECT_THAT(CheckpointReader::Open(Path("absent")),
              StatusIs(kNotFound, HasSubstr(Path("absent"))));
  EXPECT_THAT(CheckpointReader::Open(Path("empty/config.json")),
              StatusIs(kNotFound, HasSubstr("not a folder")));
}

// Index damage, for both sharded formats.
struct ShardedFixture {
  const char* fixture;
  const char* index;
  const char* first_shard;
};
const ShardedFixture kSharded[] = {
    {"opt_safetensors_sharded", "model.safetensors.index.json",
     "model-00001-of-00004.safetensors"},
    {"opt_bin_sharded", "pytorch_model.bin.index.json",
     "pytorch_model-00001-of-00004.bin"},
};

TEST_F(CheckpointReaderTest, CorruptIndex) {
  for (const ShardedFixture& f : kSharded) {
    SCOPED_TRACE(f.fixture);
    const std::string dir = CopyFixture(f.fixture, f.fixture);
    const std::string index = dir + "/" + f.index;
    const std::string good = ReadFileBytes(index);
    struct Case {
      std::string text;
      std::string message;
    };
    const Case cases[] = {
        {"{\"weight_map\": {", "not valid JSON"},
        {"[]", "no \"weight_map\" object"},
        {"{\"metadata\": {}}", "no \"weight_map\" object"},
        {"{\"weight_map\": {\"a\": 3}}", "'a' is not a file name string"},
        {"{\"weight_map\": {\"a\": \"../x.bin\"}}",
         "names '../x.bin', not a file in the folder"},
        {"{\"weight_map\": {\"a\": \"/etc/passwd\"}}",
         "not a file in the folder"},
    };
    for (const Case& c : cases) {
      SCOPED_TRACE(c.text);
      WriteFileBytes(index, c.text);
      EXPECT_THAT(
          CheckpointReader::Open(dir),
          StatusIs(kDataLoss, AllOf(HasSubstr(index), HasSubstr(c.message))));
    }
    // A name the index lists but its shard lacks.
    WriteFileBytes(index,
                   absl::StrReplaceAll(
                       good, {{"\"weight_map\": {",
                               absl::StrCat("\"weight_map\": {\"ghost\": \"",
                                            f.first_shard, "\", ")}}));
    EXPECT_THAT(CheckpointReader::Open(dir),
                StatusIs(kDataLoss, AllOf(HasSubstr(dir + "/" + f.first_shard),
                                          HasSubstr("no tensor 'ghost'"),
                                          HasSubstr(index))));
  }
}

TEST_F(CheckpointReaderTest, MissingShard) {
  for (const ShardedFixture& f : kSharded) {
    SCOPED_TRACE(f.fixture);
    const std::string dir = CopyFixture(f.fixture, f.fixture);
    std::filesystem::remove(dir + "/" + f.first_shard);
    EXPECT_THAT(CheckpointReader::Open(dir),
                StatusIs(kDataLoss, AllOf(HasSubstr(dir + "/" + f.index),
                                          HasSubstr(f.first_shard),
                                          HasSubstr("does not exist"))));
  }
}

TEST_F(CheckpointReaderTest, TruncatedShardNamesTheShard) {
  for (const ShardedFixture& f : kSharded) {
    SCOPED_TRACE(f.fixture);
    const std::string dir = CopyFixture(f.fixture, f.fixture);
    const std::string shard = dir + "/" + f.first_shard;
    const std::string bytes = ReadFileBytes(shard);
    for (const size_t keep : {size_t{0}, size_t{7}, size_t{100},
                              bytes.size() / 2, bytes.size() - 1}) {
      WriteFileBytes(shard, bytes.substr(0, keep));
      EXPECT_THAT(CheckpointReader::Open(dir),
                  StatusIs(kDataLoss, HasSubstr(shard)))
          << "kept " << keep;
    }
  }
}

TEST_F(CheckpointReaderTest, UnknownDTypeNamesTensorAndFile) {
  // safetensors: a dtype binq does not read, in place of F16.
  const std::string dir = CopyFixture("opt_safetensors_single", "st");
  const std::string file = dir + "/model.safetensors";
  std::string bytes = ReadFileBytes(file);
  const std::string from =
      "\"model.decoder.final_layer_norm.bias\":{\"dtype\":\"F16\"";
  const size_t at = bytes.find(from);
  ASSERT_NE(at, std::string::npos);
  bytes.replace(at + from.size() - 4, 3, "C64");
  WriteFileBytes(file, bytes);
  EXPECT_THAT(CheckpointReader::Open(dir),
              StatusIs(kInvalidArgument,
                       AllOf(HasSubstr(file),
                             HasSubstr("model.decoder.final_layer_norm.bias"),
                             HasSubstr("unknown dtype 'C64'"))));

  // torch: a complex storage.
  std::filesystem::create_directory(Path("pt"));
  PickleBuilder p;
  p.BeginDict().Str("rotary").Tensor("ComplexFloatStorage", "0", 2, 0, {2},
                                     {1});
  const std::string bin = Path("pt/pytorch_model.bin");
  WriteFileBytes(bin, MakeZip({{"archive/data.pkl", p.EndDict().bytes()},
                               {"archive/data/0", std::string(16, '\0')}}));
  EXPECT_THAT(CheckpointReader::Open(Path("pt")),
              StatusIs(kInvalidArgument,
                       AllOf(HasSubstr(bin), HasSubstr("tensor 'rotary'"),
                             HasSubstr("ComplexFloatStorage"))));
}

TEST_F(CheckpointReaderTest, LegacyAndMaliciousTorchFiles) {
  EXPECT_THAT(CheckpointReader::Open(FixtureDir("torch_legacy")),
              StatusIs(kInvalidArgument,
                       AllOf(HasSubstr("torch_legacy/pytorch_model.bin"),
                             HasSubstr("legacy torch.save format"))));
  EXPECT_THAT(CheckpointReader::Open(FixtureDir("torch_evil")),
              StatusIs(kInvalidArgument,
                       AllOf(HasSubstr("torch_evil/pytorch_model.bin"),
                             HasSubstr("refusing to load global "
                                       "'posix.system'"))));
}

TEST(CheckpointFormatTest, Names) {
  EXPECT_STREQ(CheckpointFormatName(CheckpointFormat::kShardedTorch),
               "sharded torch");
  EXPECT_STREQ(CheckpointFormatName(CheckpointFormat::kSafetensors),
               "safetensors");
}

}  // namespace
}  // namespace binq::core
