// `binq-run MODEL DATASET TECHNIQUE [flags]` as a user runs it: the real
// binary in a subprocess on a tiny random OPT that `binq-run make-tiny`
// writes into each test's temp folder; the reference scripts' command line,
// --json-events, exit codes and messages, and SIGINT.
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "absl/strings/match.h"
#include "absl/strings/str_split.h"
#include "core/base/path_util.h"
#include "core/base/technique_catalog.h"
#include "core/io/posix_file.h"
#include "nlohmann/json.hpp"
#include "tests/testing/files.h"
#include "tests/testing/subprocess.h"

extern char** environ;

namespace binq {
namespace {

using ::binq::testing::PathExists;
using ::binq::testing::ReadFileOrEmpty;

using ::testing::AllOf;
using ::testing::HasSubstr;
using testing::ProcessResult;
using testing::RunProcess;
using Json = nlohmann::json;

const std::string kBinqRun = BINQ_RUN_PATH;

// Keeps the first whole lines of `path` that make at least `bytes` bytes.
void KeepFirstLines(const std::string& path, size_t bytes) {
  const std::string text = ReadFileOrEmpty(path);
  ASSERT_GT(text.size(), bytes) << path;
  std::ofstream(path, std::ios::binary | std::ios::trunc) << text.substr(0, text.find('\n', bytes) + 1);
}

// A running binq-run whose stdout is read line by line as it comes (stderr
// goes to a file), so a test can act on an event while the job runs.
class StreamingProcess {
 public:
  StreamingProcess(const std::vector<std::string>& argv, const std::string& stderr_path) {
    int fds[2];
    if (::pipe(fds) != 0) return;
    posix_spawn_file_actions_t actions;
    posix_spawn_file_actions_init(&actions);
    posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0);
    posix_spawn_file_actions_adddup2(&actions, fds[1], 1);
    posix_spawn_file_actions_addopen(&actions, 2, stderr_path.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
    posix_spawn_file_actions_addclose(&actions, fds[0]);
    posix_spawn_file_actions_addclose(&actions, fds[1]);
    // Default dispositions and no blocked signals, whatever the test runner
    // had (a background shell ignores SIGINT).
    posix_spawnattr_t attr;
    posix_spawnattr_init(&attr);
    sigset_t defaults, none;
    sigemptyset(&defaults);
    sigaddset(&defaults, SIGINT);
    sigaddset(&defaults, SIGTERM);
    sigemptyset(&none);
    posix_spawnattr_setsigdefault(&attr, &defaults);
    posix_spawnattr_setsigmask(&attr, &none);
    posix_spawnattr_setflags(&attr, POSIX_SPAWN_SETSIGDEF | POSIX_SPAWN_SETSIGMASK);
    std::vector<char*> args;
    for (const std::string& a : argv) args.push_back(const_cast<char*>(a.c_str()));
    args.push_back(nullptr);
    if (posix_spawn(&pid_, argv[0].c_str(), &actions, &attr, args.data(), environ) != 0) pid_ = -1;
    posix_spawn_file_actions_destroy(&actions);
    posix_spawnattr_destroy(&attr);
    ::close(fds[1]);
    out_ = fds[0];
  }
  ~StreamingProcess() {
    if (pid_ > 0 && !waited_) {
      ::kill(pid_, SIGKILL);
      (void)Wait();
    }
    if (out_ >= 0) ::close(out_);
  }

  bool started() const { return pid_ > 0; }
  // The next stdout line; false at the end of the output or after 120 s.
  bool ReadLine(std::string* line) {
    for (;;) {
      if (const size_t nl = buffer_.find('\n'); nl != std::string::npos) {
        *line = buffer_.substr(0, nl);
        buffer_.erase(0, nl + 1);
        return true;
      }
      pollfd p{out_, POLLIN, 0};
      if (::poll(&p, 1, 120000) <= 0) return false;
      char chunk[4096];
      const ssize_t n = ::read(out_, chunk, sizeof(chunk));
      if (n <= 0) return false;
      buffer_.append(chunk, static_cast<size_t>(n));
    }
  }
  void Signal(int sig) { ::kill(pid_, sig); }
  // Drains stdout and waits: the exit code, or -1 when killed by a signal.
  int Wait() {
    std::string ignored;
    while (ReadLine(&ignored)) {
    }
    int status = 0;
    ::waitpid(pid_, &status, 0);
    waited_ = true;
    return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  }

