// The LLaMA-style families (llama, mistral, qwen2, qwen3, gemma3_text)
// against transformers (eager attention) on tiny random checkpoints
// generated at test time (make_llama_fixtures.py): embeddings, every block,
// logits, perplexity, the observer's linear inputs, and the tensors given
// back for the de-quantized checkpoint.
#include <iostream>
#include <set>
#include <string>
#include <vector>

#include <ATen/ATen.h>
#include <ATen/Parallel.h>
#include <c10/core/InferenceMode.h>

#include "absl/strings/str_cat.h"
#include "core/eval/perplexity.h"
#include "core/io/checkpoint_reader.h"
#include "core/model/causal_lm.h"
#include "core/model_config/model_config.h"
#include "core/model_config/model_families.h"
#include "core/torch/checkpoint_torch.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/core/model/opt_fixtures.h"
#include "tests/core/model/parity_util.h"
#include "tests/testing/status_matchers.h"

namespace binq::core {
namespace {

using ::binq::testing::ExpectClose;
using ::binq::testing::LlamaFixturesDir;
using ::binq::testing::LoadCheckpointModel;
using ::binq::testing::ReadFixtureTensor;
using ::binq::testing::StatusIs;
using ::testing::ElementsAreArray;
using ::testing::HasSubstr;

const at::Device kCpu(at::kCPU);

const std::vector<std::string> kCases = {"llama_f32",          "llama_bias_tied_f16",   "llama3_bf16_sharded",
                              "llama_dynamic_legacy_f32", "mistral_window_f32", "mistral_nowindow_bf16",
                              "qwen2_window_f32",   "qwen2_f16",             "qwen3_f32",
                              "qwen3_tied_bf16",    "gemma3_bf16",           "gemma3_softcap_f32"};

class LlamaStyleTest : public ::testing::TestWithParam<std::string> {
 protected:
  void SetUp() override {
    at::set_num_threads(1);  // as the generator; see parity_util.h
    absl::StatusOr<std::string> root = LlamaFixturesDir();
    ASSERT_TRUE(root.ok()) << root.status();
    dir_ = *root + "/" + GetParam();
    io_ = dir_ + "/io.safetensors";
  }
  at::Tensor Fixture(const std::string& name) const {
    absl::StatusOr<at::Tensor> t = ReadFixtureTensor(io_, name);
    EXPECT_TRUE(t.ok()) << t.status();
    return t.ok() ? *t : at::Tensor();
  }

