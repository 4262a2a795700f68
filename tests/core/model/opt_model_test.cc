// The OPT model against transformers' OPTForCausalLM (eager attention) on tiny
// random checkpoints generated at test time (make_opt_fixtures.py), and its
// error paths.
#include <fstream>
#include <iostream>
#include <map>
#include <set>
#include <string>
#include <vector>

#include <ATen/ATen.h>
#include <ATen/Parallel.h>
#include <c10/core/InferenceMode.h>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "core/model/causal_lm.h"
#include "core/model_config/model_config.h"
#include "core/model/opt_model.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "nlohmann/json.hpp"
#include "tests/core/model/opt_fixtures.h"
#include "tests/core/model/parity_util.h"
#include "tests/testing/status_matchers.h"

namespace binq::core {
namespace {

using ::binq::testing::ExpectClose;
using ::binq::testing::LoadFixtureModel;
using ::binq::testing::OpenSafetensorsWeights;
using ::binq::testing::OptFixturesDir;
using ::binq::testing::ReadFixtureTensor;
using ::binq::testing::StatusIs;
using ::testing::AllOf;
using ::testing::ElementsAre;
using ::testing::HasSubstr;

const at::Device kCpu(at::kCPU);

class OptTest : public ::testing::Test {
 protected:
  void SetUp() override {
    at::set_num_threads(1);  // as the generator; see parity_util.h
    absl::StatusOr<std::string> dir = OptFixturesDir();
    ASSERT_TRUE(dir.ok()) << dir.status();
    root_ = *dir;
  }
  std::string Case(const std::string& name) const { return root_ + "/" + name; }