 private:
  pid_t pid_ = -1;
  int out_ = -1;
  bool waited_ = false;
  std::string buffer_;
};

class BinqRunRunTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = testing::MakeTempDir();
    const ProcessResult r = RunProcess({kBinqRun, "make-tiny", dir_ + "/tiny"});
    ASSERT_EQ(r.exit_code, 0) << r.err;
    model_ = dir_ + "/tiny/model";
    data_ = dir_ + "/tiny/data";
    // Evaluation costs most (a 50,272-entry vocabulary): about ten windows.
    KeepFirstLines(data_ + "/wikitext-2-raw/wiki.test.raw", 2500);
    KeepFirstLines(data_ + "/ptb/ptb.test.txt", 2500);
  }
  void TearDown() override {
    if (!HasFailure()) (void)core::RemoveTree(dir_);
  }
  // MODEL DATASET TECHNIQUE, small calibration, the test's data and output.
  ProcessResult Run(const std::string& model, const std::string& dataset, const std::string& technique,
                    std::vector<std::string> extra = {}) {
    // --threads 1: ctest -j runs these side by side on few cores.
    std::vector<std::string> argv = {kBinqRun, model, dataset, technique, "--seqlen", "64", "--nsamples", "8",
                                     "--data-dir", data_, "--out", dir_ + "/out", "--threads", "1"};
    argv.insert(argv.end(), extra.begin(), extra.end());
    return RunProcess(argv);
  }
  std::string dir_, model_, data_;
};

TEST_F(BinqRunRunTest, TakesTheReferenceScriptsCommandLine) {
  // As `python3 run.py MODEL DATASET TECHNIQUE --blocksize 128
  // --salient_metric hessian`, with the data root from BINQ_DATA_DIR.
  ASSERT_EQ(::setenv("BINQ_DATA_DIR", data_.c_str(), 1), 0);
  const std::string out = dir_ + "/run";
  const ProcessResult r = RunProcess({kBinqRun, model_, "wikitext2", "CRB", "--blocksize", "128",
                                      "--salient_metric", "hessian", "--seqlen", "64", "--nsamples", "8",
                                      "--out", out});
  ::unsetenv("BINQ_DATA_DIR");
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_THAT(r.out, HasSubstr("outputs in " + out));
  EXPECT_TRUE(IsRegularFile(out + "/model/model.safetensors"));
  EXPECT_TRUE(IsRegularFile(out + "/binq.safetensors"));
  EXPECT_TRUE(IsRegularFile(out + "/layers.csv"));
  const Json metrics = Json::parse(ReadFileOrEmpty(out + "/metrics.json"));
  EXPECT_EQ(metrics["spec"]["model"], model_);
  EXPECT_EQ(metrics["spec"]["dataset"], "wikitext2");
  EXPECT_EQ(metrics["spec"]["technique"], "CRB");
  // Every option of CRB's catalog row, as it ran (the given ones and the defaults).
  EXPECT_EQ(metrics["spec"]["technique_options"]["blocksize"], 128);
  EXPECT_EQ(metrics["spec"]["technique_options"]["salient_metric"], "hessian");
  EXPECT_EQ(metrics["spec"]["technique_options"]["corr_damp"], 0.1);
  EXPECT_EQ(metrics["spec"]["technique_options"]["lam"], 1e-5);
  EXPECT_EQ(metrics["layers"].size(), 12u);
  EXPECT_TRUE(metrics["perplexity"].contains("wikitext2"));
}

