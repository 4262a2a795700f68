#include "core/io/state_dict_pickle.h"

#include <cstdint>
#include <map>
#include <memory>
#include <random>
#include <string>
#include <vector>

#include "core/io/posix_file.h"
#include "core/io/zip_archive.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/core/io/io_test_util.h"
#include "tests/testing/status_matchers.h"

namespace binq::core {
namespace {

using ::binq::core::testing::FixtureDir;
using ::binq::core::testing::PickleBuilder;
using ::binq::testing::StatusIs;
using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::IsEmpty;

constexpr absl::StatusCode kDataLoss = absl::StatusCode::kDataLoss;
constexpr absl::StatusCode kInvalidArgument =
    absl::StatusCode::kInvalidArgument;

absl::StatusOr<std::vector<PickledTensor>> Parse(const std::string& bytes) {
  return ParseStateDictPickle(
      absl::Span<const uint8_t>(reinterpret_cast<const uint8_t*>(bytes.data()),
                                bytes.size()),
      "test.pkl");
}

// A string literal's bytes, NULs included.
template <size_t N>
std::string B(const char (&s)[N]) {
  return std::string(s, N - 1);
}

// data.pkl of a fixture archive.
std::string FixturePickle(const std::string& fixture) {
  const std::string path = FixtureDir(fixture + "/pytorch_model.bin");
  auto file = MappedFile::Open(path);
  EXPECT_TRUE(file.ok()) << file.status();
  if (!file.ok()) return "";
  auto zip = ZipArchive::Parse((*file)->data(), (*file)->size(), path);
  EXPECT_TRUE(zip.ok()) << zip.status();
  if (!zip.ok()) return "";
  const ZipArchive::Entry* e = zip->Find("pytorch_model/data.pkl");
  EXPECT_NE(e, nullptr);
  if (e == nullptr) return "";
  auto bytes = zip->Read(*e);
  return std::string(reinterpret_cast<const char*>(bytes->data()),
                     bytes->size());
}

std::map<std::string, PickledTensor> ByName(
    const std::vector<PickledTensor>& tensors) {
  std::map<std::string, PickledTensor> out;
  for (const PickledTensor& t : tensors) out[t.name] = t;
  return out;
}

// The dict make_fixtures.py saves, as torch.save pickled it.
void ExpectDTypesFixture(const std::vector<PickledTensor>& tensors) {
  std::vector<std::string> names;
  for (const PickledTensor& t : tensors) names.push_back(t.name);
  // Dict order is kept.
  EXPECT_THAT(names, ElementsAre("f32", "f16", "bf16", "f64", "i64", "i32",
                                 "i16", "i8", "u8", "bool", "transposed",
                                 "base", "row_of_base", "strided", "expanded",
                                 "tied_a", "tied_b", "scalar", "empty"));
  auto t = ByName(tensors);
  EXPECT_EQ(t["f32"].storage_type, "FloatStorage");
  EXPECT_EQ(t["f32"].dtype, DType::kF32);
  EXPECT_EQ(t["f16"].dtype, DType::kF16);
  EXPECT_EQ(t["bf16"].dtype, DType::kBF16);
  EXPECT_EQ(t["f64"].dtype, DType::kF64);
  EXPECT_EQ(t["i64"].dtype, DType::kI64);
  EXPECT_EQ(t["i32"].dtype, DType::kI32);
  EXPECT_EQ(t["i16"].dtype, DType::kI16);
  EXPECT_EQ(t["i8"].dtype, DType::kI8);
  EXPECT_EQ(t["u8"].dtype, DType::kU8);
  EXPECT_EQ(t["bool"].dtype, DType::kBool);
  EXPECT_EQ(t["f32"].location, "cpu");
  EXPECT_THAT(t["bf16"].sizes, ElementsAre(2, 3, 4));
  EXPECT_THAT(t["bf16"].strides, ElementsAre(12, 4, 1));
  EXPECT_EQ(t["bf16"].storage_numel, 24u);
  // transposed: a (5, 7) tensor's .t()
  EXPECT_THAT(t["transposed"].sizes, ElementsAre(7, 5));
  EXPECT_THAT(t["transposed"].strides, ElementsAre(1, 7));
  // base[3] and base[1:, 1::2] share base's storage.
  EXPECT_EQ(t["row_of_base"].storage_key, t["base"].storage_key);
  EXPECT_EQ(t["row_of_base"].storage_offset, 12u);
  EXPECT_EQ(t["strided"].storage_key, t["base"].storage_key);
  EXPECT_EQ(t["strided"].storage_offset, 5u);
  EXPECT_THAT(t["strided"].sizes, ElementsAre(5, 2));
  EXPECT_THAT(t["strided"].strides, ElementsAre(4, 2));
  EXPECT_THAT(t["expanded"].strides, ElementsAre(1, 0));
  EXPECT_EQ(t["tied_a"].storage_key, t["tied_b"].storage_key);
  EXPECT_NE(t["tied_a"].storage_key, t["base"].storage_key);
  EXPECT_THAT(t["scalar"].sizes, IsEmpty());
  EXPECT_THAT(t["empty"].sizes, ElementsAre(0, 4));
}

TEST(StateDictPickleTest, ReadsWhatTorchSaveWrote) {
  auto tensors = Parse(FixturePickle("torch_dtypes"));
  ASSERT_TRUE(tensors.ok()) << tensors.status();
  ExpectDTypesFixture(*tensors);
}

TEST(StateDictPickleTest, ReadsProtocol4) {
  const std::string pickle = FixturePickle("torch_protocol4");
  ASSERT_GE(pickle.size(), 2u);
  EXPECT_EQ(pickle[1], 4);  // it really is protocol 4
  auto tensors = Parse(pickle);
  ASSERT_TRUE(tensors.ok()) << tensors.status();
  ExpectDTypesFixture(*tensors);
}

TEST(StateDictPickleTest, ReadsParameters) {
  auto tensors = Parse(FixturePickle("torch_params"));
  ASSERT_TRUE(tensors.ok()) << tensors.status();
  ASSERT_EQ(tensors->size(), 2u);
  EXPECT_EQ((*tensors)[0].name, "weight");
  EXPECT_THAT((*tensors)[0].sizes, ElementsAre(2, 3));
  EXPECT_EQ((*tensors)[1].name, "bias");
}

TEST(StateDictPickleTest, RefusesOtherGlobals) {
  // What torch_evil/pytorch_model.bin holds: os.system in a dict value.
  EXPECT_THAT(Parse(FixturePickle("torch_evil")),
              StatusIs(kInvalidArgument,
                       HasSubstr("refusing to load global 'posix.system'")));
  for (const auto& [module, name] :
       std::vector<std::pair<std::string, std::string>>{
           {"builtins", "eval"},
           {"torch._utils", "_rebuild_qtensor"},
           {"torch", "load"},
           {"torch.storage", "_load_from_bytes"},
           {"__torch__", "MyModule"}}) {
    PickleBuilder p;
    p.BeginDict().Str("x").Global(module, name).EndDict();
    EXPECT_THAT(Parse(p.bytes()),
                StatusIs(kInvalidArgument,
                         HasSubstr("test.pkl: refusing to load global '" +
                                   module + "." + name + "'")));
  }
  // STACK_GLOBAL goes through the same allow-list.
  PickleBuilder p;
  p.Proto(4).Raw("\x8c\x02os\x8c\x06system\x93").Op('.');
  EXPECT_THAT(Parse(p.bytes()),
              StatusIs(kInvalidArgument, HasSubstr("'os.system'")));
}

TEST(StateDictPickleTest, RefusesWhatIsNotAStateDictOfTensors) {
  PickleBuilder not_dict;
  not_dict.Proto().Op(']').Op('.');
  EXPECT_THAT(Parse(not_dict.bytes()),
              StatusIs(kInvalidArgument,
                       HasSubstr("the pickled object is a list, not a dict")));

  PickleBuilder int_value;
  int_value.BeginDict().Str("epoch").Int(3).EndDict();
  EXPECT_THAT(Parse(int_value.bytes()),
              StatusIs(kInvalidArgument,
                       HasSubstr("entry 'epoch' is a int, not a tensor")));

  PickleBuilder nested;
  nested.BeginDict().Str("state_dict").Op('}').EndDict();
  EXPECT_THAT(
      Parse(nested.bytes()),
      StatusIs(kInvalidArgument, HasSubstr("entry 'state_dict' is a dict")));

  PickleBuilder int_key;
  int_key.BeginDict().Int(1).Int(2).EndDict();
  EXPECT_THAT(Parse(int_key.bytes()),
              StatusIs(kInvalidArgument, HasSubstr("a dict key is a int")));

  PickleBuilder bad_pid;
  bad_pid.BeginDict().Str("w").Op('(').Str("file").Str("x").Op('t').Op('Q');
  EXPECT_THAT(Parse(bad_pid.bytes()),
              StatusIs(kInvalidArgument,
                       HasSubstr("persistent id is not a torch storage")));

  PickleBuilder proto6;
  proto6.Proto(6).Op('}').Op('.');
  EXPECT_THAT(Parse(proto6.bytes()),
              StatusIs(kInvalidArgument, HasSubstr("protocol 6")));
}

TEST(StateDictPickleTest, KeepsUnknownStorageTypesForTheCaller) {
  PickleBuilder p;
  p.BeginDict().Str("c").Tensor("ComplexFloatStorage", "0", 4, 0, {4}, {1});
  p.EndDict();
  auto tensors = Parse(p.bytes());
  ASSERT_TRUE(tensors.ok()) << tensors.status();
  ASSERT_EQ(tensors->size(), 1u);
  EXPECT_EQ((*tensors)[0].storage_type, "ComplexFloatStorage");
  EXPECT_FALSE((*tensors)[0].dtype.has_value());
}

TEST(StateDictPickleTest, MalformedPickles) {
  struct Case {
    const char* what;
    std::string bytes;
    const char* message;
  };
  const auto tensor = [](const std::vector<int64_t>& sizes,
                         const std::vector<int64_t>& strides, int64_t offset) {
    PickleBuilder p;
    p.BeginDict().Str("w").Tensor("FloatStorage", "0", 100, offset, sizes,
                                  strides);
    return p.EndDict().bytes();
  };
  PickleBuilder setitem_on_list;
  setitem_on_list.Proto().Op(']').Str("a").Str("b").Op('s').Op('.');
  PickleBuilder twice;
  twice.BeginDict()
      .Str("w")
      .Tensor("FloatStorage", "0", 1, 0, {1}, {1})
      .Str("w")
      .Tensor("FloatStorage", "0", 1, 0, {1}, {1})
      .EndDict();
  const Case cases[] = {
      {"empty", "", "no STOP"},
      {"underflow", B("\x80\x02R."), "stack underflow"},
      {"memo", B("\x80\x02h\x05."), "memo entry 5 was never stored"},
      {"text INT opcode", B("\x80\x02I1\n."),
       "unsupported or corrupt opcode 0x49"},
      {"long too long",
       B("\x80\x02\x8a\x09\x01\x02\x03\x04\x05\x06\x07\x08\x09."),
       "does not fit in 64 bits"},
      {"string past end",
       B("\x80\x02X\xff\x00\x00\x00"
         "ab"),
       "truncated"},
      {"global without newline",
       B("\x80\x02"
         "ctorch"),
       "newline"},
      {"pop mark without mark",
       B("\x80\x02"
         "1."),
       "no MARK"},
      {"setitem on list", setitem_on_list.bytes(), "SETITEM on a list"},
      {"negative size", tensor({-1}, {1}, 0), "negative value -1"},
      {"negative offset", tensor({1}, {1}, -3), "storage offset -3"},
      {"rank mismatch", tensor({2, 2}, {1}, 0), "2 sizes but 1 strides"},
      {"name twice", twice.bytes(), "tensor 'w' appears twice"},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(c.what);
    EXPECT_THAT(Parse(c.bytes),
                StatusIs(kDataLoss, ::testing::AllOf(HasSubstr("test.pkl"),
                                                     HasSubstr(c.message))));
  }
}

TEST(StateDictPickleTest, EveryTruncationIsDataLoss) {
  const std::string pickle = FixturePickle("torch_dtypes");
  ASSERT_GT(pickle.size(), 100u);
  for (size_t n = 0; n < pickle.size(); ++n) {
    EXPECT_THAT(Parse(pickle.substr(0, n)),
                StatusIs(kDataLoss, HasSubstr("test.pkl")))
        << "cut at " << n;
  }
}

// Random damage must give an error or a result, never a crash or an
// out-of-bounds read (run under BINQ_SANITIZE=address to check the latter).
TEST(StateDictPickleTest, SurvivesRandomCorruption) {
  const std::string pickle = FixturePickle("torch_protocol4");
  std::mt19937 rng(7);
  int errors = 0;
  for (int trial = 0; trial < 3000; ++trial) {
    std::string bytes = pickle;
    const int flips = 1 + static_cast<int>(rng() % 3);
    for (int k = 0; k < flips; ++k) {
      bytes[rng() % bytes.size()] = static_cast<char>(rng());
    }
    auto result = Parse(bytes);
    if (!result.ok()) {
      ++errors;
      EXPECT_THAT(std::string(result.status().message()),
                  HasSubstr("test.pkl"));
      EXPECT_TRUE(result.status().code() == kDataLoss ||
                  result.status().code() == kInvalidArgument)
          << result.status();
    }
  }
  EXPECT_GT(errors, 1000);  // most damage is detected
}

TEST(StateDictPickleTest, StorageTypeNames) {
  EXPECT_EQ(DTypeOfTorchStorage("HalfStorage"), DType::kF16);
  EXPECT_EQ(DTypeOfTorchStorage("BFloat16Storage"), DType::kBF16);
  EXPECT_EQ(DTypeOfTorchStorage("FloatStorage"), DType::kF32);
  EXPECT_EQ(DTypeOfTorchStorage("DoubleStorage"), DType::kF64);
  EXPECT_EQ(DTypeOfTorchStorage("LongStorage"), DType::kI64);
  EXPECT_EQ(DTypeOfTorchStorage("BoolStorage"), DType::kBool);
  EXPECT_EQ(DTypeOfTorchStorage("ComplexFloatStorage"), std::nullopt);
  EXPECT_EQ(DTypeOfTorchStorage("UntypedStorage"), std::nullopt);
}

}  // namespace
}  // namespace binq::core
