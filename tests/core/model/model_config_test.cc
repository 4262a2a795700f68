#include "core/model_config/model_config.h"
#include "core/model_config/model_families.h"

#include <fstream>
#include <string>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "nlohmann/json.hpp"
#include "tests/testing/status_matchers.h"
#include "tests/testing/subprocess.h"

namespace binq::core {
namespace {

using ::binq::testing::StatusIs;
using ::testing::AllOf;
using ::testing::ElementsAre;
using ::testing::HasSubstr;

const std::string kConfigs = std::string(BINQ_TEST_DATA_DIR) + "/opt-configs/";

// A minimal valid OPT config with `field` replaced by `value` (or removed
// when value is null and `remove` is set).
std::string Config(const std::string& field = "", nlohmann::json value = nullptr, bool remove = false) {
  nlohmann::json j = {{"model_type", "opt"},       {"vocab_size", 100},  {"hidden_size", 16},
                      {"num_hidden_layers", 2},    {"ffn_dim", 32},      {"num_attention_heads", 4},
                      {"max_position_embeddings", 64}};
  if (!field.empty()) {
    if (remove) {
      j.erase(field);
    } else {
      j[field] = value;
    }
  }
  return j.dump();
}

TEST(ModelConfigTest, Opt125m) {
  BINQ_ASSERT_OK_AND_ASSIGN(const ModelConfig c, ReadModelConfig(kConfigs + "opt-125m.json"));
  EXPECT_EQ(c.model_type, "opt");
  EXPECT_EQ(c.vocab_size, 50272);
  EXPECT_EQ(c.hidden_size, 768);
  EXPECT_EQ(c.num_hidden_layers, 12);
  EXPECT_EQ(c.num_attention_heads, 12);
  EXPECT_EQ(c.head_dim(), 64);
  EXPECT_EQ(c.ffn_dim, 3072);
  EXPECT_EQ(c.max_position_embeddings, 2048);
  EXPECT_EQ(c.reference_seqlen(), 2048);
  EXPECT_TRUE(c.do_layer_norm_before);
  EXPECT_EQ(c.word_embed_proj_dim, 768);
  EXPECT_EQ(c.activation_function, "relu");
  // Absent from the 2022 config files: OPTConfig's defaults.
  EXPECT_TRUE(c.enable_bias);
  EXPECT_TRUE(c.layer_norm_elementwise_affine);
  EXPECT_FALSE(c.remove_final_layer_norm);
  EXPECT_TRUE(c.tie_word_embeddings);
  EXPECT_EQ(c.torch_dtype, "float16");
  EXPECT_EQ(c.bos_token_id, 2);
  EXPECT_THAT(c.eos_token_ids, ElementsAre(2));
  EXPECT_EQ(c.pad_token_id, 1);
  EXPECT_EQ(c.source, kConfigs + "opt-125m.json");
}

TEST(ModelConfigTest, Opt350mIsPostLayerNormWithProjections) {
  BINQ_ASSERT_OK_AND_ASSIGN(const ModelConfig c, ReadModelConfig(kConfigs + "opt-350m.json"));
  EXPECT_FALSE(c.do_layer_norm_before);
  EXPECT_EQ(c.hidden_size, 1024);
  EXPECT_EQ(c.word_embed_proj_dim, 512);
  EXPECT_EQ(c.num_hidden_layers, 24);
  EXPECT_EQ(c.num_attention_heads, 16);
  EXPECT_EQ(c.ffn_dim, 4096);
}

TEST(ModelConfigTest, Opt66b) {
  BINQ_ASSERT_OK_AND_ASSIGN(const ModelConfig c, ReadModelConfig(kConfigs + "opt-66b.json"));
  EXPECT_EQ(c.hidden_size, 9216);
  EXPECT_EQ(c.num_attention_heads, 72);
  EXPECT_EQ(c.head_dim(), 128);
  EXPECT_EQ(c.num_hidden_layers, 64);
  EXPECT_EQ(c.ffn_dim, 36864);
  EXPECT_EQ(c.word_embed_proj_dim, 9216);
  EXPECT_FALSE(c.remove_final_layer_norm);
}

TEST(ModelConfigTest, FolderReadsItsConfigJson) {
  const std::string dir = binq::testing::MakeTempDir();
  std::ofstream(dir + "/config.json") << Config();
  BINQ_ASSERT_OK_AND_ASSIGN(const ModelConfig c, ReadModelConfig(dir));
  EXPECT_EQ(c.hidden_size, 16);
  EXPECT_EQ(c.source, dir + "/config.json");
  // Defaults of OPTConfig when absent.
  EXPECT_EQ(c.word_embed_proj_dim, 16);
  EXPECT_EQ(c.bos_token_id, 2);
  EXPECT_EQ(c.pad_token_id, 1);
  EXPECT_TRUE(c.torch_dtype.empty());
}

TEST(ModelConfigTest, MissingFileIsNotFound) {
  EXPECT_THAT(ReadModelConfig("/nonexistent/binq/config.json"),
              StatusIs(absl::StatusCode::kNotFound, HasSubstr("/nonexistent/binq/config.json")));
}

TEST(ModelConfigTest, DtypeKeyOfNewerTransformersWins) {
  nlohmann::json j = nlohmann::json::parse(Config());
  j["dtype"] = "bfloat16";
  j["torch_dtype"] = "float16";
  BINQ_ASSERT_OK_AND_ASSIGN(const ModelConfig c, ParseModelConfig(j.dump(), "c.json"));
  EXPECT_EQ(c.torch_dtype, "bfloat16");
}

TEST(ModelConfigTest, EosMayBeAListAndTokenIdsNull) {
  nlohmann::json j = nlohmann::json::parse(Config());
  j["eos_token_id"] = {2, 7};
  j["pad_token_id"] = nullptr;
  BINQ_ASSERT_OK_AND_ASSIGN(const ModelConfig c, ParseModelConfig(j.dump(), "c.json"));
  EXPECT_THAT(c.eos_token_ids, ElementsAre(2, 7));
  EXPECT_FALSE(c.pad_token_id.has_value());
}

TEST(ModelConfigTest, MissingRequiredFieldNamesFieldAndFile) {
  for (const char* field : {"vocab_size", "hidden_size", "num_hidden_layers", "ffn_dim", "num_attention_heads",
                            "max_position_embeddings", "model_type"}) {
    EXPECT_THAT(ParseModelConfig(Config(field, nullptr, true), "dir/config.json"),
                StatusIs(absl::StatusCode::kInvalidArgument,
                         AllOf(HasSubstr("dir/config.json"), HasSubstr(field), HasSubstr("missing"))))
        << field;
  }
}

TEST(ModelConfigTest, IllTypedFieldsNameFieldAndFile) {
  const std::pair<const char*, nlohmann::json> cases[] = {
      {"hidden_size", "16"},
      {"hidden_size", 16.0},
      {"num_hidden_layers", true},
      {"do_layer_norm_before", 1},
      {"enable_bias", "yes"},
      {"_remove_final_layer_norm", 0},
      {"tie_word_embeddings", "true"},
      {"layer_norm_elementwise_affine", nlohmann::json::array()},
      {"word_embed_proj_dim", 8.5},
      {"activation_function", 3},
      {"torch_dtype", 16},
      {"bos_token_id", "2"},
      {"eos_token_id", nlohmann::json::array({2, "x"})},
      {"model_type", 1},
  };
  for (const auto& [field, value] : cases) {
    EXPECT_THAT(ParseModelConfig(Config(field, value), "m/config.json"),
                StatusIs(absl::StatusCode::kInvalidArgument,
                         AllOf(HasSubstr("m/config.json"), HasSubstr(std::string("'") + field + "'"))))
        << field << " = " << value.dump();
  }
}

TEST(ModelConfigTest, NonPositiveSizes) {
  EXPECT_THAT(ParseModelConfig(Config("vocab_size", 0), "c.json"),
              StatusIs(absl::StatusCode::kInvalidArgument, AllOf(HasSubstr("vocab_size"), HasSubstr("positive"))));
  EXPECT_THAT(ParseModelConfig(Config("ffn_dim", -4), "c.json"),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("ffn_dim")));
}

TEST(ModelConfigTest, HeadsMustDivideHidden) {
  EXPECT_THAT(ParseModelConfig(Config("num_attention_heads", 5), "c.json"),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       AllOf(HasSubstr("num_attention_heads"), HasSubstr("hidden_size"), HasSubstr("c.json"))));
}