  std::string root_;
  c10::InferenceMode inference_;
};

// ---------------------------------------------------------------------------
// Parity, every case: embeddings, each block, logits.

class OptParityTest : public OptTest, public ::testing::WithParamInterface<std::string> {};

TEST_P(OptParityTest, MatchesTransformersStageByStage) {
  const std::string dir = Case(GetParam());
  BINQ_ASSERT_OK_AND_ASSIGN(auto model, LoadFixtureModel(dir));
  const std::string io = dir + "/io.safetensors";
  for (int j = 0; j < 2; ++j) {
    BINQ_ASSERT_OK_AND_ASSIGN(const at::Tensor ids, ReadFixtureTensor(io, absl::StrCat("ids_", j)));
    BINQ_ASSERT_OK_AND_ASSIGN(const at::Tensor want_embed, ReadFixtureTensor(io, absl::StrCat("embed_", j)));
    BINQ_ASSERT_OK_AND_ASSIGN(at::Tensor hidden, model->Embed(ids));
    ExpectClose(hidden, want_embed, absl::StrCat(GetParam(), " embed ", j));
    BINQ_ASSERT_OK_AND_ASSIGN(const at::Tensor mask, model->CausalMask(ids.size(1), kCpu));
    for (int i = 0; i < model->num_blocks(); ++i) {
      BINQ_ASSERT_OK_AND_ASSIGN(const at::Tensor want, ReadFixtureTensor(io, absl::StrCat("block", i, "_", j)));
      BINQ_ASSERT_OK_AND_ASSIGN(hidden, model->block(i).Forward(hidden, mask));
      ExpectClose(hidden, want, absl::StrCat(GetParam(), " block ", i, " batch ", j));
    }
    BINQ_ASSERT_OK_AND_ASSIGN(const at::Tensor logits, model->Head(hidden));
    BINQ_ASSERT_OK_AND_ASSIGN(const at::Tensor want_logits, ReadFixtureTensor(io, absl::StrCat("logits_", j)));
    const auto d = ExpectClose(logits, want_logits, absl::StrCat(GetParam(), " logits ", j));
    std::cout << GetParam() << " batch " << j << " " << ::testing::PrintToString(ids.sizes())
              << ": max |logits binq − HF| = " << d.max_abs << " (max |logit| " << d.max_ref << ", tolerance "
              << d.tolerance << ")\n";
  }
}

// Stronger than the tolerance: binq issues the same ATen kernels in the same
// order as transformers, so on the CPU with one thread the logits are
// identical bit for bit. This catches a reordering that stays within the
// tolerance (e.g. scaling q·kᵀ instead of q, which moves fp16 logits by ~2
// ulp and changes nothing when head_dim is a power of 4). Should a platform
// pick different kernels for the two processes, the tolerance test above is
// the contract and this one may be relaxed.
TEST_P(OptParityTest, BitExactOnTheCpu) {
  const std::string dir = Case(GetParam());
  BINQ_ASSERT_OK_AND_ASSIGN(auto model, LoadFixtureModel(dir));
  const std::string io = dir + "/io.safetensors";
  for (int j = 0; j < 2; ++j) {
    BINQ_ASSERT_OK_AND_ASSIGN(const at::Tensor ids, ReadFixtureTensor(io, absl::StrCat("ids_", j)));
    BINQ_ASSERT_OK_AND_ASSIGN(const at::Tensor logits, model->Logits(ids, kCpu));
    BINQ_ASSERT_OK_AND_ASSIGN(const at::Tensor want, ReadFixtureTensor(io, absl::StrCat("logits_", j)));
    EXPECT_TRUE(at::equal(logits, want)) << GetParam() << " batch " << j;
  }
}

TEST_P(OptParityTest, LogitsConvenienceMatches) {
  const std::string dir = Case(GetParam());
  BINQ_ASSERT_OK_AND_ASSIGN(auto model, LoadFixtureModel(dir));
  const std::string io = dir + "/io.safetensors";
  BINQ_ASSERT_OK_AND_ASSIGN(const at::Tensor ids, ReadFixtureTensor(io, "ids_1"));
  BINQ_ASSERT_OK_AND_ASSIGN(const at::Tensor logits, model->Logits(ids.to(at::kInt), kCpu));
  BINQ_ASSERT_OK_AND_ASSIGN(const at::Tensor want, ReadFixtureTensor(io, "logits_1"));
  ExpectClose(logits, want, GetParam());
}

TEST_P(OptParityTest, NamedTensorsAreTheCheckpoint) {
  const std::string dir = Case(GetParam());
  BINQ_ASSERT_OK_AND_ASSIGN(auto model, LoadFixtureModel(dir));
  BINQ_ASSERT_OK_AND_ASSIGN(const auto weights, OpenSafetensorsWeights(dir + "/model.safetensors"));
  std::set<std::string> got;
  for (const auto& [name, tensor] : model->NamedTensors()) {
    EXPECT_TRUE(got.insert(name).second) << "duplicate " << name;
    BINQ_ASSERT_OK_AND_ASSIGN(const at::Tensor want, weights->source.load(name));
    EXPECT_TRUE(at::equal(tensor, want)) << name;
  }
  EXPECT_EQ(got, std::set<std::string>(weights->source.names.begin(), weights->source.names.end()));
}

INSTANTIATE_TEST_SUITE_P(Cases, OptParityTest,
                         ::testing::Values("pre_f32", "pre_f16", "post_proj_f32", "post_proj_f16", "bare_f32",
                                           "gelu_bf16"));

// The real OPT configs: binq asks for exactly the tensors (names and shapes)
// transformers' OPTForCausalLM has for them (structures.json, built by the
// generator on the meta device) and gives them back under the same names.
// The weights are uninitialized CPU memory that is never touched, so even
// opt-66b costs only address space.
class OptStructureTest : public OptTest, public ::testing::WithParamInterface<std::string> {};

TEST_P(OptStructureTest, TensorsAreTransformers) {
  std::ifstream in(root_ + "/structures.json");
  const nlohmann::json all = nlohmann::json::parse(in);
  const nlohmann::json& hf = all.at(GetParam());
  BINQ_ASSERT_OK_AND_ASSIGN(const ModelConfig config,
                            ReadModelConfig(std::string(BINQ_TEST_DATA_DIR) + "/opt-configs/" + GetParam() + ".json"));
  WeightSource source;
  std::set<std::string> requested;
  for (const auto& [name, shape] : hf.items()) source.names.push_back(name);
  source.load = [&](const std::string& name) -> absl::StatusOr<at::Tensor> {
    requested.insert(name);
    return at::empty(hf.at(name).get<std::vector<int64_t>>(), at::kHalf);
  };
  BINQ_ASSERT_OK_AND_ASSIGN(auto model, LoadCausalLM(config, source));
  std::set<std::string> want;
  for (const auto& [name, shape] : hf.items()) {
    if (name != "lm_head.weight") want.insert(name);  // tied to embed_tokens, not saved
  }
  EXPECT_EQ(requested, want);
  std::set<std::string> named;
  for (const auto& [name, t] : model->NamedTensors()) {
    named.insert(name);
    EXPECT_EQ(t.sizes(), at::IntArrayRef(hf.at(name).get<std::vector<int64_t>>())) << name;
  }
  EXPECT_EQ(named, want);
  EXPECT_EQ(model->num_blocks(), config.num_hidden_layers);
}

INSTANTIATE_TEST_SUITE_P(Configs, OptStructureTest, ::testing::Values("opt-125m", "opt-350m", "opt-66b"));

// ---------------------------------------------------------------------------
// Block interface.

TEST_F(OptTest, LinearsInReferenceOrder) {
  BINQ_ASSERT_OK_AND_ASSIGN(auto model, LoadFixtureModel(Case("post_proj_f16")));
  std::vector<std::string> names;
  for (const LinearLayer& l : model->block(1).linears()) {
    names.push_back(l.name);
    ASSERT_NE(l.weight, nullptr);
    EXPECT_EQ(l.weight->scalar_type(), at::kHalf);
    ASSERT_NE(l.bias, nullptr);
    EXPECT_TRUE(l.bias->defined());
  }
  EXPECT_THAT(names, ElementsAre("self_attn.k_proj", "self_attn.v_proj", "self_attn.q_proj", "self_attn.out_proj",
                                 "fc1", "fc2"));
  const auto linears = model->block(0).linears();
  EXPECT_EQ(linears[4].weight->sizes(), (std::vector<int64_t>{36, 20}));  // fc1 [ffn, hidden]
  EXPECT_EQ(linears[5].weight->sizes(), (std::vector<int64_t>{20, 36}));  // fc2
  EXPECT_EQ(model->block_prefix(2), "model.decoder.layers.2.");
  EXPECT_EQ(model->num_blocks(), 3);
}

TEST_F(OptTest, NoBiasModelHasUndefinedBiases) {
  BINQ_ASSERT_OK_AND_ASSIGN(auto model, LoadFixtureModel(Case("bare_f32")));
  for (const LinearLayer& l : model->block(0).linears()) EXPECT_FALSE(l.bias->defined()) << l.name;
}

TEST_F(OptTest, ObserverSeesEachLinearInputAsTransformersPassesIt) {
  const std::string dir = Case("pre_f16");
  BINQ_ASSERT_OK_AND_ASSIGN(auto model, LoadFixtureModel(dir));
  const std::string io = dir + "/io.safetensors";
  BINQ_ASSERT_OK_AND_ASSIGN(const at::Tensor ids, ReadFixtureTensor(io, "ids_0"));
  BINQ_ASSERT_OK_AND_ASSIGN(const at::Tensor hidden, model->Embed(ids));
  BINQ_ASSERT_OK_AND_ASSIGN(const at::Tensor mask, model->CausalMask(ids.size(1), kCpu));
  std::vector<std::string> order;
  std::map<std::string, at::Tensor> seen;
  const LinearObserver observer = [&](const std::string& name, const at::Tensor& x) {
    order.push_back(name);
    seen[name] = x.clone();
    return absl::OkStatus();
  };
  BINQ_ASSERT_OK(model->block(0).Forward(hidden, mask, observer).status());
  // Execution order (q is computed first in OPTAttention.forward).
  EXPECT_THAT(order, ElementsAre("self_attn.q_proj", "self_attn.k_proj", "self_attn.v_proj", "self_attn.out_proj",
                                 "fc1", "fc2"));
  for (const auto& [name, x] : seen) {
    BINQ_ASSERT_OK_AND_ASSIGN(const at::Tensor want, ReadFixtureTensor(io, "lin_in." + name));
    // [batch, seq, in] always; transformers hands fc1/fc2 [batch·seq, in].
    ASSERT_EQ(x.dim(), 3) << name;
    EXPECT_EQ(x.size(0), 2);
    EXPECT_EQ(x.size(1), 17);
    ExpectClose(x.reshape(want.sizes()), want, "input of " + name);
  }
}

TEST_F(OptTest, ObserverErrorAbortsForward) {
  BINQ_ASSERT_OK_AND_ASSIGN(auto model, LoadFixtureModel(Case("pre_f32")));
  const at::Tensor ids = at::arange(5, at::kLong).view({1, 5});
  BINQ_ASSERT_OK_AND_ASSIGN(const at::Tensor hidden, model->Embed(ids));
  BINQ_ASSERT_OK_AND_ASSIGN(const at::Tensor mask, model->CausalMask(5, kCpu));
  int calls = 0;
  const LinearObserver observer = [&](const std::string& name, const at::Tensor&) {
    ++calls;
    return name == "self_attn.out_proj" ? absl::ResourceExhaustedError("hessian: out of memory") : absl::OkStatus();
  };
  EXPECT_THAT(model->block(0).Forward(hidden, mask, observer),
              StatusIs(absl::StatusCode::kResourceExhausted, HasSubstr("hessian")));
  EXPECT_EQ(calls, 4);
}

TEST_F(OptTest, SetLinearWeightReplacesAndChecks) {
  BINQ_ASSERT_OK_AND_ASSIGN(auto model, LoadFixtureModel(Case("pre_f16")));
  DecoderBlock& block = model->block(0);
  const at::Tensor ids = at::arange(7, at::kLong).view({1, 7});
  BINQ_ASSERT_OK_AND_ASSIGN(const at::Tensor hidden, model->Embed(ids));
  BINQ_ASSERT_OK_AND_ASSIGN(const at::Tensor mask, model->CausalMask(7, kCpu));
  BINQ_ASSERT_OK_AND_ASSIGN(const at::Tensor before, block.Forward(hidden, mask));

  // An fp32 weight is cast to the model dtype.
  const at::Tensor fc2 = block.linears()[5].weight->to(at::kFloat) * 0.5;
  BINQ_ASSERT_OK(block.SetLinearWeight("fc2", fc2));
  EXPECT_EQ(block.linears()[5].weight->scalar_type(), at::kHalf);
  EXPECT_TRUE(at::equal(*block.linears()[5].weight, fc2.to(at::kHalf)));
  BINQ_ASSERT_OK_AND_ASSIGN(const at::Tensor after, block.Forward(hidden, mask));
  EXPECT_FALSE(at::equal(before, after));

  EXPECT_THAT(block.SetLinearWeight("fc1", at::zeros({24, 40})),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       AllOf(HasSubstr("fc1"), HasSubstr("[24, 40]"), HasSubstr("[40, 24]"))));
  EXPECT_THAT(block.SetLinearWeight("self_attn.o_proj", at::zeros({24, 24})),
              StatusIs(absl::StatusCode::kNotFound, HasSubstr("self_attn.o_proj")));
}

TEST_F(OptTest, ForwardRejectsMismatchedInputs) {
  BINQ_ASSERT_OK_AND_ASSIGN(auto model, LoadFixtureModel(Case("pre_f16")));
  BINQ_ASSERT_OK_AND_ASSIGN(const at::Tensor mask, model->CausalMask(4, kCpu));
  const DecoderBlock& block = model->block(0);
  EXPECT_THAT(block.Forward(at::zeros({1, 4, 23}, at::kHalf), mask),
              StatusIs(absl::StatusCode::kInvalidArgument, AllOf(HasSubstr("block 0"), HasSubstr("[1, 4, 23]"))));
  EXPECT_THAT(block.Forward(at::zeros({1, 4, 24}, at::kFloat), mask),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("Float")));
  EXPECT_THAT(block.Forward(at::zeros({1, 5, 24}, at::kHalf), mask),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("mask")));
}

