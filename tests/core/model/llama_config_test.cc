// config.json of the LLaMA-style families: the defaults of transformers'
// config classes, both spellings of the RoPE parameters, the sliding-window
// rules of each family, and errors naming the field.
#include <string>

#include "core/model_config/model_config.h"
#include "core/model_config/model_families.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "nlohmann/json.hpp"
#include "tests/testing/status_matchers.h"

namespace binq::core {
namespace {

using ::binq::testing::StatusIs;
using ::testing::AllOf;
using ::testing::ElementsAre;
using ::testing::HasSubstr;
using Json = nlohmann::json;

Json Base(const std::string& model_type) {
  return {{"model_type", model_type}, {"vocab_size", 100},       {"hidden_size", 32},
          {"intermediate_size", 48},  {"num_hidden_layers", 3},  {"num_attention_heads", 4}};
}

absl::StatusOr<ModelConfig> Parse(const Json& j) { return ParseModelConfig(j.dump(), "c.json"); }

TEST(LlamaConfigTest, LlamaDefaults) {
  BINQ_ASSERT_OK_AND_ASSIGN(const ModelConfig c, Parse(Base("llama")));
  EXPECT_EQ(c.num_key_value_heads, 4);
  EXPECT_EQ(c.head_dim(), 8);
  EXPECT_EQ(c.ffn_dim, 48);
  EXPECT_EQ(c.max_position_embeddings, 2048);
  EXPECT_EQ(c.reference_seqlen(), 2048);  // BiLLM get_llama
  EXPECT_FALSE(c.tie_word_embeddings);
  EXPECT_FALSE(c.qkv_bias || c.o_bias || c.mlp_bias || c.qk_norm || c.gemma_norms);
  EXPECT_EQ(c.rope.rope_type, "default");
  EXPECT_EQ(c.rope.rope_theta, 10000.0);
  EXPECT_DOUBLE_EQ(c.rms_norm_eps, 1e-6);
  EXPECT_EQ(c.bos_token_id, 1);
  EXPECT_THAT(c.eos_token_ids, ElementsAre(2));
  EXPECT_THAT(c.sliding_layers, ElementsAre());
  EXPECT_THAT(c.quantized_linears, ElementsAre("self_attn.q_proj", "self_attn.k_proj", "self_attn.v_proj",
                                               "self_attn.o_proj", "mlp.gate_proj", "mlp.up_proj", "mlp.down_proj"));
}

TEST(LlamaConfigTest, ReferenceSeqlenIsCappedByThePositions) {
  Json j = Base("llama");
  j["max_position_embeddings"] = 128;
  BINQ_ASSERT_OK_AND_ASSIGN(const ModelConfig c, Parse(j));
  EXPECT_EQ(c.reference_seqlen(), 128);
  j["max_position_embeddings"] = 131072;
  BINQ_ASSERT_OK_AND_ASSIGN(const ModelConfig long_context, Parse(j));
  EXPECT_EQ(long_context.reference_seqlen(), 2048);
}

TEST(LlamaConfigTest, GqaBiasesAndHeadDim) {
  Json j = Base("llama");
  j["num_key_value_heads"] = 2;
  j["head_dim"] = 6;
  j["attention_bias"] = true;
  j["mlp_bias"] = true;
  j["tie_word_embeddings"] = true;
  BINQ_ASSERT_OK_AND_ASSIGN(const ModelConfig c, Parse(j));
  EXPECT_EQ(c.num_key_value_heads, 2);
  EXPECT_EQ(c.head_dim(), 6);
  EXPECT_TRUE(c.qkv_bias && c.o_bias && c.mlp_bias && c.tie_word_embeddings);
  j["num_key_value_heads"] = 3;
  EXPECT_THAT(Parse(j), StatusIs(absl::StatusCode::kInvalidArgument,
                                 AllOf(HasSubstr("num_key_value_heads"), HasSubstr("c.json"))));
}

TEST(LlamaConfigTest, RopeParametersAndTheOlderRopeScaling) {
  Json j = Base("llama");
  j["rope_parameters"] = {{"rope_type", "llama3"}, {"factor", 8.0},           {"low_freq_factor", 1.0},
                          {"high_freq_factor", 4.0}, {"rope_theta", 500000.0}, {"original_max_position_embeddings", 8192}};
  BINQ_ASSERT_OK_AND_ASSIGN(const ModelConfig c, Parse(j));
  EXPECT_EQ(c.rope.rope_type, "llama3");
  EXPECT_EQ(c.rope.rope_theta, 500000.0);
  EXPECT_EQ(c.rope.factor, 8.0);
  EXPECT_EQ(c.rope.original_max_position_embeddings, 8192);

  Json legacy = Base("llama");
  legacy["rope_theta"] = 1e6;
  legacy["rope_scaling"] = {{"type", "linear"}, {"factor", 4}};
  BINQ_ASSERT_OK_AND_ASSIGN(const ModelConfig l, Parse(legacy));
  EXPECT_EQ(l.rope.rope_type, "linear");
  EXPECT_EQ(l.rope.factor, 4.0);
  EXPECT_EQ(l.rope.rope_theta, 1e6);

  legacy["rope_scaling"] = {{"rope_type", "yarn"}, {"factor", 4}};
  EXPECT_THAT(Parse(legacy), StatusIs(absl::StatusCode::kInvalidArgument,
                                      AllOf(HasSubstr("rope_scaling.rope_type"), HasSubstr("yarn"),
                                            HasSubstr("llama3"))));
  legacy["rope_scaling"] = {{"type", "dynamic"}};
  EXPECT_THAT(Parse(legacy), StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("rope_scaling.factor")));
  legacy["rope_scaling"] = {{"type", "linear"}, {"factor", 2}, {"partial_rotary_factor", 0.5}};
  EXPECT_THAT(Parse(legacy), StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("partial_rotary_factor")));
}

