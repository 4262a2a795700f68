#include "core/torch/checkpoint_torch.h"

#include <ATen/ATen.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "core/io/checkpoint_reader.h"
#include "core/io/posix_file.h"
#include "core/io/safetensors.h"
#include "core/torch/safetensors_torch.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/testing/status_matchers.h"

namespace binq::core {
namespace {

using ::binq::testing::IsOk;
using ::binq::testing::StatusIs;
using ::testing::AllOf;
using ::testing::ElementsAre;
using ::testing::HasSubstr;

std::string Fixture(const std::string& name) {
  return std::string(BINQ_TEST_DATA_DIR) + "/checkpoints/" + name;
}

class CheckpointTorchTest : public ::testing::Test {
 protected:
  void SetUp() override {
    std::string templ = ::testing::TempDir() + "binq_ckpt_torch_XXXXXX";
    ASSERT_NE(::mkdtemp(templ.data()), nullptr) << std::strerror(errno);
    dir_ = templ;
  }
  // Not std::filesystem: in a process linking LibTorch its exported copy may
  // be called instead of libstdc++'s, and its remove_all crashes.
  void TearDown() override { EXPECT_THAT(RemoveTree(dir_), IsOk()); }

  static bool Exists(const std::string& path) {
    return ::access(path.c_str(), F_OK) == 0;
  }

  // The tensor Python saved, from the expected-values file.
  at::Tensor Expected(const std::string& file, const std::string& name) {
    auto st = SafetensorsFile::Open(Fixture("expected/" + file));
    EXPECT_TRUE(st.ok()) << st.status();
    auto t = ReadTensor(**st, name);
    EXPECT_TRUE(t.ok()) << t.status();
    return t.ok() ? *t : at::Tensor();
  }