// ---------------------------------------------------------------------------
// Embeddings and head.

TEST_F(OptTest, EmbedRejectsBadIds) {
  BINQ_ASSERT_OK_AND_ASSIGN(auto model, LoadFixtureModel(Case("pre_f32")));
  EXPECT_THAT(model->Embed(at::tensor({1, 2, 97}, at::kLong).view({1, 3})),
              StatusIs(absl::StatusCode::kInvalidArgument, AllOf(HasSubstr("97"), HasSubstr("vocabulary"))));
  EXPECT_THAT(model->Embed(at::tensor({-1, 2}, at::kLong).view({1, 2})),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("-1")));
  EXPECT_THAT(model->Embed(at::zeros({1, 41}, at::kLong)),
              StatusIs(absl::StatusCode::kInvalidArgument, AllOf(HasSubstr("41"), HasSubstr("40 positions"))));
  EXPECT_THAT(model->Embed(at::zeros({1, 3}, at::kFloat)),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("int")));
  EXPECT_THAT(model->Embed(at::zeros({3}, at::kLong)),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("[batch, seq]")));
}

TEST_F(OptTest, CausalMaskIsTransformersEagerMask) {
  BINQ_ASSERT_OK_AND_ASSIGN(auto model, LoadFixtureModel(Case("pre_f16")));
  BINQ_ASSERT_OK_AND_ASSIGN(const at::Tensor mask, model->CausalMask(3, kCpu));
  EXPECT_EQ(mask.sizes(), (std::vector<int64_t>{1, 1, 3, 3}));
  EXPECT_EQ(mask.scalar_type(), at::kHalf);
  const float m = -65504.0f;  // finfo(float16).min
  const at::Tensor want = at::tensor({0.f, m, m, 0.f, 0.f, m, 0.f, 0.f, 0.f}).view({1, 1, 3, 3}).to(at::kHalf);
  EXPECT_TRUE(at::equal(mask, want)) << mask;
  EXPECT_THAT(model->CausalMask(0, kCpu), StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("seqlen")));
}

