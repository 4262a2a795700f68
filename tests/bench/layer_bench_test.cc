// binq-bench-layer run as a user runs it, on a tiny layer: one table row per
// technique and backend with every stage column, ratio 1 for each
// technique's first backend; bad arguments exit 2 naming what was wrong.
#include <string>
#include <vector>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "absl/strings/match.h"
#include "absl/strings/str_split.h"
#include "tests/testing/subprocess.h"

namespace binq {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;
using testing::ProcessResult;
using testing::RunProcess;

const std::string kBench = BINQ_BENCH_LAYER_PATH;

ProcessResult Bench(std::vector<std::string> args) {
  std::vector<std::string> argv = {kBench, "--rows", "32", "--cols", "64", "--tokens", "64",
                                   "--threads", "1"};
  argv.insert(argv.end(), args.begin(), args.end());
  return RunProcess(argv);
}

// The table's rows as whitespace-separated fields, header lines dropped.
std::vector<std::vector<std::string>> Rows(const std::string& out) {
  std::vector<std::vector<std::string>> rows;
  for (absl::string_view line : absl::StrSplit(out, '\n', absl::SkipEmpty())) {
    if (absl::StartsWith(line, "layer ") || absl::StartsWith(line, "tech ")) continue;
    rows.push_back(absl::StrSplit(line, ' ', absl::SkipEmpty()));
  }
  return rows;
}

TEST(LayerBenchTest, PrintsOneRowPerTechniqueAndBackend) {
  const ProcessResult r = Bench({});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_THAT(r.out, HasSubstr("layer 32x64, 64 calibration rows, device cpu, 1 threads"));
  EXPECT_THAT(r.out, HasSubstr("hessian   factor   search  binarize   solver    total   ratio"));
  const auto rows = Rows(r.out);
  ASSERT_EQ(rows.size(), 6u) << r.out;
  std::vector<std::string> names;
  for (size_t i = 0; i < rows.size(); ++i) {
    ASSERT_EQ(rows[i].size(), 9u) << r.out;
    names.push_back(rows[i][0] + "/" + rows[i][1]);
    // The first backend of each technique is its baseline.
    if (i % 2 == 0) EXPECT_EQ(rows[i][8], "1.00") << r.out;
    for (size_t col = 2; col < 9; ++col) EXPECT_GE(std::stod(rows[i][col]), 0.0) << r.out;
  }
  EXPECT_THAT(names, ElementsAre("braq/aten", "braq/kernels-cpu", "CRBOG/aten", "CRBOG/kernels-cpu",
                                 "CRB/aten", "CRB/kernels-cpu"));
}

TEST(LayerBenchTest, TechniquesAndBackendsAreSelectable) {
  const ProcessResult r = Bench({"--techniques", "crb", "--backends", "kernels"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  const auto rows = Rows(r.out);
  ASSERT_EQ(rows.size(), 1u) << r.out;
  EXPECT_EQ(rows[0][0], "CRB");  // the canonical spelling
  EXPECT_EQ(rows[0][1], "kernels-cpu");
}

TEST(LayerBenchTest, BadArgumentsExitTwoNamingThem) {
  ProcessResult r = Bench({"--techniques", "quaternary"});
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_THAT(r.err, HasSubstr("quaternary"));
  r = Bench({"--backends", "aten,nope"});
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_THAT(r.err, HasSubstr("backend: unknown 'nope'"));
  r = Bench({"--device", "tpu"});
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_THAT(r.err, HasSubstr("device: must be auto, cpu or cuda, got 'tpu'"));
}

// Runs the table on the GPU where there is one; elsewhere the error must say
// why no CUDA device can be used (no assertion on which case this machine is).
TEST(LayerBenchTest, CudaRunsOrSaysWhyNot) {
  const ProcessResult r = Bench({"--device", "cuda", "--techniques", "braq"});
  if (r.exit_code == 0) {
    EXPECT_THAT(r.out, HasSubstr("device cuda"));
    EXPECT_EQ(Rows(r.out).size(), 2u) << r.out;
  } else {
    EXPECT_EQ(r.exit_code, 2) << r.err;
    EXPECT_THAT(r.err, HasSubstr("device: cuda was asked for but no CUDA device is visible"));
  }
}

}  // namespace
}  // namespace binq
