// Every registered model family through the whole pipeline (like llama.cpp's
// test-llama-archs): `binq-run make-tiny --family F` writes a random tiny
// checkpoint, RunJob quantizes it with CRB and evaluates it, and the
// de-quantized checkpoint differs from the input exactly in the decoder
// linears of the family (ALGORITHMS.md §2.2), in the dtype its config.json
// states.
#include <cmath>
#include <fstream>
#include <map>
#include <set>
#include <string>
#include <vector>

#include <ATen/ATen.h>
#include <ATen/Parallel.h>
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "absl/strings/str_cat.h"
#include "core/base/path_util.h"
#include "core/io/checkpoint_reader.h"
#include "core/io/posix_file.h"
#include "core/model/causal_lm.h"
#include "core/model_config/model_config.h"
#include "core/model_config/model_families.h"
#include "core/pipeline/job_runner.h"
#include "core/torch/checkpoint_torch.h"
#include "nlohmann/json.hpp"
#include "tests/testing/files.h"
#include "tests/testing/status_matchers.h"
#include "tests/testing/subprocess.h"

namespace binq::core {
namespace {

using ::binq::testing::MakeTempDir;
using ::binq::testing::ProcessResult;
using ::binq::testing::ReadFileOrEmpty;
using ::binq::testing::RunProcess;
using ::testing::ElementsAreArray;

const std::string kBinqRun = BINQ_RUN_PATH;
constexpr int kBlocks = 2;

std::map<std::string, at::Tensor> ReadCheckpoint(const std::string& dir) {
  std::map<std::string, at::Tensor> out;
  auto reader = CheckpointReader::Open(dir);
  EXPECT_TRUE(reader.ok()) << reader.status();
  if (!reader.ok()) return out;
  for (const std::string& name : (*reader)->TensorNames()) {
    auto t = LoadTensor(**reader, name);
    EXPECT_TRUE(t.ok()) << t.status();
    if (t.ok()) out[name] = t->contiguous().clone();
  }
  return out;
}

class FamilyPipelineTest : public ::testing::TestWithParam<std::string> {
 protected:
  void SetUp() override {
    at::set_num_threads(1);
    root_ = MakeTempDir();
    const ProcessResult r = RunProcess({kBinqRun, "make-tiny", root_ + "/tiny", "--family", GetParam(),
                                        "--blocks", "2", "--hidden", "32", "--heads", "4", "--ffn", "48",
                                        "--positions", "64"});
    ASSERT_EQ(r.exit_code, 0) << r.err;
    // Keep evaluation short (a 50,272-entry vocabulary): a few windows.
    const std::string test = root_ + "/tiny/data/wikitext-2-raw/wiki.test.raw";
    const std::string text = ReadFileOrEmpty(test);
    std::ofstream(test, std::ios::binary | std::ios::trunc) << text.substr(0, text.find('\n', 1500) + 1);
  }
  void TearDown() override {
    if (!HasFailure()) (void)RemoveTree(root_);
  }
  std::string root_;
};

TEST_P(FamilyPipelineTest, CrbChangesOnlyTheDecoderLinears) {
  const std::string model_dir = root_ + "/tiny/model";
  BINQ_ASSERT_OK_AND_ASSIGN(const ModelConfig config, ReadModelConfig(model_dir));
  JobSpec spec;
  spec.model = model_dir;
  spec.technique = "CRB";
  spec.dataset = "wikitext2";
  spec.seqlen = 32;
  spec.nsamples = 4;
  spec.device = "cpu";
  RunOptions options;
  options.output_dir = root_ + "/out";
  options.data_dir = root_ + "/tiny/data";
  options.hub_cache_dir = root_ + "/no-hub-cache";
  RecordingSink sink;
  BINQ_ASSERT_OK_AND_ASSIGN(const RunResult result, RunJob(spec, options, sink));

  // The layers, per block in the family's reference order.
  std::vector<std::string> want_layers, got_layers;
  for (int b = 0; b < kBlocks; ++b) {
    for (const std::string& l : config.quantized_linears) want_layers.push_back(absl::StrCat(b, " ", l));
  }
  for (const Event& e : sink.events()) {
    if (const auto* l = std::get_if<LayerEvent>(&e.body)) {
      got_layers.push_back(absl::StrCat(l->block, " ", l->name));
      EXPECT_GT(l->relative_error, 0) << l->name;
      EXPECT_LT(l->relative_error, 1) << l->name;
    }
  }
  EXPECT_THAT(got_layers, ElementsAreArray(want_layers));
  ASSERT_EQ(result.summary.perplexity.count("wikitext2"), 1u);
  EXPECT_TRUE(std::isfinite(result.summary.perplexity.at("wikitext2")));

  // Only the quantized linears' weights changed; names, shapes and dtypes
  // are the input's.
  std::set<std::string> quantized;
  for (int b = 0; b < kBlocks; ++b) {
    for (const std::string& l : config.quantized_linears) {
      quantized.insert(absl::StrCat(config.model_type == "opt" ? "model.decoder." : "model.", "layers.", b, ".", l,
                                    ".weight"));
    }
  }
  const auto before = ReadCheckpoint(model_dir);
  const auto after = ReadCheckpoint(result.output_dir + "/model");
  ASSERT_EQ(before.size(), after.size());
  int changed = 0;
  for (const auto& [name, t] : before) {
    ASSERT_EQ(after.count(name), 1u) << name;
    const at::Tensor& u = after.at(name);
    EXPECT_EQ(u.scalar_type(), t.scalar_type()) << name;
    ASSERT_EQ(u.sizes(), t.sizes()) << name;
    const bool same = at::equal(u, t);
    if (quantized.count(name)) {
      EXPECT_FALSE(same) << name << " should be quantized";
      changed += !same;
    } else {
      EXPECT_TRUE(same) << name << " should be untouched";
    }
  }
  EXPECT_EQ(changed, static_cast<int>(quantized.size()));

  // config.json names the dtype written.
  const nlohmann::json written = nlohmann::json::parse(ReadFileOrEmpty(result.output_dir + "/model/config.json"));
  const char* dtype = before.begin()->second.scalar_type() == at::kBFloat16 ? "bfloat16" : "float16";
  EXPECT_EQ(written.at("dtype"), dtype);
}

INSTANTIATE_TEST_SUITE_P(Families, FamilyPipelineTest, ::testing::ValuesIn(ModelFamilyTypes()));

// --dtype float16 on a bf16 checkpoint: the weights and config.json say
// float16 (transformers would otherwise load them back as bf16).
TEST(FamilyPipelineDtypeTest, WrittenConfigStatesTheDtypeWritten) {
  at::set_num_threads(1);
  const std::string root = MakeTempDir();
  const ProcessResult r = RunProcess({kBinqRun, "make-tiny", root + "/tiny", "--family", "gemma3_text", "--blocks",
                                      "1", "--hidden", "32", "--heads", "2", "--ffn", "48", "--positions", "64"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  const std::string test = root + "/tiny/data/wikitext-2-raw/wiki.test.raw";
  const std::string text = ReadFileOrEmpty(test);
  std::ofstream(test, std::ios::binary | std::ios::trunc) << text.substr(0, text.find('\n', 1000) + 1);
  JobSpec spec;
  spec.model = root + "/tiny/model";
  spec.technique = "braq";
  spec.dataset = "wikitext2";
  spec.seqlen = 32;
  spec.nsamples = 2;
  spec.device = "cpu";
  spec.dtype = "float16";
  RunOptions options;
  options.output_dir = root + "/out";
  options.data_dir = root + "/tiny/data";
  options.hub_cache_dir = root + "/no-hub-cache";
  RecordingSink sink;
  BINQ_ASSERT_OK_AND_ASSIGN(const RunResult result, RunJob(spec, options, sink));
  const nlohmann::json written = nlohmann::json::parse(ReadFileOrEmpty(result.output_dir + "/model/config.json"));
  EXPECT_EQ(written.at("dtype"), "float16");
  EXPECT_EQ(written.at("model_type"), "gemma3_text");
  const auto after = ReadCheckpoint(result.output_dir + "/model");
  ASSERT_FALSE(after.empty());
  for (const auto& [name, t] : after) EXPECT_EQ(t.scalar_type(), at::kHalf) << name;
  (void)RemoveTree(root);
}

}  // namespace
}  // namespace binq::core