TEST_F(OptTest, LogitsLeavesEveryPartWhereItWas) {
  BINQ_ASSERT_OK_AND_ASSIGN(auto model, LoadFixtureModel(Case("post_proj_f32")));
  BINQ_ASSERT_OK(model->Logits(at::zeros({1, 4}, at::kLong), kCpu).status());
  EXPECT_TRUE(model->embeddings_device().is_cpu());
  EXPECT_TRUE(model->head_device().is_cpu());
  for (int i = 0; i < model->num_blocks(); ++i) EXPECT_TRUE(model->block(i).device().is_cpu());
  BINQ_EXPECT_OK(model->block(0).To(kCpu));
  BINQ_EXPECT_OK(model->EmbeddingsTo(kCpu));
  BINQ_EXPECT_OK(model->HeadTo(kCpu));
}

// ---------------------------------------------------------------------------
// Loading.

TEST_F(OptTest, FacebookNamesWithoutModelPrefix) {
  const std::string dir = Case("post_proj_f16");
  BINQ_ASSERT_OK_AND_ASSIGN(const ModelConfig config, ReadModelConfig(dir));
  // facebook/opt-* conversions name tensors "decoder.…".
  BINQ_ASSERT_OK_AND_ASSIGN(const auto weights,
                            OpenSafetensorsWeights(dir + "/model.safetensors", [](const std::string& name) {
                              return absl::StartsWith(name, "model.") ? name.substr(6) : name;
                            }));
  ASSERT_TRUE(std::count(weights->source.names.begin(), weights->source.names.end(),
                         "decoder.layers.0.fc1.weight"));
  BINQ_ASSERT_OK_AND_ASSIGN(auto model, LoadCausalLM(config, weights->source));
  const std::string io = dir + "/io.safetensors";
  BINQ_ASSERT_OK_AND_ASSIGN(const at::Tensor ids, ReadFixtureTensor(io, "ids_0"));
  BINQ_ASSERT_OK_AND_ASSIGN(const at::Tensor logits, model->Logits(ids, kCpu));
  BINQ_ASSERT_OK_AND_ASSIGN(const at::Tensor want, ReadFixtureTensor(io, "logits_0"));
  ExpectClose(logits, want, "decoder.* names");
  EXPECT_EQ(model->NamedTensors()[0].first, "model.decoder.embed_tokens.weight");  // written as HF does
}

