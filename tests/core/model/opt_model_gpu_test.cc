// The OPT model and perplexity on CUDA: block-by-block device moves, and
// agreement with the CPU. Skips without a CUDA device.
//
// CPU and GPU run different GEMM and reduction kernels, so they agree only to
// rounding: fp32 within 1e-4 · max|logit| (TF32 is off for matmuls by
// default), fp16 within 16 ulp of fp16 at max|logit| (cuBLAS accumulates in
// fp32 but may split reductions differently; 4× the same-kernel bound of
// parity_util.h).
#include <cmath>
#include <string>
#include <vector>

#include <ATen/ATen.h>
#include <ATen/Context.h>
#include <ATen/Parallel.h>
#include <c10/core/InferenceMode.h>

#include "core/eval/perplexity.h"
#include "core/model/causal_lm.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/core/model/opt_fixtures.h"
#include "tests/core/model/parity_util.h"
#include "tests/testing/status_matchers.h"

namespace binq::core {
namespace {

using ::binq::testing::LoadFixtureModel;
using ::binq::testing::OptFixturesDir;
using ::binq::testing::ReadFixtureTensor;

const at::Device kCpu(at::kCPU);
const at::Device kCuda(at::kCUDA, 0);

class OptGpuTest : public ::testing::Test {
 protected:
  void SetUp() override {
    if (!at::hasCUDA()) GTEST_SKIP() << "no CUDA device: the GPU path runs only where LibTorch sees a GPU";
    at::set_num_threads(1);
    absl::StatusOr<std::string> dir = OptFixturesDir();
    ASSERT_TRUE(dir.ok()) << dir.status();
    root_ = *dir;
  }
  std::string root_;
  c10::InferenceMode inference_;
};

double CrossDeviceTolerance(at::ScalarType dtype, double max_ref) {
  if (dtype == at::kFloat) return 1e-4 * max_ref;
  return 4 * ::binq::testing::ParityTolerance(dtype, max_ref);
}

TEST_F(OptGpuTest, LogitsOnCudaMatchTransformersOnCpu) {
  for (const std::string c : {"pre_f32", "pre_f16", "post_proj_f32", "post_proj_f16", "gelu_bf16"}) {
    const std::string dir = root_ + "/" + c;
    BINQ_ASSERT_OK_AND_ASSIGN(auto model, LoadFixtureModel(dir));
    BINQ_ASSERT_OK_AND_ASSIGN(const at::Tensor ids, ReadFixtureTensor(dir + "/io.safetensors", "ids_1"));
    BINQ_ASSERT_OK_AND_ASSIGN(const at::Tensor want, ReadFixtureTensor(dir + "/io.safetensors", "logits_1"));
    BINQ_ASSERT_OK_AND_ASSIGN(const at::Tensor logits, model->Logits(ids, kCuda));
    EXPECT_TRUE(logits.is_cuda());
    const auto d = ::binq::testing::Diff(logits, want);
    EXPECT_LE(d.max_abs, CrossDeviceTolerance(want.scalar_type(), d.max_ref)) << c;
    std::cout << c << ": max |cuda − HF cpu| = " << d.max_abs << " (max |logit| " << d.max_ref << ")\n";
    // Every part went back to the CPU.
    EXPECT_TRUE(model->embeddings_device().is_cpu());
    EXPECT_TRUE(model->head_device().is_cpu());
    for (int i = 0; i < model->num_blocks(); ++i) EXPECT_TRUE(model->block(i).device().is_cpu()) << c;
  }
}

TEST_F(OptGpuTest, BlockMovesCarryReplacedWeights) {
  BINQ_ASSERT_OK_AND_ASSIGN(auto model, LoadFixtureModel(root_ + "/pre_f16"));
  DecoderBlock& block = model->block(1);
  BINQ_ASSERT_OK(block.To(kCuda));
  EXPECT_TRUE(block.device().is_cuda());
  for (const LinearLayer& l : block.linears()) EXPECT_TRUE(l.weight->is_cuda()) << l.name;
  const at::Tensor q = at::full({24, 24}, 0.25, at::kFloat);  // a CPU fp32 "quantized" weight
  BINQ_ASSERT_OK(block.SetLinearWeight("self_attn.q_proj", q));
  EXPECT_TRUE(block.linears()[2].weight->is_cuda());
  EXPECT_EQ(block.linears()[2].weight->scalar_type(), at::kHalf);
  BINQ_ASSERT_OK(block.To(kCpu));
  EXPECT_TRUE(block.linears()[2].weight->is_cpu());
  EXPECT_TRUE(at::equal(*block.linears()[2].weight, q.to(at::kHalf)));
  // A forward on the wrong device is refused, not crashed.
  BINQ_ASSERT_OK_AND_ASSIGN(const at::Tensor mask, model->CausalMask(4, kCuda));
  EXPECT_THAT(block.Forward(at::zeros({1, 4, 24}, at::TensorOptions().dtype(at::kHalf).device(kCuda)), mask),
              ::binq::testing::StatusIs(absl::StatusCode::kInvalidArgument, ::testing::HasSubstr("cuda")));
}

TEST_F(OptGpuTest, EmbeddingsAndHeadGoAndReturn) {
  BINQ_ASSERT_OK_AND_ASSIGN(auto model, LoadFixtureModel(root_ + "/pre_f16"));
  BINQ_ASSERT_OK(model->EmbeddingsTo(kCuda));
  BINQ_ASSERT_OK(model->HeadTo(kCuda));
  const auto named = model->NamedTensors();
  EXPECT_TRUE(named[0].second.is_cuda());
  BINQ_ASSERT_OK(model->EmbeddingsTo(kCpu));
  BINQ_ASSERT_OK(model->HeadTo(kCpu));
  EXPECT_TRUE(model->NamedTensors()[0].second.is_cpu());
}

TEST_F(OptGpuTest, PerplexityOnCudaMatchesReference) {
  for (const std::string c : {"pre_f32", "pre_f16", "post_proj_f16"}) {
    const std::string dir = root_ + "/" + c;
    BINQ_ASSERT_OK_AND_ASSIGN(auto model, LoadFixtureModel(dir));
    BINQ_ASSERT_OK_AND_ASSIGN(const at::Tensor windows, ReadFixtureTensor(dir + "/ppl.safetensors", "windows"));
    BINQ_ASSERT_OK_AND_ASSIGN(const at::Tensor want, ReadFixtureTensor(dir + "/ppl.safetensors", "ppl"));
    std::vector<std::vector<int32_t>> w;
    const at::Tensor i32 = windows.to(at::kInt).contiguous();
    for (int64_t k = 0; k < i32.size(0); ++k) {
      w.emplace_back(i32[k].data_ptr<int32_t>(), i32[k].data_ptr<int32_t>() + i32.size(1));
    }
    for (const bool on_host : {false, true}) {
      PerplexityOptions options;
      options.device = kCuda;
      options.hidden_on_host = on_host;
      BINQ_ASSERT_OK_AND_ASSIGN(const PerplexityResult r, EvaluatePerplexity(*model, w, options));
      // ln PPL is the mean loss; a 16-ulp fp16 loss error at ~8 is 0.03.
      EXPECT_NEAR(std::log(r.perplexity), std::log(want.item<float>()), 0.04) << c;
      EXPECT_TRUE(model->embeddings_device().is_cpu());
      EXPECT_TRUE(model->head_device().is_cpu());
    }
  }
}

}  // namespace
}  // namespace binq::core