TEST(LlamaConfigTest, OnlySiluAndRequiredShapes) {
  Json j = Base("llama");
  j["hidden_act"] = "gelu";
  EXPECT_THAT(Parse(j), StatusIs(absl::StatusCode::kInvalidArgument, AllOf(HasSubstr("hidden_act"), HasSubstr("silu"))));
  j = Base("qwen2");
  j.erase("intermediate_size");
  EXPECT_THAT(Parse(j), StatusIs(absl::StatusCode::kInvalidArgument,
                                 AllOf(HasSubstr("intermediate_size"), HasSubstr("missing"))));
  j = Base("llama");
  j["num_attention_heads"] = 5;
  EXPECT_THAT(Parse(j), StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("hidden_size")));
}

TEST(LlamaConfigTest, MistralWindowDefaultsTo4096AndNullTurnsItOff) {
  Json j = Base("mistral");
  // MistralConfig's num_key_value_heads default is 8, which 4 heads cannot use.
  EXPECT_THAT(Parse(j), StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("num_key_value_heads")));
  j["num_key_value_heads"] = 2;
  BINQ_ASSERT_OK_AND_ASSIGN(const ModelConfig c, Parse(j));
  EXPECT_EQ(c.sliding_window, 4096);
  EXPECT_THAT(c.sliding_layers, ElementsAre(true, true, true));
  j["sliding_window"] = nullptr;
  BINQ_ASSERT_OK_AND_ASSIGN(const ModelConfig off, Parse(j));
  EXPECT_THAT(off.sliding_layers, ElementsAre(false, false, false));
  EXPECT_FALSE(off.qkv_bias || off.o_bias || off.mlp_bias);
}

TEST(LlamaConfigTest, Qwen2BiasesAndWindowRules) {
  Json j = Base("qwen2");
  j["num_key_value_heads"] = 2;
  BINQ_ASSERT_OK_AND_ASSIGN(const ModelConfig c, Parse(j));
  EXPECT_TRUE(c.qkv_bias);
  EXPECT_FALSE(c.o_bias);
  EXPECT_EQ(c.max_position_embeddings, 32768);
  EXPECT_EQ(c.reference_seqlen(), 2048);
  EXPECT_THAT(c.sliding_layers, ElementsAre(false, false, false));  // use_sliding_window off
  j["use_sliding_window"] = true;
  j["sliding_window"] = 7;
  j["max_window_layers"] = 1;
  BINQ_ASSERT_OK_AND_ASSIGN(const ModelConfig w, Parse(j));
  EXPECT_EQ(w.sliding_window, 7);
  EXPECT_THAT(w.sliding_layers, ElementsAre(false, true, true));
  j["layer_types"] = {"sliding_attention", "full_attention", "full_attention"};
  BINQ_ASSERT_OK_AND_ASSIGN(const ModelConfig t, Parse(j));
  EXPECT_THAT(t.sliding_layers, ElementsAre(true, false, false));
  j["layer_types"] = {"sliding_attention"};
  EXPECT_THAT(Parse(j), StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("layer_types")));
  j["layer_types"] = {"sliding_attention", "chunked_attention", "full_attention"};
  EXPECT_THAT(Parse(j), StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("chunked_attention")));
}