// The fixture's weights with one name dropped or one tensor replaced.
struct EditedSource {
  std::unique_ptr<binq::testing::SafetensorsWeights> file;
  WeightSource source;
};

EditedSource Edit(const std::string& path, const std::string& drop, const std::string& replace = "",
                  at::Tensor replacement = {}) {
  EditedSource e;
  auto w = OpenSafetensorsWeights(path);
  EXPECT_TRUE(w.ok()) << w.status();
  e.file = std::move(*w);
  for (const std::string& n : e.file->source.names) {
    if (n != drop) e.source.names.push_back(n);
  }
  auto inner = e.file->source.load;
  e.source.load = [inner, replace, replacement](const std::string& name) -> absl::StatusOr<at::Tensor> {
    if (name == replace) return replacement;
    return inner(name);
  };
  return e;
}

TEST_F(OptTest, MissingWeightIsNotFoundNamingIt) {
  const std::string dir = Case("pre_f16");
  BINQ_ASSERT_OK_AND_ASSIGN(const ModelConfig config, ReadModelConfig(dir));
  for (const std::string name : {"model.decoder.layers.1.fc2.bias", "model.decoder.embed_positions.weight",
                                 "model.decoder.final_layer_norm.weight",
                                 "model.decoder.layers.0.self_attn_layer_norm.bias"}) {
    const EditedSource e = Edit(dir + "/model.safetensors", name);
    EXPECT_THAT(LoadCausalLM(config, e.source), StatusIs(absl::StatusCode::kNotFound, HasSubstr("'" + name + "'")));
  }
  const EditedSource no_embed = Edit(dir + "/model.safetensors", "model.decoder.embed_tokens.weight");
  EXPECT_THAT(LoadCausalLM(config, no_embed.source),
              StatusIs(absl::StatusCode::kNotFound, HasSubstr("embed_tokens.weight")));
}