  std::string dir_;
  std::string io_;
  c10::InferenceMode inference_;
};

TEST_P(LlamaStyleTest, MatchesTransformersStageByStage) {
  BINQ_ASSERT_OK_AND_ASSIGN(auto model, LoadCheckpointModel(dir_));
  for (int j = 0; j < 2; ++j) {
    const at::Tensor ids = Fixture(absl::StrCat("ids_", j));
    BINQ_ASSERT_OK_AND_ASSIGN(at::Tensor hidden, model->Embed(ids));
    ExpectClose(hidden, Fixture(absl::StrCat("embed_", j)), absl::StrCat(GetParam(), " embed ", j));
    BINQ_ASSERT_OK_AND_ASSIGN(const at::Tensor mask, model->CausalMask(ids.size(1), kCpu));
    for (int i = 0; i < model->num_blocks(); ++i) {
      BINQ_ASSERT_OK_AND_ASSIGN(hidden, model->block(i).Forward(hidden, mask));
      ExpectClose(hidden, Fixture(absl::StrCat("block", i, "_", j)), absl::StrCat(GetParam(), " block ", i, " ", j));
    }
    BINQ_ASSERT_OK_AND_ASSIGN(const at::Tensor logits, model->Head(hidden));
    const auto d = ExpectClose(logits, Fixture(absl::StrCat("logits_", j)), absl::StrCat(GetParam(), " logits ", j));
    std::cout << GetParam() << " batch " << j << " " << ::testing::PrintToString(ids.sizes())
              << ": max |logits binq − HF| = " << d.max_abs << " (max |logit| " << d.max_ref << ")\n";
  }
}

// As OPT (opt_model_test.cc): the same ATen ops in the same order on the CPU
// with one thread give identical logits.
TEST_P(LlamaStyleTest, BitExactOnTheCpu) {
  BINQ_ASSERT_OK_AND_ASSIGN(auto model, LoadCheckpointModel(dir_));
  for (int j = 0; j < 2; ++j) {
    BINQ_ASSERT_OK_AND_ASSIGN(const at::Tensor logits, model->Logits(Fixture(absl::StrCat("ids_", j)), kCpu));
    EXPECT_TRUE(at::equal(logits, Fixture(absl::StrCat("logits_", j)))) << GetParam() << " batch " << j;
  }
}

TEST_P(LlamaStyleTest, ObserverSeesEachLinearInputAsTransformersPassesIt) {
  BINQ_ASSERT_OK_AND_ASSIGN(auto model, LoadCheckpointModel(dir_));
  BINQ_ASSERT_OK_AND_ASSIGN(const at::Tensor hidden, model->Embed(Fixture("ids_0")));
  BINQ_ASSERT_OK_AND_ASSIGN(const at::Tensor mask, model->CausalMask(hidden.size(1), kCpu));
  std::vector<std::string> seen;
  BINQ_ASSERT_OK(model->block(0)
                     .Forward(hidden, mask,
                              [&](const std::string& name, const at::Tensor& input) {
                                seen.push_back(name);
                                ExpectClose(input, Fixture("lin_in." + name), GetParam() + " " + name);
                                return absl::OkStatus();
                              })
                     .status());
  EXPECT_THAT(seen, ElementsAreArray(model->config().quantized_linears));
}

TEST_P(LlamaStyleTest, LinearsAreTheQuantizedLinearsOfTheConfig) {
  BINQ_ASSERT_OK_AND_ASSIGN(auto model, LoadCheckpointModel(dir_));
  const ModelConfig& c = model->config();
  std::vector<std::string> names;
  for (const LinearLayer& l : model->block(0).linears()) {
    names.push_back(l.name);
    EXPECT_EQ(l.weight->scalar_type(), model->dtype());
  }
  EXPECT_THAT(names, ElementsAreArray(c.quantized_linears));
  const auto linears = model->block(0).linears();
  EXPECT_EQ(linears[0].weight->sizes(), (std::vector<int64_t>{c.num_attention_heads * c.head_dim(), c.hidden_size}));
  EXPECT_EQ(linears[1].weight->sizes(), (std::vector<int64_t>{c.num_key_value_heads * c.head_dim(), c.hidden_size}));
  EXPECT_EQ(linears[6].weight->sizes(), (std::vector<int64_t>{c.hidden_size, c.ffn_dim}));
  EXPECT_EQ(linears[0].bias->defined(), c.qkv_bias);
  EXPECT_EQ(linears[3].bias->defined(), c.o_bias);
  EXPECT_EQ(linears[4].bias->defined(), c.mlp_bias);
  EXPECT_EQ(model->block_prefix(1), "model.layers.1.");
}

TEST_P(LlamaStyleTest, NamedTensorsAreTheCheckpoint) {
  BINQ_ASSERT_OK_AND_ASSIGN(auto model, LoadCheckpointModel(dir_));
  BINQ_ASSERT_OK_AND_ASSIGN(const auto reader, CheckpointReader::Open(dir_));
  std::set<std::string> got;
  for (const auto& [name, tensor] : model->NamedTensors()) {
    EXPECT_TRUE(got.insert(name).second) << "duplicate " << name;
    BINQ_ASSERT_OK_AND_ASSIGN(const at::Tensor want, LoadTensor(*reader, name));
    EXPECT_TRUE(at::equal(tensor, want)) << name;
  }
  const std::vector<std::string> names = reader->TensorNames();
  EXPECT_EQ(got, std::set<std::string>(names.begin(), names.end()));
}

TEST_P(LlamaStyleTest, PerplexityIsTransformers) {
  const std::string ppl_file = dir_ + "/ppl.safetensors";
  if (!ReadFixtureTensor(ppl_file, "ppl").ok()) GTEST_SKIP() << "no perplexity fixture for " << GetParam();
  BINQ_ASSERT_OK_AND_ASSIGN(auto model, LoadCheckpointModel(dir_));
  BINQ_ASSERT_OK_AND_ASSIGN(const at::Tensor windows, ReadFixtureTensor(ppl_file, "windows"));
  BINQ_ASSERT_OK_AND_ASSIGN(const at::Tensor want, ReadFixtureTensor(ppl_file, "ppl"));
  std::vector<std::vector<int32_t>> w;
  for (int64_t k = 0; k < windows.size(0); ++k) {
    const at::Tensor row = windows[k].to(at::kInt).contiguous();
    w.emplace_back(row.data_ptr<int32_t>(), row.data_ptr<int32_t>() + row.numel());
  }
  BINQ_ASSERT_OK_AND_ASSIGN(const PerplexityResult r, EvaluatePerplexity(*model, w, {}));
  const double hf = want.item<float>();
  std::cout << GetParam() << ": ppl binq " << r.perplexity << ", HF " << hf << "\n";
  EXPECT_LT(std::abs(r.perplexity - hf) / hf, 1e-5);
}

INSTANTIATE_TEST_SUITE_P(Cases, LlamaStyleTest, ::testing::ValuesIn(kCases));

TEST(LlamaStyleFamilies, EveryParsedFamilyHasAModelAndBack) {
  EXPECT_EQ(ModelRegistry::Global().Types(), ModelFamilyTypes());
}

TEST(LlamaStyleFamilies, ForeignCheckpointIsNotFoundNamingTheEmbedding) {
  absl::StatusOr<std::string> root = LlamaFixturesDir();
  ASSERT_TRUE(root.ok()) << root.status();
  BINQ_ASSERT_OK_AND_ASSIGN(const ModelConfig config, ReadModelConfig(*root + "/llama_f32"));
  WeightSource empty;
  empty.load = [](const std::string& name) -> absl::StatusOr<at::Tensor> {
    return absl::NotFoundError(name);
  };
  EXPECT_THAT(LoadCausalLM(config, empty),
              StatusIs(absl::StatusCode::kNotFound, HasSubstr("model.embed_tokens.weight")));
}

}  // namespace
}  // namespace binq::core
