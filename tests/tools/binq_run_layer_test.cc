// `binq-run layer` as a user runs it: the real binary in a subprocess, real
// safetensors files, and every bad input named in its error message.
#include <fstream>
#include <limits>

#include <ATen/ATen.h>
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "core/io/safetensors.h"
#include "core/torch/safetensors_torch.h"
#include "nlohmann/json.hpp"
#include "tests/testing/subprocess.h"

namespace binq {
namespace {

using ::testing::AllOf;
using ::testing::HasSubstr;
using testing::ProcessResult;
using testing::RunProcess;

const std::string kBinqRun = BINQ_RUN_PATH;
const std::string kGolden = std::string(BINQ_TEST_DATA_DIR) + "/golden/";

class BinqRunLayerTest : public ::testing::Test {
 protected:
  void SetUp() override { dir_ = testing::MakeTempDir(); }

  std::string Write(const std::string& name,
                    const std::vector<std::pair<std::string, at::Tensor>>& tensors) {
    const std::string path = dir_ + "/" + name;
    EXPECT_TRUE(core::WriteTensors(path, tensors, {}).ok());
    return path;
  }
  ProcessResult Layer(const std::string& input, const std::string& technique = "CRB") {
    return RunProcess({kBinqRun, "layer", "--input", input, "--technique", technique,
                       "--seqlen", "32"});
  }
  std::string dir_;
};

TEST_F(BinqRunLayerTest, ReproducesTheReferenceAndWritesFigures) {
  const std::string output = dir_ + "/out.safetensors";
  const ProcessResult r = RunProcess({kBinqRun, "layer", "--input", kGolden + "CRB_hessian_64x256.safetensors",
                                      "--technique", "crb", "--salient_metric", "hessian",
                                      "--blocksize", "128", "--percdamp", "0.01", "--seqlen", "32",
                                      "--output", output});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  const nlohmann::json summary = nlohmann::json::parse(r.out);
  EXPECT_EQ(summary["technique"], "CRB");
  EXPECT_EQ(summary["salient_per_block"], nlohmann::json::array({3, 3}));
  EXPECT_NEAR(summary["loss"].get<double>(), 240.682, 0.01);
  EXPECT_GT(summary["relative_output_error"].get<double>(), 0);
  EXPECT_NEAR(summary["wbits_paper"].get<double>(), 1.0 + 6.0 / 256, 1e-12);

  auto file = core::SafetensorsFile::Open(output);
  ASSERT_TRUE(file.ok()) << file.status();
  auto wq = core::ReadTensor(**file, "Wq");
  ASSERT_TRUE(wq.ok());
  EXPECT_EQ(wq->scalar_type(), at::kFloat);
  auto golden = core::SafetensorsFile::Open(kGolden + "CRB_hessian_64x256.safetensors");
  ASSERT_TRUE(golden.ok());
  const at::Tensor ref = *core::ReadTensor(**golden, "Wq");
  const at::Tensor w = *core::ReadTensor(**golden, "W");
  EXPECT_LE((*wq - ref).abs().max().item<double>(), 1e-5 * w.abs().max().item<double>());
  EXPECT_EQ((*file)->metadata().at("technique"), "CRB");
  EXPECT_THAT((*file)->metadata().at("loss"), HasSubstr("240."));
}

// ARB-LLM and HBLLM from W and X and the reference scripts' own flags
// (issue #9): each golden case within 1e-5·max|W|.
TEST_F(BinqRunLayerTest, ReproducesArbAndHbllmCasesFromTheirFlags) {
  const std::vector<std::pair<std::string, std::vector<std::string>>> cases = {
      {"arb-x_cgb_hessian_64x256", {"--technique", "arb-x", "--order2_group"}},
      {"arb-rc_cgb_hessian_64x256", {"--technique", "arb-rc", "--cgb"}},
      {"arb_hessian_64x256", {"--technique", "arb", "--salient_metric", "hessian"}},
      {"arb-x_cgb_magnitude_64x256",
       {"--technique", "arb-x", "--order2_group", "--salient_metric", "magnitude"}},
      {"hbllm-row_l2_sharemean_64x256",
       {"--technique", "row-hbraq", "--salient_metric", "l2", "--group_partition", "row",
        "--share_mean"}},
      {"hbllm-col_l2_global_64x256", {"--technique", "col-hbraq", "--group_partition", "global"}},
      {"hbllm-row_l1_128x384", {"--technique", "row-hbraq", "--salient_metric", "l1"}},
  };
  for (const auto& [name, flags] : cases) {
    const std::string input = kGolden + name + ".safetensors";
    const std::string output = dir_ + "/" + name + ".out.safetensors";
    std::vector<std::string> argv = {kBinqRun, "layer", "--input", input, "--seqlen", "32",
                                     "--output", output};
    argv.insert(argv.end(), flags.begin(), flags.end());
    const ProcessResult r = RunProcess(argv);
    ASSERT_EQ(r.exit_code, 0) << name << ": " << r.err;
    auto file = core::SafetensorsFile::Open(output);
    ASSERT_TRUE(file.ok()) << file.status();
    auto golden = core::SafetensorsFile::Open(input);
    ASSERT_TRUE(golden.ok());
    const at::Tensor w = *core::ReadTensor(**golden, "W");
    const double max_diff =
        (*core::ReadTensor(**file, "Wq") - *core::ReadTensor(**golden, "Wq")).abs().max().item<double>();
    EXPECT_LE(max_diff, 1e-5 * w.abs().max().item<double>()) << name;
  }
}

TEST_F(BinqRunLayerTest, HbllmAndArbOptionRangesAreNamed) {
  const ProcessResult metric = RunProcess({kBinqRun, "layer", "--input", kGolden + "hbllm-row_l2_64x256.safetensors",
                                           "--technique", "row-hbraq", "--salient_metric", "hessian"});
  EXPECT_EQ(metric.exit_code, 2);
  EXPECT_THAT(metric.err, HasSubstr("salient_metric"));
  EXPECT_THAT(metric.err, HasSubstr("l2"));
  const ProcessResult partition = RunProcess({kBinqRun, "layer", "--input", kGolden + "hbllm-row_l2_64x256.safetensors",
                                              "--technique", "col-hbraq", "--group_partition", "column"});
  EXPECT_EQ(partition.exit_code, 2);
  EXPECT_THAT(partition.err, HasSubstr("group_partition"));
  const ProcessResult foreign = RunProcess({kBinqRun, "layer", "--input", kGolden + "arb_hessian_64x256.safetensors",
                                            "--technique", "arb", "--share_mean"});
  EXPECT_EQ(foreign.exit_code, 2);
  EXPECT_THAT(foreign.err, HasSubstr("share_mean: not an option of arb"));
}

TEST_F(BinqRunLayerTest, AcceptsHalfAndBfloat16Inputs) {
  at::manual_seed(3);
  const at::Tensor w = at::randn({16, 128}) * 0.02;
  const at::Tensor x = at::randn({256, 128});
  for (const auto dtype : {at::kHalf, at::kBFloat16}) {
    const std::string in = Write("half.safetensors", {{"W", w.to(dtype)}, {"X", x.to(dtype)}});
    const ProcessResult r = Layer(in, "braq");
    EXPECT_EQ(r.exit_code, 0) << r.err;
  }
}

TEST_F(BinqRunLayerTest, MissingTensorIsNamed) {
  const ProcessResult r = Layer(Write("no_x.safetensors", {{"W", at::randn({4, 128})}}));
  EXPECT_EQ(r.exit_code, 3);
  EXPECT_THAT(r.err, HasSubstr("missing tensor 'X'"));
}

TEST_F(BinqRunLayerTest, WrongRankIsNamed) {
  const ProcessResult r =
      Layer(Write("rank.safetensors", {{"W", at::randn({4, 128, 2})}, {"X", at::randn({8, 128})}}));
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_THAT(r.err, HasSubstr("'W' must be [rows, cols], got rank 3"));
}

TEST_F(BinqRunLayerTest, MismatchedColumnsAreNamed) {
  const ProcessResult r =
      Layer(Write("cols.safetensors", {{"W", at::randn({4, 128})}, {"X", at::randn({8, 64})}}));
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_THAT(r.err, HasSubstr("X has 64 columns but W has 128"));
}

TEST_F(BinqRunLayerTest, NonFiniteValuesAreRejected) {
  at::Tensor w = at::randn({4, 128});
  w[1][7] = std::numeric_limits<float>::infinity();
  const ProcessResult r = Layer(Write("nan.safetensors", {{"W", w}, {"X", at::randn({8, 128})}}));
  EXPECT_EQ(r.exit_code, 4);
  EXPECT_THAT(r.err, HasSubstr("'W' has 1 non-finite"));
  at::Tensor x = at::randn({8, 128});
  x[0][0] = std::numeric_limits<float>::quiet_NaN();
  const ProcessResult rx = Layer(Write("nanx.safetensors", {{"W", at::randn({4, 128})}, {"X", x}}));
  EXPECT_EQ(rx.exit_code, 4);
  EXPECT_THAT(rx.err, HasSubstr("'X' has 1 non-finite"));
}

TEST_F(BinqRunLayerTest, IntegerTensorIsRejected) {
  const ProcessResult r = Layer(Write("int.safetensors", {{"W", at::ones({4, 128}, at::kInt)},
                                                          {"X", at::randn({8, 128})}}));
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_THAT(r.err, HasSubstr("'W' must be F32, F16 or BF16"));
}

TEST_F(BinqRunLayerTest, TruncatedFileIsDataLoss) {
  const std::string good = Write("good.safetensors", {{"W", at::randn({4, 128})}, {"X", at::randn({8, 128})}});
  std::ifstream in(good, std::ios::binary);
  std::string bytes((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  const std::string cut = dir_ + "/cut.safetensors";
  std::ofstream(cut, std::ios::binary) << bytes.substr(0, bytes.size() - 100);
  const ProcessResult r = Layer(cut);
  EXPECT_EQ(r.exit_code, 4);
  EXPECT_THAT(r.err, HasSubstr("truncated"));
  EXPECT_THAT(r.err, HasSubstr("cut.safetensors"));
}

TEST_F(BinqRunLayerTest, NonSafetensorsFileIsDataLoss) {
  const std::string path = dir_ + "/notes.txt";
  std::ofstream(path) << "these are not tensors, just a text file that is long enough";
  const ProcessResult r = Layer(path);
  EXPECT_EQ(r.exit_code, 4);
  EXPECT_THAT(r.err, HasSubstr("not a valid safetensors file"));
}

TEST_F(BinqRunLayerTest, UnknownTechniqueListsTheKnownOnes) {
  const ProcessResult r = Layer(kGolden + "braq_hessian_64x256.safetensors", "billm2");
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_THAT(r.err, AllOf(HasSubstr("unknown 'billm2' (known: "), HasSubstr("braq, "),
                           HasSubstr("CRB, CRBOG, "), HasSubstr("gptq"), HasSubstr("col-hbraq")));
}

TEST_F(BinqRunLayerTest, MissingFileAndBadFlagsAreReported) {
  const ProcessResult missing = Layer(dir_ + "/nope.safetensors");
  EXPECT_EQ(missing.exit_code, 3);
  EXPECT_THAT(missing.err, HasSubstr("nope.safetensors: cannot open: No such file"));
  const ProcessResult block = RunProcess({kBinqRun, "layer", "--input", kGolden + "braq_hessian_64x256.safetensors",
                                          "--technique", "braq", "--blocksize", "0"});
  EXPECT_EQ(block.exit_code, 2);
  EXPECT_THAT(block.err, HasSubstr("blocksize"));
  const ProcessResult metric = RunProcess({kBinqRun, "layer", "--input", kGolden + "braq_hessian_64x256.safetensors",
                                           "--technique", "braq", "--salient_metric", "l2"});
  EXPECT_EQ(metric.exit_code, 2);
  EXPECT_THAT(metric.err, HasSubstr("salient_metric: must be hessian or magnitude, got 'l2'"));
  const ProcessResult corr = RunProcess({kBinqRun, "layer", "--input", kGolden + "CRB_hessian_64x256.safetensors",
                                         "--technique", "CRB", "--corr-damp", "2"});
  EXPECT_EQ(corr.exit_code, 2);
  EXPECT_THAT(corr.err, HasSubstr("corr_damp: must be in [0, 1), got 2"));
  const ProcessResult foreign = RunProcess({kBinqRun, "layer", "--input", kGolden + "braq_hessian_64x256.safetensors",
                                            "--technique", "braq", "--lam", "1e-5"});
  EXPECT_EQ(foreign.exit_code, 2);
  EXPECT_THAT(foreign.err, HasSubstr("lam: not an option of braq"));
}

TEST_F(BinqRunLayerTest, SummaryRecordsTheResolvedOptions) {
  const ProcessResult r = RunProcess({kBinqRun, "layer", "--input", kGolden + "CRB_hessian_64x256.safetensors",
                                      "--technique", "crb", "--seqlen", "32", "--corr_damp", "0.3",
                                      "--crb-variant", "paper2025"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  const nlohmann::json summary = nlohmann::json::parse(r.out);
  EXPECT_EQ(summary["corr_damp"], 0.3);
  EXPECT_EQ(summary["crb_variant"], "paper2025");
  EXPECT_EQ(summary["lam"], 1e-5);  // the default
  EXPECT_EQ(summary["blocksize"], 128);
}

TEST_F(BinqRunLayerTest, NoneAndItsOldNameFp16AreTheIdentity) {
  const std::string output = dir_ + "/same.safetensors";
  const ProcessResult r = RunProcess({kBinqRun, "layer", "--input", kGolden + "braq_hessian_64x256.safetensors",
                                      "--technique", "fp16", "--seqlen", "32", "--output", output});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(nlohmann::json::parse(r.out)["technique"], "none");
  auto file = core::SafetensorsFile::Open(output);
  ASSERT_TRUE(file.ok()) << file.status();
  auto golden = core::SafetensorsFile::Open(kGolden + "braq_hessian_64x256.safetensors");
  ASSERT_TRUE(golden.ok()) << golden.status();
  EXPECT_TRUE(at::equal(*core::ReadTensor(**file, "Wq"), core::ReadTensor(**golden, "W")->to(at::kFloat)));
}

TEST_F(BinqRunLayerTest, CompareAndMakeLayerRunEndToEnd) {
  const std::string layer = dir_ + "/made.safetensors";
  const ProcessResult made = RunProcess({kBinqRun, "make-layer", "--output", layer, "--rows", "32",
                                         "--cols", "256", "--seed", "5"});
  ASSERT_EQ(made.exit_code, 0) << made.err;
  const ProcessResult table = RunProcess({kBinqRun, "compare", "--input", layer, "--seqlen", "32",
                                          "--techniques", "braq,CRBOG,CRB,sign"});
  ASSERT_EQ(table.exit_code, 0) << table.err;
  EXPECT_THAT(table.out, HasSubstr("CRBOG"));
  const ProcessResult json = RunProcess({kBinqRun, "compare", "--input", layer, "--seqlen", "32",
                                         "--techniques", "braq,sign", "--json"});
  ASSERT_EQ(json.exit_code, 0) << json.err;
  std::istringstream lines(json.out);
  std::string braq_line, sign_line;
  std::getline(lines, braq_line);
  std::getline(lines, sign_line);
  const double braq_err = nlohmann::json::parse(braq_line)["relative_output_error"];
  const double sign_err = nlohmann::json::parse(sign_line)["relative_output_error"];
  EXPECT_LT(braq_err, sign_err);  // Hessian-aware residual binarization beats plain sign

  // Each technique takes the given options its row has: --lam reaches CRB only.
  const ProcessResult mixed = RunProcess({kBinqRun, "compare", "--input", layer, "--seqlen", "32",
                                          "--techniques", "braq,CRB", "--lam", "1e-3", "--json"});
  ASSERT_EQ(mixed.exit_code, 0) << mixed.err;
  std::istringstream mixed_lines(mixed.out);
  std::getline(mixed_lines, braq_line);
  std::string crb_line;
  std::getline(mixed_lines, crb_line);
  EXPECT_FALSE(nlohmann::json::parse(braq_line).contains("lam"));
  EXPECT_EQ(nlohmann::json::parse(crb_line)["lam"], 1e-3);
  const ProcessResult nobody = RunProcess({kBinqRun, "compare", "--input", layer, "--seqlen", "32",
                                           "--techniques", "braq,CRB", "--wbits", "3"});
  EXPECT_EQ(nobody.exit_code, 2);
  EXPECT_THAT(nobody.err, HasSubstr("wbits: not an option of any of braq, CRB"));
}

}  // namespace
}  // namespace binq

namespace binq {
namespace {

// The golden case's W, Wq and the reference's loss.
struct Reference {
  at::Tensor w, wq;
  double loss = 0;
};
Reference ReadReference(const std::string& file) {
  auto golden = core::SafetensorsFile::Open(kGolden + file);
  EXPECT_TRUE(golden.ok()) << golden.status();
  Reference ref{*core::ReadTensor(**golden, "W"), *core::ReadTensor(**golden, "Wq")};
  if ((*golden)->Has("loss")) ref.loss = core::ReadTensor(**golden, "loss")->item<double>();
  return ref;
}

double MaxDiffOfOutput(const std::string& output, const Reference& ref) {
  auto file = core::SafetensorsFile::Open(output);
  EXPECT_TRUE(file.ok()) << file.status();
  if (!file.ok()) return std::numeric_limits<double>::infinity();
  return (*core::ReadTensor(**file, "Wq") - ref.wq).abs().max().item<double>();
}

TEST_F(BinqRunLayerTest, GptqFlagsAsTheReferenceSpellsThemReproduceTheGoldenCases) {
  struct Case {
    std::string file;
    std::vector<std::string> flags;
  };
  for (const Case& c :
       {Case{"gptq_w3g128_sym_act_64x256.safetensors", {"--wbits", "3", "--groupsize", "128", "--sym", "--act-order"}},
        Case{"gptq_w4g128_64x256.safetensors", {"--wbits", "4", "--groupsize", "128"}},
        Case{"gptq_w4_act_128x384.safetensors", {"--wbits", "4", "--act-order"}}}) {
    SCOPED_TRACE(c.file);
    const std::string output = dir_ + "/gptq.safetensors";
    std::vector<std::string> args = {kBinqRun, "layer", "--input", kGolden + c.file, "--technique", "gptq",
                                     "--seqlen", "32", "--output", output};
    args.insert(args.end(), c.flags.begin(), c.flags.end());
    const ProcessResult r = RunProcess(args);
    ASSERT_EQ(r.exit_code, 0) << r.err;
    const Reference ref = ReadReference(c.file);
    EXPECT_LE(MaxDiffOfOutput(output, ref), 1e-5 * ref.w.abs().max().item<double>());
    const nlohmann::json summary = nlohmann::json::parse(r.out);
    EXPECT_NEAR(summary["loss"].get<double>(), ref.loss, 1e-4 * ref.loss);
    EXPECT_EQ(summary["wbits"], std::stoi(c.flags[1]));
  }
}

TEST_F(BinqRunLayerTest, PbllmRunsUnderItsSmartBinarizationAliases) {
  struct Case {
    std::string file, technique;
  };
  for (const Case& c : {Case{"pbllm-xnor_hessian_lf0.9_64x256.safetensors", "xnor"},
                        Case{"pbllm-2bit_hessian_lf0.9_64x256.safetensors", "2bit"},
                        Case{"pbllm-sign_hessian_lf0.9_64x256.safetensors", "pbllm-sign"}}) {
    SCOPED_TRACE(c.technique);
    const std::string output = dir_ + "/pbllm.safetensors";
    const ProcessResult r = RunProcess({kBinqRun, "layer", "--input", kGolden + c.file, "--technique",
                                        c.technique, "--low_frac", "0.9", "--high_bit", "8",
                                        "--salient_metric", "hessian", "--seqlen", "32", "--output", output});
    ASSERT_EQ(r.exit_code, 0) << r.err;
    const Reference ref = ReadReference(c.file);
    EXPECT_LE(MaxDiffOfOutput(output, ref), 1e-5 * ref.w.abs().max().item<double>());
    EXPECT_NEAR(nlohmann::json::parse(r.out)["loss"].get<double>(), ref.loss, 1e-4 * ref.loss);
  }
}

TEST_F(BinqRunLayerTest, RtnNeedsNoInputsAndReproducesTheReference) {
  const std::string output = dir_ + "/rtn.safetensors";
  const ProcessResult r = RunProcess({kBinqRun, "layer", "--input", kGolden + "rtn_w3_sym_64x256.safetensors",
                                      "--technique", "rtn", "--wbits", "3", "--sym", "--output", output});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(MaxDiffOfOutput(output, ReadReference("rtn_w3_sym_64x256.safetensors")), 0);
}

TEST_F(BinqRunLayerTest, GptqAndPbllmRangesAreNamed) {
  const std::string in = kGolden + "gptq_w4g128_64x256.safetensors";
  const ProcessResult bits = RunProcess({kBinqRun, "layer", "--input", in, "--technique", "gptq", "--wbits", "5"});
  EXPECT_EQ(bits.exit_code, 2);
  EXPECT_THAT(bits.err, HasSubstr("wbits: must be one of 2, 3, 4 or 8, got 5"));
  const ProcessResult group =
      RunProcess({kBinqRun, "layer", "--input", in, "--technique", "gptq", "--groupsize", "0"});
  EXPECT_EQ(group.exit_code, 2);
  EXPECT_THAT(group.err, HasSubstr("groupsize: must be ≥ -1, not 0, got 0"));
  const ProcessResult frac =
      RunProcess({kBinqRun, "layer", "--input", in, "--technique", "xnor", "--low_frac", "1.5"});
  EXPECT_EQ(frac.exit_code, 2);
  EXPECT_THAT(frac.err, HasSubstr("low_frac: must be in [0, 1], got 1.5"));
}

}  // namespace
}  // namespace binq