TEST(LlamaConfigTest, Qwen3HeadDimDefaultsTo128WithQkNorms) {
  Json j = Base("qwen3");
  j["num_key_value_heads"] = 4;
  BINQ_ASSERT_OK_AND_ASSIGN(const ModelConfig c, Parse(j));
  EXPECT_EQ(c.head_dim(), 128);
  EXPECT_TRUE(c.qk_norm);
  EXPECT_FALSE(c.qkv_bias);
  j["head_dim"] = 10;
  j["attention_bias"] = true;
  j["num_attention_heads"] = 5;  // 5 · 10 ≠ 32 is fine with an explicit head_dim
  j["num_key_value_heads"] = 5;
  BINQ_ASSERT_OK_AND_ASSIGN(const ModelConfig e, Parse(j));
  EXPECT_EQ(e.head_dim(), 10);
  EXPECT_TRUE(e.qkv_bias && e.o_bias);
}

TEST(LlamaConfigTest, Gemma3TextDefaultsAndRopePerLayerType) {
  Json j = Base("gemma3_text");
  j["num_hidden_layers"] = 7;
  j["num_key_value_heads"] = 2;
  BINQ_ASSERT_OK_AND_ASSIGN(const ModelConfig c, Parse(j));
  EXPECT_TRUE(c.gemma_norms && c.scale_embeddings && c.qk_norm && c.tie_word_embeddings);
  EXPECT_EQ(c.head_dim(), 256);
  EXPECT_EQ(c.query_pre_attn_scalar, 256);
  EXPECT_EQ(c.activation_function, "gelu_pytorch_tanh");
  EXPECT_EQ(c.sliding_window, 4096);
  // sliding_window_pattern 6: every sixth layer is global.
  EXPECT_THAT(c.sliding_layers, ElementsAre(true, true, true, true, true, false, true));
  EXPECT_EQ(c.rope.rope_theta, 1e6);
  ASSERT_TRUE(c.sliding_rope.has_value());
  EXPECT_EQ(c.sliding_rope->rope_theta, 1e4);
  EXPECT_EQ(c.bos_token_id, 2);

  j["rope_local_base_freq"] = 5000.0;
  j["rope_theta"] = 2e6;
  j["rope_scaling"] = {{"rope_type", "linear"}, {"factor", 8.0}};
  BINQ_ASSERT_OK_AND_ASSIGN(const ModelConfig legacy, Parse(j));
  EXPECT_EQ(legacy.rope.rope_type, "linear");
  EXPECT_EQ(legacy.rope.rope_theta, 2e6);
  EXPECT_EQ(legacy.sliding_rope->rope_theta, 5000.0);
  EXPECT_EQ(legacy.sliding_rope->rope_type, "default");

  Json n = Base("gemma3_text");
  n["num_key_value_heads"] = 1;
  n["layer_types"] = {"full_attention", "sliding_attention", "full_attention"};
  n["rope_parameters"] = {{"full_attention", {{"rope_type", "default"}, {"rope_theta", 3e5}}},
                          {"sliding_attention", {{"rope_type", "default"}, {"rope_theta", 7e3}}}};
  BINQ_ASSERT_OK_AND_ASSIGN(const ModelConfig nested, Parse(n));
  EXPECT_THAT(nested.sliding_layers, ElementsAre(false, true, false));
  EXPECT_EQ(nested.rope.rope_theta, 3e5);
  EXPECT_EQ(nested.sliding_rope->rope_theta, 7e3);

  n["use_bidirectional_attention"] = true;
  EXPECT_THAT(Parse(n), StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("use_bidirectional_attention")));
  n.erase("use_bidirectional_attention");
  n["hidden_activation"] = "silu";
  EXPECT_THAT(Parse(n), StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("hidden_activation")));
}

TEST(ModelFamiliesTest, CheckModelType) {
  BINQ_EXPECT_OK(CheckModelType("qwen3"));
  EXPECT_THAT(CheckModelType("gpt_neox"),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       AllOf(HasSubstr("gpt_neox"), HasSubstr("gemma3_text, llama, mistral, opt, qwen2, qwen3"))));
}

}  // namespace
}  // namespace binq::core