TEST(ModelConfigTest, UnknownModelTypeListsSupported) {
  EXPECT_THAT(ParseModelConfig(Config("model_type", "gpt2"), "c.json"),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       AllOf(HasSubstr("model_type"), HasSubstr("gpt2"), HasSubstr("supported: gemma3_text, llama, mistral, opt, qwen2, qwen3"))));
}

TEST(ModelConfigTest, UnsupportedActivation) {
  EXPECT_THAT(ParseModelConfig(Config("activation_function", "tanh"), "c.json"),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       AllOf(HasSubstr("activation_function"), HasSubstr("tanh"), HasSubstr("relu"))));
  BINQ_EXPECT_OK(ParseModelConfig(Config("activation_function", "gelu"), "c.json"));
}

TEST(ModelConfigTest, NotJsonOrNotAnObject) {
  EXPECT_THAT(ParseModelConfig("{\"model_type\": ", "bad.json"),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("bad.json")));
  EXPECT_THAT(ParseModelConfig("[1, 2]", "list.json"),
              StatusIs(absl::StatusCode::kInvalidArgument, AllOf(HasSubstr("list.json"), HasSubstr("object"))));
}

TEST(ModelConfigTest, SupportedTypes) {
  EXPECT_THAT(ModelFamilyTypes(), ElementsAre("gemma3_text", "llama", "mistral", "opt", "qwen2", "qwen3"));
}

}  // namespace
}  // namespace binq::core
