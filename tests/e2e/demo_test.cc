// The README's main command, tools/dev/demo.sh, run as it is (its build step
// skipped: BINQ_SKIP_BUILD=1 with this build folder): binqd starts, a CRB job
// runs on the real worker and is watched to the end, its result printed, and
// the daemon stopped — also when the script is interrupted. The finished run
// uses the e2e tiny model (the demo's own assets/tiny-opt takes minutes on a
// CPU); the interrupted one uses the demo's defaults.
#include <signal.h>

#include <filesystem>
#include <regex>

#include "tests/e2e/e2e_fixture.h"

namespace binq::testing {
namespace {

using ::testing::ContainsRegex;
using ::testing::HasSubstr;
using ::testing::Not;

class DemoScriptTest : public E2eTest {
 protected:
  void SetUp() override {
    E2eTest::SetUp();
    demo_dir_ = root_ + "/demo";
    script_ = std::string(BINQ_SOURCE_DIR) + "/tools/dev/demo.sh";
  }

  ProcessOptions DemoOptions(bool tiny) const {
    ProcessOptions options;
    options.env = {{"BINQ_SKIP_BUILD", "1"}, {"BINQ_BUILD_DIR", BINQ_BINARY_DIR},
                   {"BINQ_DEMO_DIR", demo_dir_}};
    if (tiny) {
      options.env["BINQ_DEMO_MODEL"] = model_;
      options.env["BINQ_DEMO_DATA_DIR"] = tiny_ + "/data";
      options.env["BINQ_DEMO_SEQLEN"] = "64";
      options.env["BINQ_DEMO_NSAMPLES"] = "8";
    }
    options.timeout_seconds = 300;
    return options;
  }

  // The binqd the demo started (from its "(pid N" note) is gone.
  static bool DaemonGone(const std::string& out) {
    static const std::regex kPid("binqd listening on [0-9.:]+ \\(pid ([0-9]+)");
    std::smatch m;
    if (!std::regex_search(out, m, kPid)) {
      ADD_FAILURE() << "no binqd pid in:\n" << out;
      return false;
    }
    return IsZombie(static_cast<pid_t>(std::stol(m[1].str())));
  }

  std::string demo_dir_, script_;
};

TEST_F(DemoScriptTest, RunsAJobThroughTheDaemonAndStopsIt) {
  const ProcessResult r = RunProcess({"/bin/bash", script_}, DemoOptions(/*tiny=*/true));
  ASSERT_EQ(r.exit_code, 0) << r.out << r.err;
  EXPECT_THAT(r.out, HasSubstr("demo: binqd listening on 127.0.0.1:"));
  EXPECT_THAT(r.out, HasSubstr("self_attn.q_proj"));  // the live per-layer rows
  EXPECT_THAT(r.out, ContainsRegex("perplexity wikitext2 = [0-9]+\\.[0-9]+ \\("));
  EXPECT_THAT(r.out, ContainsRegex("perplexity ptb = [0-9]+\\.[0-9]+ \\("));
  EXPECT_THAT(r.out, HasSubstr("state SUCCEEDED"));
  EXPECT_THAT(r.out, HasSubstr("demo: binqctl result j-"));
  EXPECT_THAT(r.out, HasSubstr("state          SUCCEEDED"));  // binqctl result
  EXPECT_THAT(r.out, ContainsRegex("perplexity     ptb [0-9]+\\.[0-9]+, wikitext2 [0-9]+\\.[0-9]+"));
  EXPECT_THAT(r.out, HasSubstr("demo: stopping binqd"));
  EXPECT_TRUE(DaemonGone(r.out)) << r.out;
  EXPECT_FALSE(std::filesystem::exists(demo_dir_ + "/binqd.pid"));
  EXPECT_TRUE(std::filesystem::exists(demo_dir_ + "/state/binq.db"));

  // Safe to run twice: the same state dir, a second job, nothing left over.
  const ProcessResult again = RunProcess({"/bin/bash", script_}, DemoOptions(/*tiny=*/true));
  ASSERT_EQ(again.exit_code, 0) << again.out << again.err;
  EXPECT_THAT(again.out, HasSubstr("state SUCCEEDED"));
  EXPECT_THAT(again.out, Not(HasSubstr("left queued")));
  EXPECT_TRUE(DaemonGone(again.out)) << again.out;
}

// Interrupted mid-job (SIGINT to the script's process group, as Ctrl-C
// sends it): the trap cancels the job and stops the daemon.
TEST_F(DemoScriptTest, InterruptedCancelsTheJobAndStopsTheDaemon) {
  ProcessOptions options = DemoOptions(/*tiny=*/false);  // assets/tiny-opt: minutes of work
  options.new_process_group = true;
  Subprocess demo({"/bin/bash", script_}, options);
  ASSERT_TRUE(demo.WaitForStdout([](const std::string& out) {
    return out.find("[calibrating]") != std::string::npos;
  }, 120)) << demo.Stdout() << demo.Stderr();
  ASSERT_EQ(::kill(-demo.pid(), SIGINT), 0);
  const ProcessResult r = demo.Wait(60);
  EXPECT_EQ(r.exit_code, 130) << r.out << r.err;
  EXPECT_THAT(r.out, HasSubstr("demo: stopping binqd"));
  EXPECT_TRUE(DaemonGone(r.out)) << r.out;
  EXPECT_FALSE(std::filesystem::exists(demo_dir_ + "/binqd.pid"));

  // The job was cancelled, not left to be re-queued by the next run.
  auto d = DaemonProcess::Start(BINQD_PATH, {"--listen", "127.0.0.1:0", "--state-dir", demo_dir_ + "/state",
                                             "--gpus", "none", "--data-dir", tiny_ + "/data",
                                             "--worker-binary", BINQ_RUN_PATH});
  ASSERT_TRUE(d.ok()) << d.status();
  daemon_ = *std::move(d);
  const ProcessResult list = Ctl({"-o", "json", "list"});
  const auto jobs = JsonLines(list.out);
  ASSERT_EQ(jobs.size(), 1u) << list.out << list.err;
  EXPECT_EQ(jobs[0]["state"], "CANCELLED") << jobs[0].dump();
}

}  // namespace
}  // namespace binq::testing