TEST_F(OptTest, ProjectionsAndUntiedHeadAreRequired) {
  {
    const std::string dir = Case("post_proj_f32");
    BINQ_ASSERT_OK_AND_ASSIGN(const ModelConfig config, ReadModelConfig(dir));
    const EditedSource e = Edit(dir + "/model.safetensors", "model.decoder.project_in.weight");
    EXPECT_THAT(LoadCausalLM(config, e.source),
                StatusIs(absl::StatusCode::kNotFound, HasSubstr("model.decoder.project_in.weight")));
  }
  {
    const std::string dir = Case("bare_f32");  // tie_word_embeddings: false
    BINQ_ASSERT_OK_AND_ASSIGN(const ModelConfig config, ReadModelConfig(dir));
    const EditedSource e = Edit(dir + "/model.safetensors", "lm_head.weight");
    EXPECT_THAT(LoadCausalLM(config, e.source), StatusIs(absl::StatusCode::kNotFound, HasSubstr("lm_head.weight")));
  }
}

TEST_F(OptTest, WrongShapeNamesTensorAndBothShapes) {
  const std::string dir = Case("pre_f16");
  BINQ_ASSERT_OK_AND_ASSIGN(const ModelConfig config, ReadModelConfig(dir));
  const std::string name = "model.decoder.layers.1.fc1.weight";
  const EditedSource e = Edit(dir + "/model.safetensors", "", name, at::zeros({24, 40}, at::kHalf));
  EXPECT_THAT(LoadCausalLM(config, e.source),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       AllOf(HasSubstr(name), HasSubstr("[24, 40]"), HasSubstr("expected [40, 24]"))));
}

TEST_F(OptTest, NonFloatWeightIsRejected) {
  const std::string dir = Case("pre_f16");
  BINQ_ASSERT_OK_AND_ASSIGN(const ModelConfig config, ReadModelConfig(dir));
  const std::string name = "model.decoder.layers.0.fc1.bias";
  const EditedSource e = Edit(dir + "/model.safetensors", "", name, at::zeros({40}, at::kInt));
  EXPECT_THAT(LoadCausalLM(config, e.source),
              StatusIs(absl::StatusCode::kInvalidArgument, AllOf(HasSubstr(name), HasSubstr("Int"))));
}

TEST_F(OptTest, LoaderErrorKeepsItsCodeAndGetsTheName) {
  const std::string dir = Case("pre_f32");
  BINQ_ASSERT_OK_AND_ASSIGN(const ModelConfig config, ReadModelConfig(dir));
  BINQ_ASSERT_OK_AND_ASSIGN(const auto weights, OpenSafetensorsWeights(dir + "/model.safetensors"));
  WeightSource source = weights->source;
  auto inner = source.load;
  source.load = [inner](const std::string& name) -> absl::StatusOr<at::Tensor> {
    if (name == "model.decoder.layers.1.self_attn.v_proj.weight") return absl::DataLossError("shard truncated");
    return inner(name);
  };
  EXPECT_THAT(LoadCausalLM(config, source),
              StatusIs(absl::StatusCode::kDataLoss,
                       AllOf(HasSubstr("model.decoder.layers.1.self_attn.v_proj.weight"), HasSubstr("truncated"))));
}