  std::string dir_;
};

TEST_F(CheckpointTorchTest, LoadsInTheFileDTypeBitExactly) {
  auto reader = CheckpointReader::Open(Fixture("opt_bin_sharded"));
  ASSERT_TRUE(reader.ok()) << reader.status();
  const std::string name = "model.decoder.layers.0.self_attn.q_proj.weight";
  auto t = LoadTensor(**reader, name);
  ASSERT_TRUE(t.ok()) << t.status();
  EXPECT_EQ(t->scalar_type(), at::kHalf);
  EXPECT_THAT(t->sizes().vec(), ElementsAre(16, 16));
  EXPECT_TRUE(t->is_contiguous());
  EXPECT_TRUE(at::equal(*t, Expected("opt.safetensors", name)));
}

TEST_F(CheckpointTorchTest, ConvertsDTypes) {
  auto reader = CheckpointReader::Open(Fixture("torch_dtypes"));
  ASSERT_TRUE(reader.ok()) << reader.status();
  for (const char* name : {"f16", "bf16", "f32", "f64", "transposed", "strided",
                           "expanded", "scalar", "empty"}) {
    SCOPED_TRACE(name);
    auto t = LoadTensor(**reader, name, at::kFloat);
    ASSERT_TRUE(t.ok()) << t.status();
    EXPECT_EQ(t->scalar_type(), at::kFloat);
    // F16 and BF16 widen exactly; F64 rounds as torch rounds.
    EXPECT_TRUE(at::equal(
        *t, Expected("torch_dtypes.safetensors", name).to(at::kFloat)));
  }
  auto narrowed = LoadTensor(**reader, "f32", at::kBFloat16);
  ASSERT_TRUE(narrowed.ok()) << narrowed.status();
  EXPECT_TRUE(
      at::equal(*narrowed,
                Expected("torch_dtypes.safetensors", "f32").to(at::kBFloat16)));
  auto ints = LoadTensor(**reader, "i64");
  ASSERT_TRUE(ints.ok()) << ints.status();
  EXPECT_EQ(ints->scalar_type(), at::kLong);
  EXPECT_THAT(std::vector<int64_t>(ints->data_ptr<int64_t>(),
                                   ints->data_ptr<int64_t>() + ints->numel()),
              ElementsAre(-3, -2, -1, 0, 1, 2, 3, 4));
}

TEST_F(CheckpointTorchTest, LoadedTensorsAreCopies) {
  auto reader = CheckpointReader::Open(Fixture("torch_dtypes"));
  ASSERT_TRUE(reader.ok()) << reader.status();
  auto view = (*reader)->Get("f32");
  ASSERT_TRUE(view.ok());
  auto t = LoadTensor(**reader, "f32");
  ASSERT_TRUE(t.ok()) << t.status();
  EXPECT_NE(t->data_ptr(), static_cast<const void*>(view->data));
  t->fill_(0);  // writable, and the mapping is untouched
  auto again = LoadTensor(**reader, "f32");
  ASSERT_TRUE(again.ok());
  EXPECT_TRUE(at::equal(*again, Expected("torch_dtypes.safetensors", "f32")));
}

TEST_F(CheckpointTorchTest, UnalignedDataIsCopiedFirst) {
  // "a" (1 byte) puts "b"'s floats at an odd offset in the file.
  SafetensorsWriter w;
  const uint8_t a = 9;
  const float b[3] = {1.5f, -2.0f, 3.25f};
  ASSERT_THAT(w.Add("a", DType::kU8, {1}, &a, 1), IsOk());
  ASSERT_THAT(w.Add("b", DType::kF32, {3}, b, sizeof b), IsOk());
  const std::string model = dir_ + "/model";
  ASSERT_EQ(::mkdir(model.c_str(), 0755), 0);
  ASSERT_THAT(w.WriteFile(model + "/model.safetensors"), IsOk());
  auto reader = CheckpointReader::Open(model);
  ASSERT_TRUE(reader.ok()) << reader.status();
  ASSERT_NE(reinterpret_cast<uintptr_t>((*reader)->Get("b")->data) % 4, 0u);
  auto t = LoadTensor(**reader, "b", at::kDouble);
  ASSERT_TRUE(t.ok()) << t.status();
  EXPECT_TRUE(at::equal(*t, at::tensor({1.5, -2.0, 3.25}, at::kDouble)));
}

TEST_F(CheckpointTorchTest, MissingTensor) {
  auto reader = CheckpointReader::Open(Fixture("torch_params"));
  ASSERT_TRUE(reader.ok()) << reader.status();
  EXPECT_THAT(LoadTensor(**reader, "nope", at::kFloat),
              StatusIs(absl::StatusCode::kNotFound, HasSubstr("'nope'")));
}

TEST_F(CheckpointTorchTest, CudaDevice) {
  if (!at::hasCUDA()) GTEST_SKIP() << "no CUDA device on this machine";
  auto reader = CheckpointReader::Open(Fixture("opt_bin_single"));
  ASSERT_TRUE(reader.ok()) << reader.status();
  const std::string name = "lm_head.weight";
  auto t = LoadTensor(**reader, name, at::kFloat, at::Device(at::kCUDA, 0));
  ASSERT_TRUE(t.ok()) << t.status();
  EXPECT_TRUE(t->is_cuda());
  EXPECT_TRUE(
      at::equal(t->cpu(), Expected("opt.safetensors", name).to(at::kFloat)));
}

TEST_F(CheckpointTorchTest, WritesTensorsAndReadsThemBack) {
  const at::Tensor base = at::arange(24, at::kFloat).reshape({4, 6});
  const std::vector<std::pair<std::string, at::Tensor>> tensors = {
      {"w", base},
      {"w_t", base.t()},  // not contiguous
      {"half", base.to(at::kHalf)},
      {"bf16", base.slice(0, 1, 3).to(at::kBFloat16)},
      {"mask", base > 5},
      {"ids", at::arange(7, at::kLong)},
      {"scalar", at::scalar_tensor(2.5, at::kFloat)},
  };
  CheckpointWriterOptions options;
  options.max_shard_bytes = 200;  // several shards
  const std::string out = dir_ + "/out";
  ASSERT_THAT(WriteTorchCheckpoint(out, tensors, options), IsOk());
  EXPECT_TRUE(Exists(out + "/model.safetensors.index.json"));
  auto reader = CheckpointReader::Open(out);
  ASSERT_TRUE(reader.ok()) << reader.status();
  EXPECT_EQ((*reader)->format(), CheckpointFormat::kShardedSafetensors);
  for (const auto& [name, want] : tensors) {
    SCOPED_TRACE(name);
    auto got = LoadTensor(**reader, name);
    ASSERT_TRUE(got.ok()) << got.status();
    EXPECT_EQ(got->scalar_type(), want.scalar_type());
    EXPECT_TRUE(at::equal(*got, want));
  }
}

TEST_F(CheckpointTorchTest, RefusesTensorsSafetensorsCannotHold) {
  EXPECT_THAT(TensorSpecOf("c", at::zeros({2}, at::kComplexFloat)),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       AllOf(HasSubstr("tensor 'c'"),
                             HasSubstr("no safetensors dtype"))));
  EXPECT_THAT(TensorSpecOf("s", at::zeros({2, 2}).to_sparse()),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       HasSubstr("tensor 's' is not dense")));
  EXPECT_THAT(
      WriteTorchCheckpoint(
          dir_ + "/out",
          {{"ok", at::zeros({1})}, {"c", at::zeros({2}, at::kComplexFloat)}}),
      StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("tensor 'c'")));
  EXPECT_FALSE(Exists(dir_ + "/out"));

  auto writer =
      CheckpointWriter::Create(dir_ + "/w", {{"x", DType::kF32, {2}}});
  ASSERT_TRUE(writer.ok()) << writer.status();
  EXPECT_THAT(WriteTensor(**writer, "x", at::zeros({3})),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       HasSubstr("declared F32 [2]")));
}

}  // namespace
}  // namespace binq::core
