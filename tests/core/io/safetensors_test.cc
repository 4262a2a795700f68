#include "core/io/safetensors.h"

#include <stdlib.h>
#include <sys/stat.h>

#include <cmath>
#include <cstdint>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <limits>
#include <map>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "absl/strings/str_cat.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "nlohmann/json.hpp"
#include "tests/core/io/io_test_util.h"
#include "tests/testing/status_matchers.h"

namespace binq::core {
namespace {

using ::binq::core::testing::Bytes;

using ::binq::testing::IsOk;
using ::binq::testing::IsOkAndHolds;
using ::binq::testing::StatusIs;
using ::testing::AllOf;
using ::testing::ElementsAre;
using ::testing::ElementsAreArray;
using ::testing::HasSubstr;
using ::testing::Pair;
using ::testing::UnorderedElementsAre;

constexpr absl::StatusCode kDataLoss = absl::StatusCode::kDataLoss;
constexpr absl::StatusCode kInvalidArgument =
    absl::StatusCode::kInvalidArgument;
constexpr absl::StatusCode kNotFound = absl::StatusCode::kNotFound;

std::string ReadAll(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  return std::string(std::istreambuf_iterator<char>(in),
                     std::istreambuf_iterator<char>());
}

// Each test gets its own folder (TempDirTest), plus raw-file writers.
class SafetensorsTest : public ::binq::core::testing::TempDirTest {
 protected:
  // A file of `length` (little-endian), then `header`, then `data`.
  std::string WriteRaw(const std::string& name, uint64_t length,
                       const std::string& header,
                       const std::string& data = "") {
    const std::string path = Path(name);
    std::ofstream out(path, std::ios::binary);
    for (int i = 0; i < 8; ++i) out.put(static_cast<char>(length >> (8 * i)));
    out << header << data;
    return path;
  }
  // A well-formed length for `header`.
  std::string WriteHeader(const std::string& name, const std::string& header,
                          const std::string& data = "") {
    return WriteRaw(name, header.size(), header, data);
  }
};

// ---------------------------------------------------------------- round trips

TEST_F(SafetensorsTest, EveryDTypeRoundTrips) {
  SafetensorsWriter writer;
  std::map<std::string, std::vector<uint8_t>> written;
  for (const DType dtype : kAllDTypes) {
    std::vector<uint8_t> bytes(2 * 3 * DTypeSize(dtype));
    for (size_t i = 0; i < bytes.size(); ++i) {
      bytes[i] = static_cast<uint8_t>(i * 7 + static_cast<int>(dtype));
    }
    if (dtype == DType::kBool) bytes = {0, 1, 1, 0, 1, 0};
    const std::string name = absl::StrCat("t_", DTypeName(dtype));
    ASSERT_THAT(writer.Add(name, dtype, {2, 3}, absl::MakeConstSpan(bytes)),
                IsOk());
    written[name] = bytes;
  }
  const std::string path = Path("all.safetensors");
  ASSERT_THAT(writer.WriteFile(path), IsOk());

  BINQ_ASSERT_OK_AND_ASSIGN(auto file, SafetensorsFile::Open(path));
  EXPECT_EQ(file->path(), path);
  std::vector<std::string> names;
  for (const auto& [name, bytes] : written) names.push_back(name);  // sorted
  EXPECT_EQ(file->TensorNames(), names);
  for (const DType dtype : kAllDTypes) {
    const std::string name = absl::StrCat("t_", DTypeName(dtype));
    BINQ_ASSERT_OK_AND_ASSIGN(const TensorView view, file->Get(name));
    EXPECT_EQ(view.dtype, dtype) << name;
    EXPECT_THAT(view.shape, ElementsAre(2, 3)) << name;
    EXPECT_EQ(view.numel(), 6) << name;
    EXPECT_EQ(Bytes(view), written[name]) << name;
  }
  EXPECT_TRUE(file->metadata().empty());
}

TEST_F(SafetensorsTest, ScalarsEmptyTensorsAndMetadataRoundTrip) {
  SafetensorsWriter writer;
  const float scalar = 2.5f;
  ASSERT_THAT(writer.Add("scalar", DType::kF32, {}, &scalar, sizeof scalar),
              IsOk());
  ASSERT_THAT(writer.Add("empty", DType::kF64, {0, 4}, nullptr, 0), IsOk());
  ASSERT_THAT(writer.Add("empty2", DType::kI8, {3, 0}, nullptr, 0), IsOk());
  writer.SetMetadata({{"salient_metric", "hessian"}, {"note", "ünïcödé"}});
  const std::string path = Path("misc.safetensors");
  ASSERT_THAT(writer.WriteFile(path), IsOk());

  BINQ_ASSERT_OK_AND_ASSIGN(auto file, SafetensorsFile::Open(path));
  BINQ_ASSERT_OK_AND_ASSIGN(const TensorView s, file->Get("scalar"));
  EXPECT_TRUE(s.shape.empty());
  EXPECT_EQ(s.numel(), 1);
  EXPECT_THAT(ToFloat32(s), IsOkAndHolds(ElementsAre(2.5f)));
  BINQ_ASSERT_OK_AND_ASSIGN(const TensorView e, file->Get("empty"));
  EXPECT_THAT(e.shape, ElementsAre(0, 4));
  EXPECT_EQ(e.nbytes, 0u);
  EXPECT_THAT(ToFloat32(e), IsOkAndHolds(ElementsAre()));
  EXPECT_TRUE(file->Has("empty2"));
  EXPECT_THAT(file->metadata(),
              UnorderedElementsAre(Pair("salient_metric", "hessian"),
                                   Pair("note", "ünïcödé")));
}

TEST_F(SafetensorsTest, WriterLaysOutSortedPaddedHeaderAndDataInHeaderOrder) {
  SafetensorsWriter writer;
  const std::vector<uint8_t> b_bytes = {1, 2, 3};
  const std::vector<uint8_t> a_bytes = {9, 8, 7, 6, 5, 4, 3, 2};
  ASSERT_THAT(writer.Add("b", DType::kU8, {3}, absl::MakeConstSpan(b_bytes)),
              IsOk());
  ASSERT_THAT(writer.Add("a", DType::kF32, {2}, absl::MakeConstSpan(a_bytes)),
              IsOk());
  writer.SetMetadata({{"k", "v"}});
  const std::string path = Path("layout.safetensors");
  ASSERT_THAT(writer.WriteFile(path), IsOk());

  const std::string raw = ReadAll(path);
  ASSERT_GE(raw.size(), 8u);
  uint64_t n = 0;
  for (int i = 7; i >= 0; --i) n = (n << 8) | static_cast<uint8_t>(raw[i]);
  EXPECT_EQ(n % 8, 0u);
  ASSERT_EQ(raw.size(), 8 + n + 11);
  const std::string header = raw.substr(8, n);
  const std::string trimmed =
      header.substr(0, header.find_last_not_of(' ') + 1);
  EXPECT_EQ(header.substr(trimmed.size()),
            std::string(header.size() - trimmed.size(), ' '));
  // Keys in byte order: "__metadata__" sorts between upper and lower case.
  EXPECT_EQ(
      trimmed,
      R"({"__metadata__":{"k":"v"},"a":{"data_offsets":[0,8],"dtype":"F32","shape":[2]},)"
      R"("b":{"data_offsets":[8,11],"dtype":"U8","shape":[3]}})");
  EXPECT_EQ(raw.substr(8 + n), std::string(a_bytes.begin(), a_bytes.end()) +
                                   std::string(b_bytes.begin(), b_bytes.end()));
  // Nothing else is left in the folder: the temp file was renamed.
  EXPECT_EQ(std::distance(std::filesystem::directory_iterator(dir_),
                          std::filesystem::directory_iterator()),
            1);
}

TEST_F(SafetensorsTest, WriterOmitsEmptyMetadataAndReplacesAnExistingFile) {
  const std::string path = Path("twice.safetensors");
  {
    SafetensorsWriter writer;
    const uint8_t one = 1;
    ASSERT_THAT(writer.Add("old", DType::kU8, {1}, &one, 1), IsOk());
    writer.SetMetadata({{"k", "v"}});
    ASSERT_THAT(writer.WriteFile(path), IsOk());
  }
  SafetensorsWriter writer;
  const int32_t value = -7;
  ASSERT_THAT(writer.Add("new", DType::kI32, {1}, &value, sizeof value),
              IsOk());
  ASSERT_THAT(writer.WriteFile(path), IsOk());
  EXPECT_EQ(ReadAll(path).find("__metadata__"), std::string::npos);
  BINQ_ASSERT_OK_AND_ASSIGN(auto file, SafetensorsFile::Open(path));
  EXPECT_THAT(file->TensorNames(), ElementsAre("new"));
  BINQ_ASSERT_OK_AND_ASSIGN(const TensorView view, file->Get("new"));
  int32_t read;
  std::memcpy(&read, view.data, sizeof read);
  EXPECT_EQ(read, -7);
}

// ------------------------------------------------------------- writer errors

TEST_F(SafetensorsTest, WriterRejectsBadTensors) {
  SafetensorsWriter writer;
  const std::vector<uint8_t> eight(8);
  ASSERT_THAT(writer.Add("w", DType::kF32, {2}, absl::MakeConstSpan(eight)),
              IsOk());
  EXPECT_THAT(writer.Add("w", DType::kF32, {2}, absl::MakeConstSpan(eight)),
              StatusIs(kInvalidArgument, HasSubstr("duplicate tensor 'w'")));
  EXPECT_THAT(writer.Add("x", DType::kF32, {3}, absl::MakeConstSpan(eight)),
              StatusIs(kInvalidArgument,
                       HasSubstr("tensor 'x': 8 bytes do not hold F32 [3]")));
  EXPECT_THAT(
      writer.Add("y", DType::kU8, {-8}, absl::MakeConstSpan(eight)),
      StatusIs(kInvalidArgument,
               HasSubstr("tensor 'y': shape [-8] has a negative dimension")));
  EXPECT_THAT(writer.Add("z", DType::kU8, {int64_t{1} << 40, int64_t{1} << 40},
                         absl::MakeConstSpan(eight)),
              StatusIs(kInvalidArgument, HasSubstr("too large")));
  EXPECT_THAT(
      writer.Add("__metadata__", DType::kU8, {8}, absl::MakeConstSpan(eight)),
      StatusIs(kInvalidArgument, HasSubstr("reserved")));
  EXPECT_THAT(writer.Add("", DType::kU8, {8}, absl::MakeConstSpan(eight)),
              StatusIs(kInvalidArgument, HasSubstr("empty")));
  EXPECT_THAT(writer.Add("n", DType::kU8, {8}, nullptr, 8),
              StatusIs(kInvalidArgument, HasSubstr("tensor 'n': null data")));
}

TEST_F(SafetensorsTest, WriterReportsAMissingFolderWithThePath) {
  SafetensorsWriter writer;
  const uint8_t one = 1;
  ASSERT_THAT(writer.Add("a", DType::kU8, {1}, &one, 1), IsOk());
  const std::string path = Path("no/such/folder/out.safetensors");
  EXPECT_THAT(
      writer.WriteFile(path),
      StatusIs(kNotFound, AllOf(HasSubstr(path), HasSubstr("cannot create"))));
}

TEST_F(SafetensorsTest, WriterRejectsNamesThatAreNotUtf8) {
  SafetensorsWriter writer;
  const uint8_t one = 1;
  ASSERT_THAT(writer.Add("bad\xff", DType::kU8, {1}, &one, 1), IsOk());
  const std::string path = Path("utf8.safetensors");
  EXPECT_THAT(
      writer.WriteFile(path),
      StatusIs(kInvalidArgument, AllOf(HasSubstr(path), HasSubstr("UTF-8"))));
  EXPECT_FALSE(std::filesystem::exists(path));
}

// ---------------------------------------------------------------- the golden

TEST(SafetensorsGoldenTest, ReadsTheBinarizerGoldenFile) {
  const std::string path =
      std::string(BINQ_TEST_DATA_DIR) +
      "/golden/binarizer_split_hessian_96x128_s3032.safetensors";
  BINQ_ASSERT_OK_AND_ASSIGN(auto file, SafetensorsFile::Open(path));
  // Sorted, not header order (the file lists W, mask, mask_lo, ...).
  EXPECT_THAT(file->TensorNames(),
              ElementsAre("W", "Wq", "Wq_block", "candidates", "hdiag", "mask",
                          "mask_hi", "mask_lo", "n_salient",
                          "search_err_salient", "search_err_split", "split"));

  BINQ_ASSERT_OK_AND_ASSIGN(const TensorView w, file->Get("W"));
  EXPECT_EQ(w.dtype, DType::kF32);
  EXPECT_THAT(w.shape, ElementsAre(96, 128));
  EXPECT_EQ(w.nbytes, 96u * 128 * 4);
  BINQ_ASSERT_OK_AND_ASSIGN(const std::vector<float> w_values, ToFloat32(w));
  ASSERT_EQ(w_values.size(), 96u * 128);
  for (const float v : w_values) ASSERT_TRUE(std::isfinite(v));

  BINQ_ASSERT_OK_AND_ASSIGN(const TensorView mask, file->Get("mask"));
  EXPECT_EQ(mask.dtype, DType::kU8);
  EXPECT_THAT(mask.shape, ElementsAre(96, 128));
  for (size_t i = 0; i < mask.nbytes; ++i) {
    ASSERT_LE(mask.data[i], 1) << i;  // a 0/1 mask
  }

  BINQ_ASSERT_OK_AND_ASSIGN(const TensorView candidates,
                            file->Get("candidates"));
  EXPECT_EQ(candidates.dtype, DType::kF64);
  EXPECT_THAT(candidates.shape, ElementsAre(81));
  EXPECT_THAT(ToFloat32(candidates), IsOkAndHolds(::testing::SizeIs(81)));

  BINQ_ASSERT_OK_AND_ASSIGN(const TensorView n_salient, file->Get("n_salient"));
  EXPECT_EQ(n_salient.dtype, DType::kI32);
  EXPECT_THAT(n_salient.shape, ElementsAre(1));
  int32_t salient;
  std::memcpy(&salient, n_salient.data, sizeof salient);
  EXPECT_GE(salient, 1);  // the salient search covers k = 1..49
  EXPECT_LE(salient, 49);
  EXPECT_THAT(ToFloat32(n_salient),
              StatusIs(kInvalidArgument, HasSubstr("got I32")));

  EXPECT_EQ(file->metadata().at("salient_metric"), "hessian");
  EXPECT_EQ(file->metadata().at("rows"), "96");
}

TEST(SafetensorsGoldenTest, ConcurrentReadersSeeTheSameValues) {
  const std::string path =
      std::string(BINQ_TEST_DATA_DIR) +
      "/golden/binarizer_split_hessian_96x128_s3032.safetensors";
  BINQ_ASSERT_OK_AND_ASSIGN(std::shared_ptr<SafetensorsFile> file,
                            SafetensorsFile::Open(path));
  BINQ_ASSERT_OK_AND_ASSIGN(const TensorView w, file->Get("Wq_block"));
  const std::vector<float> expected = *ToFloat32(w);
  std::vector<int> mismatches(4, -1);
  std::vector<std::thread> threads;
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([&, t] {
      int bad = 0;
      for (int i = 0; i < 20; ++i) {
        const absl::StatusOr<TensorView> view = file->Get("Wq_block");
        if (!view.ok() || !file->Has("W")) {
          ++bad;
          continue;
        }
        const absl::StatusOr<std::vector<float>> values = ToFloat32(*view);
        if (!values.ok() || *values != expected) ++bad;
      }
      mismatches[t] = bad;
    });
  }
  for (auto& thread : threads) thread.join();
  EXPECT_THAT(mismatches, ElementsAre(0, 0, 0, 0));
}

// ------------------------------------------------------------ reading errors

TEST_F(SafetensorsTest, GetOfAMissingTensorIsNotFoundNamingTensorAndFile) {
  const std::string path = WriteHeader(
      "one.safetensors",
      R"({"a":{"dtype":"U8","shape":[2],"data_offsets":[0,2]}})", "xy");
  BINQ_ASSERT_OK_AND_ASSIGN(auto file, SafetensorsFile::Open(path));
  EXPECT_TRUE(file->Has("a"));
  EXPECT_FALSE(file->Has("b"));
  EXPECT_THAT(file->Get("b"),
              StatusIs(kNotFound, AllOf(HasSubstr("'b'"), HasSubstr(path))));
}

TEST_F(SafetensorsTest, MissingFileIsNotFound) {
  const std::string path = Path("absent.safetensors");
  EXPECT_THAT(SafetensorsFile::Open(path),
              StatusIs(kNotFound, HasSubstr(path)));
}

TEST_F(SafetensorsTest, FolderIsInvalidArgument) {
  EXPECT_THAT(
      SafetensorsFile::Open(dir_),
      StatusIs(kInvalidArgument,
               AllOf(HasSubstr(dir_), HasSubstr("not a regular file"))));
}

TEST_F(SafetensorsTest, FileShorterThanEightBytesIsTruncated) {
  const std::string path = Path("short.safetensors");
  std::ofstream(path, std::ios::binary) << "abcde";
  EXPECT_THAT(SafetensorsFile::Open(path),
              StatusIs(kDataLoss, AllOf(HasSubstr(path),
                                        HasSubstr("truncated: 5 bytes"))));
  const std::string empty = Path("empty.safetensors");
  std::ofstream(empty, std::ios::binary).flush();
  EXPECT_THAT(SafetensorsFile::Open(empty),
              StatusIs(kDataLoss, AllOf(HasSubstr(empty),
                                        HasSubstr("truncated: 0 bytes"))));
}

TEST_F(SafetensorsTest, HeaderLengthPastTheEndIsTruncated) {
  const std::string path = WriteRaw("long_header.safetensors", 1000, "{}");
  EXPECT_THAT(
      SafetensorsFile::Open(path),
      StatusIs(
          kDataLoss,
          AllOf(HasSubstr(path),
                HasSubstr("truncated: header length 1000 but only 2 bytes"))));
}

TEST_F(SafetensorsTest, AbsurdHeaderLengthIsDataLoss) {
  const std::string path =
      WriteRaw("huge_header.safetensors", uint64_t{200} << 20, "{}");
  EXPECT_THAT(
      SafetensorsFile::Open(path),
      StatusIs(kDataLoss,
               AllOf(HasSubstr(path),
                     HasSubstr("header length 209715200 is over the"))));
  const std::string garbage =
      WriteRaw("garbage_header.safetensors", ~uint64_t{0}, "{}");
  EXPECT_THAT(SafetensorsFile::Open(garbage),
              StatusIs(kDataLoss, HasSubstr("is over the")));
}

TEST_F(SafetensorsTest, HeaderThatIsNotJsonIsDataLoss) {
  const std::string path = WriteHeader("not_json.safetensors", "{\"a\": nope}");
  EXPECT_THAT(
      SafetensorsFile::Open(path),
      StatusIs(kDataLoss,
               AllOf(HasSubstr(path), HasSubstr("header is not valid JSON"))));
}

TEST_F(SafetensorsTest, HeaderThatIsNotAnObjectIsDataLoss) {
  const std::string path = WriteHeader("array.safetensors", "[1, 2]  ");
  EXPECT_THAT(
      SafetensorsFile::Open(path),
      StatusIs(kDataLoss, AllOf(HasSubstr(path),
                                HasSubstr("header is not a JSON object"))));
}

TEST_F(SafetensorsTest, HeaderWithADuplicateTensorIsDataLoss) {
  const std::string path = WriteHeader(
      "dup.safetensors",
      R"({"a":{"dtype":"U8","shape":[1],"data_offsets":[0,1]},"a":{"dtype":"U8","shape":[1],"data_offsets":[1,2]}})",
      "xy");
  EXPECT_THAT(SafetensorsFile::Open(path),
              StatusIs(kDataLoss, AllOf(HasSubstr(path),
                                        HasSubstr("repeats the key 'a'"))));
}

TEST_F(SafetensorsTest, TensorWithoutARequiredFieldIsDataLoss) {
  const std::map<std::string, std::string> entries = {
      {"dtype", R"({"shape":[1],"data_offsets":[0,1]})"},
      {"shape", R"({"dtype":"U8","data_offsets":[0,1]})"},
      {"data_offsets", R"({"dtype":"U8","shape":[1]})"},
  };
  for (const auto& [missing, entry] : entries) {
    const std::string path = WriteHeader("no_" + missing + ".safetensors",
                                         "{\"w\":" + entry + "}", "x");
    EXPECT_THAT(SafetensorsFile::Open(path),
                StatusIs(kDataLoss,
                         AllOf(HasSubstr(path),
                               HasSubstr("tensor 'w': no '" + missing + "'"))));
  }
  const std::string path = WriteHeader("not_object.safetensors", R"({"w": 3})");
  EXPECT_THAT(
      SafetensorsFile::Open(path),
      StatusIs(kDataLoss, HasSubstr("tensor 'w': entry is not a JSON object")));
}

TEST_F(SafetensorsTest, UnknownDTypeIsInvalidArgument) {
  const std::string path = WriteHeader(
      "f8.safetensors",
      R"({"w":{"dtype":"F8_E4M3","shape":[1],"data_offsets":[0,1]}})", "x");
  EXPECT_THAT(
      SafetensorsFile::Open(path),
      StatusIs(kInvalidArgument, AllOf(HasSubstr(path), HasSubstr("tensor 'w'"),
                                       HasSubstr("unknown dtype 'F8_E4M3'"))));
  const std::string not_string =
      WriteHeader("dtype_number.safetensors",
                  R"({"w":{"dtype":7,"shape":[1],"data_offsets":[0,1]}})", "x");
  EXPECT_THAT(
      SafetensorsFile::Open(not_string),
      StatusIs(kDataLoss, HasSubstr("tensor 'w': dtype 7 is not a string")));
}

TEST_F(SafetensorsTest, NegativeDimensionIsDataLoss) {
  const std::string path = WriteHeader(
      "negative.safetensors",
      R"({"w":{"dtype":"U8","shape":[-1,2],"data_offsets":[0,2]}})", "xy");
  EXPECT_THAT(
      SafetensorsFile::Open(path),
      StatusIs(
          kDataLoss,
          AllOf(
              HasSubstr(path),
              HasSubstr("tensor 'w': shape [-1,2] has a negative dimension"))));
}

TEST_F(SafetensorsTest, NonIntegerDimensionIsDataLoss) {
  const std::string path = WriteHeader(
      "fraction.safetensors",
      R"({"w":{"dtype":"U8","shape":[2.5],"data_offsets":[0,2]}})", "xy");
  EXPECT_THAT(
      SafetensorsFile::Open(path),
      StatusIs(
          kDataLoss,
          AllOf(HasSubstr(path),
                HasSubstr(
                    "tensor 'w': shape [2.5] has a non-integer dimension"))));
  const std::string text = WriteHeader(
      "text_dim.safetensors",
      R"({"w":{"dtype":"U8","shape":["2"],"data_offsets":[0,2]}})", "xy");
  EXPECT_THAT(SafetensorsFile::Open(text),
              StatusIs(kDataLoss, HasSubstr("non-integer dimension")));
  const std::string not_list = WriteHeader(
      "shape_text.safetensors",
      R"({"w":{"dtype":"U8","shape":"2","data_offsets":[0,2]}})", "xy");
  EXPECT_THAT(SafetensorsFile::Open(not_list),
              StatusIs(kDataLoss, HasSubstr("shape \"2\" is not a list")));
}

TEST_F(SafetensorsTest, ShapeWhoseSizeOverflowsIsDataLoss) {
  const std::string path = WriteHeader(
      "overflow.safetensors",
      R"({"w":{"dtype":"F32","shape":[4294967296,4294967296],"data_offsets":[0,4]}})",
      "abcd");
  EXPECT_THAT(
      SafetensorsFile::Open(path),
      StatusIs(kDataLoss, AllOf(HasSubstr(path), HasSubstr("tensor 'w'"),
                                HasSubstr("too large"))));
}

TEST_F(SafetensorsTest, MalformedDataOffsetsAreDataLoss) {
  for (const std::string offsets :
       {"[0]", "[0,1,2]", "[-1,1]", "[0,1.5]", "\"0-1\""}) {
    const std::string path = WriteHeader(
        "offsets.safetensors",
        R"({"w":{"dtype":"U8","shape":[1],"data_offsets":)" + offsets + "}}",
        "x");
    EXPECT_THAT(SafetensorsFile::Open(path),
                StatusIs(kDataLoss, AllOf(HasSubstr(path),
                                          HasSubstr("tensor 'w': data_offsets"),
                                          HasSubstr("is not [begin, end]"))))
        << offsets;
  }
}

TEST_F(SafetensorsTest, DataOffsetsWithBeginAfterEndAreDataLoss) {
  const std::string path = WriteHeader(
      "reversed.safetensors",
      R"({"w":{"dtype":"U8","shape":[0],"data_offsets":[4,2]}})", "abcd");
  EXPECT_THAT(
      SafetensorsFile::Open(path),
      StatusIs(
          kDataLoss,
          AllOf(HasSubstr(path),
                HasSubstr("tensor 'w': data_offsets [4, 2] begin after end"))));
}

TEST_F(SafetensorsTest, ByteSizeOtherThanShapeTimesElementSizeIsDataLoss) {
  const std::string path = WriteHeader(
      "size.safetensors",
      R"({"w":{"dtype":"F32","shape":[3],"data_offsets":[0,8]}})", "abcdefgh");
  EXPECT_THAT(SafetensorsFile::Open(path),
              StatusIs(kDataLoss,
                       AllOf(HasSubstr(path),
                             HasSubstr("tensor 'w': data_offsets [0, 8] hold 8 "
                                       "bytes but F32 [3] needs 12"))));
}

TEST_F(SafetensorsTest, OffsetsPastTheDataSectionAreTruncation) {
  const std::string path = WriteHeader(
      "past_end.safetensors",
      R"({"w":{"dtype":"F32","shape":[4],"data_offsets":[0,16]}})", "abcdefgh");
  EXPECT_THAT(
      SafetensorsFile::Open(path),
      StatusIs(
          kDataLoss,
          AllOf(HasSubstr(path), HasSubstr("tensor 'w'"),
                HasSubstr("run past the 8-byte data section (truncated?)"))));
}

TEST_F(SafetensorsTest, OverlappingTensorsAreDataLoss) {
  const std::string path = WriteHeader(
      "overlap.safetensors",
      R"({"a":{"dtype":"U8","shape":[8],"data_offsets":[0,8]},"b":{"dtype":"U8","shape":[8],"data_offsets":[4,12]}})",
      "0123456789ab");
  EXPECT_THAT(
      SafetensorsFile::Open(path),
      StatusIs(kDataLoss,
               AllOf(HasSubstr(path),
                     HasSubstr("tensors 'a' [0, 8) and 'b' [4, 12) overlap"))));
}

TEST_F(SafetensorsTest, EmptyTensorsAndGapsAreNotOverlaps) {
  // An empty tensor inside another's bytes covers nothing; unused bytes
  // between tensors are allowed.
  const std::string path = WriteHeader(
      "empties.safetensors",
      R"({"a":{"dtype":"U8","shape":[4],"data_offsets":[0,4]},"e":{"dtype":"F32","shape":[0],"data_offsets":[2,2]},)"
      R"("b":{"dtype":"U8","shape":[2],"data_offsets":[6,8]}})",
      "abcdefgh");
  BINQ_ASSERT_OK_AND_ASSIGN(auto file, SafetensorsFile::Open(path));
  BINQ_ASSERT_OK_AND_ASSIGN(const TensorView b, file->Get("b"));
  EXPECT_EQ(std::string(b.data, b.data + b.nbytes), "gh");
}

TEST_F(SafetensorsTest, MetadataThatIsNotAMapOfStringsIsDataLoss) {
  const std::string number = WriteHeader("meta_number.safetensors",
                                         R"({"__metadata__":{"seed":3032}})");
  EXPECT_THAT(
      SafetensorsFile::Open(number),
      StatusIs(
          kDataLoss,
          AllOf(HasSubstr(number),
                HasSubstr(
                    "__metadata__ value of 'seed' is 3032, not a string"))));
  const std::string list =
      WriteHeader("meta_list.safetensors", R"({"__metadata__":["a"]})");
  EXPECT_THAT(
      SafetensorsFile::Open(list),
      StatusIs(kDataLoss,
               AllOf(HasSubstr(list),
                     HasSubstr("__metadata__ [\"a\"] is not an object"))));
}

TEST_F(SafetensorsTest, LongValuesAreCutShortInMessages) {
  std::string dims = "[-1";
  for (int i = 0; i < 10000; ++i) dims += ",1";
  const std::string path = WriteHeader(
      "long_shape.safetensors",
      R"({"w":{"dtype":"U8","data_offsets":[0,0],"shape":)" + dims + "]}}");
  const absl::Status status = SafetensorsFile::Open(path).status();
  EXPECT_THAT(status, StatusIs(kDataLoss,
                               AllOf(HasSubstr("[-1,1,1,"), HasSubstr("..."))));
  EXPECT_LT(status.message().size(), path.size() + 200);
}

TEST_F(SafetensorsTest, UnalignedDataIsReadCorrectly) {
  // A 3-byte header puts the data at file offset 11: no alignment at all.
  std::string data(4 * 2 + 2 + 8, '\0');
  const float f[2] = {1.5f, -3.25f};
  const uint16_t h = 0x3c00;  // 1.0 as F16
  const double d = 0.125;
  std::memcpy(&data[0], f, 8);
  std::memcpy(&data[8], &h, 2);
  std::memcpy(&data[10], &d, 8);
  const std::string path = WriteHeader(
      "unaligned.safetensors",
      R"({"f":{"dtype":"F32","shape":[2],"data_offsets":[0,8]},"h":{"dtype":"F16","shape":[1],"data_offsets":[8,10]},)"
      R"("d":{"dtype":"F64","shape":[1],"data_offsets":[10,18]}})",
      data);
  BINQ_ASSERT_OK_AND_ASSIGN(auto file, SafetensorsFile::Open(path));
  EXPECT_THAT(ToFloat32(*file->Get("f")),
              IsOkAndHolds(ElementsAre(1.5f, -3.25f)));
  EXPECT_THAT(ToFloat32(*file->Get("h")), IsOkAndHolds(ElementsAre(1.0f)));
  EXPECT_THAT(ToFloat32(*file->Get("d")), IsOkAndHolds(ElementsAre(0.125f)));
}

// ------------------------------------------------------------------ ToFloat32

TEST(ToFloat32Test, ConvertsEveryFloatDType) {
  const uint16_t bf16[] = {0x3f80, 0xc040, 0x7f80};  // 1, -3, inf
  TensorView view{
      DType::kBF16, {3}, reinterpret_cast<const uint8_t*>(bf16), sizeof bf16};
  EXPECT_THAT(ToFloat32(view),
              IsOkAndHolds(ElementsAre(
                  1.0f, -3.0f, std::numeric_limits<float>::infinity())));
  const uint16_t f16[] = {0x3800, 0x0001};  // 0.5, 2^-24
  view = TensorView{
      DType::kF16, {2, 1}, reinterpret_cast<const uint8_t*>(f16), sizeof f16};
  EXPECT_THAT(ToFloat32(view),
              IsOkAndHolds(ElementsAre(0.5f, std::ldexp(1.0f, -24))));
  const double f64[] = {0.1, 1e300};
  view = TensorView{
      DType::kF64, {2}, reinterpret_cast<const uint8_t*>(f64), sizeof f64};
  EXPECT_THAT(
      ToFloat32(view),
      IsOkAndHolds(ElementsAre(0.1f, std::numeric_limits<float>::infinity())));
}

TEST(ToFloat32Test, RejectsOtherDTypesAndInconsistentViews) {
  const uint8_t bytes[8] = {};
  for (const DType dtype : {DType::kI64, DType::kI32, DType::kI16, DType::kI8,
                            DType::kU8, DType::kBool}) {
    const TensorView view{dtype, {1}, bytes, DTypeSize(dtype)};
    EXPECT_THAT(ToFloat32(view),
                StatusIs(kInvalidArgument,
                         HasSubstr(absl::StrCat("got ", DTypeName(dtype)))));
  }
  EXPECT_THAT(
      ToFloat32(TensorView{DType::kF32, {3}, bytes, 8}),
      StatusIs(kInvalidArgument, HasSubstr("8 bytes do not hold F32 [3]")));
  EXPECT_THAT(ToFloat32(TensorView{DType::kF32, {-2}, bytes, 8}),
              StatusIs(kInvalidArgument, HasSubstr("bad shape [-2]")));
  EXPECT_THAT(ToFloat32(TensorView{DType::kF32, {2}, nullptr, 8}),
              StatusIs(kInvalidArgument, HasSubstr("do not hold")));
}

}  // namespace
}  // namespace binq::core