TEST_F(OptTest, DtypeAutoOrRequested) {
  const std::string dir = Case("pre_f16");
  BINQ_ASSERT_OK_AND_ASSIGN(auto auto_model, LoadFixtureModel(dir));
  EXPECT_EQ(auto_model->dtype(), at::kHalf);
  for (const at::ScalarType t : {at::kFloat, at::kBFloat16}) {
    ModelLoadOptions options;
    options.dtype = t;
    BINQ_ASSERT_OK_AND_ASSIGN(auto model, LoadFixtureModel(dir, options));
    EXPECT_EQ(model->dtype(), t);
    EXPECT_EQ(model->block(0).linears()[0].weight->scalar_type(), t);
    BINQ_ASSERT_OK_AND_ASSIGN(const at::Tensor logits, model->Logits(at::zeros({1, 3}, at::kLong), kCpu));
    EXPECT_EQ(logits.scalar_type(), t);
  }
  // An fp16 model computed in fp32 stays close to the fp16 logits.
  ModelLoadOptions f32;
  f32.dtype = at::kFloat;
  BINQ_ASSERT_OK_AND_ASSIGN(auto model32, LoadFixtureModel(dir, f32));
  BINQ_ASSERT_OK_AND_ASSIGN(const at::Tensor ids, ReadFixtureTensor(dir + "/io.safetensors", "ids_0"));
  BINQ_ASSERT_OK_AND_ASSIGN(const at::Tensor l32, model32->Logits(ids, kCpu));
  BINQ_ASSERT_OK_AND_ASSIGN(const at::Tensor l16, auto_model->Logits(ids, kCpu));
  EXPECT_LT((l32 - l16.to(at::kFloat)).abs().max().item<float>(), 0.1);

  ModelLoadOptions f64;
  f64.dtype = at::kDouble;
  EXPECT_THAT(LoadFixtureModel(dir, f64), StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("Double")));
}

TEST_F(OptTest, DtypeFromWeightsWhenConfigHasNone) {
  const std::string dir = Case("pre_f16");
  BINQ_ASSERT_OK_AND_ASSIGN(ModelConfig config, ReadModelConfig(dir));
  config.torch_dtype.clear();
  BINQ_ASSERT_OK_AND_ASSIGN(const auto weights, OpenSafetensorsWeights(dir + "/model.safetensors"));
  BINQ_ASSERT_OK_AND_ASSIGN(auto model, LoadCausalLM(config, weights->source));
  EXPECT_EQ(model->dtype(), at::kHalf);
  config.torch_dtype = "float64";
  EXPECT_THAT(LoadCausalLM(config, weights->source),
              StatusIs(absl::StatusCode::kInvalidArgument, AllOf(HasSubstr("torch_dtype"), HasSubstr("float64"))));
}

TEST(ModelDTypeTest, Parse) {
  EXPECT_THAT(ParseModelDType("auto"), ::binq::testing::IsOkAndHolds(std::optional<at::ScalarType>()));
  EXPECT_THAT(ParseModelDType("fp16"), ::binq::testing::IsOkAndHolds(std::optional<at::ScalarType>(at::kHalf)));
  EXPECT_THAT(ParseModelDType("bfloat16"),
              ::binq::testing::IsOkAndHolds(std::optional<at::ScalarType>(at::kBFloat16)));
  EXPECT_THAT(ParseModelDType("float32"), ::binq::testing::IsOkAndHolds(std::optional<at::ScalarType>(at::kFloat)));
  EXPECT_THAT(ParseModelDType("int8"), StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("int8")));
}

TEST(ModelRegistryTest, OptIsRegisteredAndUnknownTypesListIt) {
  EXPECT_THAT(ModelRegistry::Global().Types(), ::testing::Contains("opt"));
  ModelConfig config;
  config.model_type = "falcon";
  EXPECT_THAT(LoadCausalLM(config, WeightSource{}),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       AllOf(HasSubstr("falcon"), HasSubstr("opt"), HasSubstr("llama"))));
}

}  // namespace
}  // namespace binq::core