TEST_F(BinqRunRunTest, JsonEventsAreJsonLinesEndingWithTheSummary) {
  const ProcessResult r = Run(model_, "wikitext2", "crbog", {"--json-events", "--eval", "wikitext2,ptb"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  const std::vector<std::string> lines = absl::StrSplit(r.out, '\n', absl::SkipEmpty());
  ASSERT_GT(lines.size(), 20u);
  std::vector<Json> events;
  for (const std::string& line : lines) {
    Json j = Json::parse(line, nullptr, /*allow_exceptions=*/false);
    ASSERT_FALSE(j.is_discarded()) << "not JSON: " << line;
    ASSERT_TRUE(j.contains("type") && j.contains("time")) << line;
    events.push_back(std::move(j));
  }
  EXPECT_EQ(events.front()["type"], "stage");
  EXPECT_EQ(events.front()["stage"], "loading");
  const Json& summary = events.back();
  EXPECT_EQ(summary["type"], "summary");
  EXPECT_EQ(summary["technique"], "CRBOG");  // the technique in any case, reported canonically
  EXPECT_EQ(summary["layers"], 12);
  EXPECT_EQ(summary["output_dir"], dir_ + "/out");
  EXPECT_TRUE(summary["perplexity"].contains("wikitext2"));
  EXPECT_TRUE(summary["perplexity"].contains("ptb"));
  int layers = 0, perplexities = 0;
  for (const Json& e : events) {
    layers += e["type"] == "layer" ? 1 : 0;
    perplexities += e["type"] == "perplexity" ? 1 : 0;
    if (e["type"] == "layer") EXPECT_EQ(e["technique"], "CRBOG");
  }
  EXPECT_EQ(layers, 12);
  EXPECT_EQ(perplexities, 2);
}

TEST_F(BinqRunRunTest, MissingModelExits3NamingIt) {
  const ProcessResult local = Run(dir_ + "/no-such-model", "wikitext2", "CRB");
  EXPECT_EQ(local.exit_code, 3);
  EXPECT_THAT(local.err, HasSubstr(dir_ + "/no-such-model"));

  // A hub id: the message says which cache it looked in.
  const std::string cache = dir_ + "/hub";
  ASSERT_TRUE(core::MakeDirs(cache).ok());
  ASSERT_EQ(::setenv("HF_HUB_CACHE", cache.c_str(), 1), 0);
  const ProcessResult hub = Run("nobody/no-such-model", "wikitext2", "CRB");
  ::unsetenv("HF_HUB_CACHE");
  EXPECT_EQ(hub.exit_code, 3);
  EXPECT_THAT(hub.err, AllOf(HasSubstr("nobody/no-such-model"), HasSubstr(cache + "/models--nobody--no-such-model")));
  EXPECT_FALSE(PathExists(dir_ + "/out"));
}

TEST_F(BinqRunRunTest, UnknownTechniqueExits2ListingTheKnownOnes) {
  const ProcessResult r = Run(model_, "wikitext2", "CRB2");
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_THAT(r.err, AllOf(HasSubstr("technique"), HasSubstr("CRB2"), HasSubstr("braq"), HasSubstr("CRBOG"),
                           HasSubstr("sign"), HasSubstr("rtn"), HasSubstr("none")));
}

// The technique flags come from the catalog and are checked once, against
// TECHNIQUE's row, before anything is loaded.
TEST_F(BinqRunRunTest, TechniqueOptionsOutOfRangeOrForeignExit2NamingTheOption) {
  const ProcessResult range = Run(model_, "wikitext2", "CRB", {"--corr_damp", "2"});
  EXPECT_EQ(range.exit_code, 2);
  EXPECT_THAT(range.err, HasSubstr("corr_damp: must be in [0, 1), got 2"));
  const ProcessResult dashed = Run(model_, "wikitext2", "CRB", {"--corr-damp", "1"});
  EXPECT_EQ(dashed.exit_code, 2);
  EXPECT_THAT(dashed.err, HasSubstr("corr_damp: must be in [0, 1), got 1"));
  const ProcessResult foreign = Run(model_, "wikitext2", "braq", {"--wbits", "3"});
  EXPECT_EQ(foreign.exit_code, 2);
  EXPECT_THAT(foreign.err, HasSubstr("wbits: not an option of braq"));
  const ProcessResult type = Run(model_, "wikitext2", "CRB", {"--lam", "tiny"});
  EXPECT_EQ(type.exit_code, 2);
  EXPECT_THAT(type.err, HasSubstr("lam: must be a number, got 'tiny'"));
  EXPECT_FALSE(PathExists(dir_ + "/out"));
}

TEST_F(BinqRunRunTest, HelpListsTheCatalog) {
  const ProcessResult r = RunProcess({kBinqRun, "--help"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  for (const TechniqueEntry& e : TechniqueCatalog()) {
    EXPECT_THAT(r.out, HasSubstr(e.name)) << e.name;
    EXPECT_THAT(r.out, HasSubstr(e.help)) << e.name;
  }
  EXPECT_THAT(r.out, AllOf(HasSubstr("--corr_damp"), HasSubstr("--corr-damp"), HasSubstr("[0, 1)"),
                           HasSubstr("none (fp16)")));
}

TEST_F(BinqRunRunTest, OldFp16NameStillEvaluatesOnly) {
  const ProcessResult r = Run(model_, "wikitext2", "fp16", {"--json-events"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  const Json metrics = Json::parse(ReadFileOrEmpty(dir_ + "/out/metrics.json"));
  EXPECT_EQ(metrics["spec"]["technique"], "none");
  EXPECT_TRUE(metrics["spec"]["technique_options"].empty());
  EXPECT_FALSE(PathExists(dir_ + "/out/binq.safetensors"));
}

TEST_F(BinqRunRunTest, UnknownDatasetNameExits2) {
  const ProcessResult r = Run(model_, "wikitext3", "CRB");
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_THAT(r.err, AllOf(HasSubstr("unknown dataset 'wikitext3'"), HasSubstr("wikitext2"), HasSubstr("ptb")));
}

TEST_F(BinqRunRunTest, MissingDatasetFilesExit3NamingThePath) {
  const std::string empty = dir_ + "/empty-data";
  ASSERT_TRUE(core::MakeDirs(empty).ok());
  const ProcessResult r = RunProcess({kBinqRun, model_, "ptb", "CRB", "--seqlen", "64", "--nsamples", "8",
                                      "--data-dir", empty, "--out", dir_ + "/out"});
  EXPECT_EQ(r.exit_code, 3);
  EXPECT_THAT(r.err, AllOf(HasSubstr(empty + "/ptb/ptb.train.txt"), HasSubstr("BINQ_DATA_DIR")));
  EXPECT_FALSE(PathExists(dir_ + "/out"));
}

TEST_F(BinqRunRunTest, SeqlenBeyondTheModelExits2) {
  const ProcessResult r = RunProcess({kBinqRun, model_, "wikitext2", "CRB", "--seqlen", "4096", "--data-dir", data_,
                                      "--out", dir_ + "/out"});
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_THAT(r.err, AllOf(HasSubstr("seqlen"), HasSubstr("4096"), HasSubstr("128")));
  EXPECT_FALSE(PathExists(dir_ + "/out"));
}

TEST_F(BinqRunRunTest, OutIntoTheModelFolderExits2AndKeepsIt) {
  const std::string before = ReadFileOrEmpty(model_ + "/model.safetensors");
  const ProcessResult r = RunProcess({kBinqRun, model_, "wikitext2", "CRB", "--seqlen", "64", "--nsamples", "8",
                                      "--data-dir", data_, "--out", model_});
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_THAT(r.err, AllOf(HasSubstr("output directory " + model_), HasSubstr("metrics.json")));
  EXPECT_EQ(ReadFileOrEmpty(model_ + "/model.safetensors"), before);
}

TEST_F(BinqRunRunTest, SigintStopsTheRunWithExit8AndNoOutput) {
  // Eight blocks, so that the job is still quantizing when the signal lands.
  const ProcessResult made = RunProcess({kBinqRun, "make-tiny", dir_ + "/deep", "--blocks", "8"});
  ASSERT_EQ(made.exit_code, 0) << made.err;
  const std::string out = dir_ + "/interrupted";
  StreamingProcess run({kBinqRun, dir_ + "/deep/model", "wikitext2", "CRB", "--seqlen", "64", "--nsamples", "8",
                        "--data-dir", data_, "--out", out, "--json-events", "--threads", "1"},
                       dir_ + "/stderr");
  ASSERT_TRUE(run.started());
  std::string line;
  bool signalled = false;
  int layers = 0;
  while (run.ReadLine(&line)) {
    const Json e = Json::parse(line, nullptr, false);
    ASSERT_FALSE(e.is_discarded()) << line;
    EXPECT_NE(e["type"], "summary");
    if (e["type"] != "layer") continue;
    if (++layers == 1) {
      run.Signal(SIGINT);
      signalled = true;
    }
  }
  ASSERT_TRUE(signalled) << "no layer event";
  EXPECT_EQ(run.Wait(), 8);
  // It stops at the next step; how many layers it finished meanwhile depends
  // on how fast this process read them, but not all 48.
  EXPECT_LT(layers, 8 * 6) << "it quantized every layer";
  EXPECT_THAT(ReadFileOrEmpty(dir_ + "/stderr"), AllOf(HasSubstr("interrupted (SIGINT)"), HasSubstr("cancelled")));
  EXPECT_FALSE(PathExists(out));
  EXPECT_FALSE(PathExists(out + ".partial"));
  bool partial = false;
  for (const std::string& name : ListSubdirectories(dir_)) partial |= absl::StartsWith(name, "interrupted.");
  EXPECT_FALSE(partial) << "a staging folder was left behind";
}

}  // namespace
}  // namespace binq
