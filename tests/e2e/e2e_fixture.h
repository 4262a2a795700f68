// The e2e tests' fixture: binqctl → binqd → the real `binq-run --worker` on a
// tiny random OPT generated at test time (`binq-run make-tiny`) into the
// test's temp dir, on binqd's CPU slot. Builds on the binqctl fixture (the
// real binqd on 127.0.0.1:0, binqctl as a subprocess), swapping the fake
// worker and its data root for the real ones.
#ifndef BINQ_TESTS_E2E_E2E_FIXTURE_H_
#define BINQ_TESTS_E2E_E2E_FIXTURE_H_

#include <dirent.h>

#include <string>
#include <vector>

#include "tests/client/binqctl_fixture.h"

namespace binq::testing {

class E2eTest : public BinqctlTest {
 protected:
  void SetUp() override {
    BinqctlTest::SetUp();
    tiny_ = root_ + "/tiny";
    ProcessOptions options;
    options.timeout_seconds = 120;
    const ProcessResult made = RunProcess({BINQ_RUN_PATH, "make-tiny", tiny_}, options);
    ASSERT_EQ(made.exit_code, 0) << made.out << made.err;
    model_ = tiny_ + "/model";
    // A shorter WikiText-2 test split (the first ~6 KB, whole lines): the
    // tiny model's head spans GPT-2's 50k vocabulary, so every evaluation
    // window costs more than its two blocks; 22 windows of 64 tokens keep a
    // job to seconds.
    const std::string test_split = tiny_ + "/data/wikitext-2-raw/wiki.test.raw";
    const std::string text = ReadFileOrEmpty(test_split);
    ASSERT_GT(text.size(), 6000u) << test_split;
    Write(test_split, text.substr(0, text.rfind('\n', 6000) + 1));
  }

  // binqd with the real worker on one CPU slot.
  void StartRealDaemon(std::vector<std::string> extra = {}) {
    std::vector<std::string> args = {"--worker-binary", BINQ_RUN_PATH, "--data-dir", tiny_ + "/data",
                                     "--cancel-grace", "10s", "--heartbeat-interval", "1s"};
    args.insert(args.end(), extra.begin(), extra.end());
    StartDaemon(args);
  }

  // `binqctl submit` of a CRB job on the tiny model, small enough to take a
  // few seconds (float32: LibTorch's fp16 matrix products on a CPU are
  // several times slower); returns the job id. `flags` (flag, value pairs)
  // replace or add to the defaults.
  std::string SubmitTiny(const std::vector<std::string>& flags = {}) {
    std::vector<std::string> settings = {"--technique", "CRB", "--seqlen", "64", "--nsamples", "8",
                                         "--dtype", "float32"};
    for (size_t i = 0; i + 1 < flags.size(); i += 2) {
      bool replaced = false;
      for (size_t j = 0; j + 1 < settings.size(); j += 2) {
        if (settings[j] == flags[i]) {
          settings[j + 1] = flags[i + 1];
          replaced = true;
        }
      }
      if (!replaced) settings.insert(settings.end(), {flags[i], flags[i + 1]});
    }
    std::vector<std::string> args = {"--output", "json", "submit", "--model", model_};
    args.insert(args.end(), settings.begin(), settings.end());
    const ProcessResult r = Ctl(args);
    EXPECT_EQ(r.exit_code, 0) << r.err;
    const auto lines = JsonLines(r.out);
    if (lines.size() != 1 || !lines[0].contains("id")) {
      ADD_FAILURE() << "submit printed: " << r.out << r.err;
      return "";
    }
    return lines[0]["id"].get<std::string>();
  }

  // Live processes whose argv is a worker's for `job_id` (and `attempt`, when > 0).
  static std::vector<pid_t> WorkerPids(const std::string& job_id, int attempt = 0) {
    std::vector<pid_t> pids;
    DIR* proc = ::opendir("/proc");
    if (proc == nullptr) return pids;
    while (dirent* d = ::readdir(proc)) {
      const pid_t pid = static_cast<pid_t>(std::atoi(d->d_name));
      if (pid <= 0) continue;
      const std::string cmdline = ReadFileOrEmpty(absl::StrCat("/proc/", pid, "/cmdline"));
      std::vector<std::string> argv = absl::StrSplit(cmdline, '\0');
      auto has = [&](const std::string& flag, const std::string& value) {
        for (size_t i = 0; i + 1 < argv.size(); ++i) {
          if (argv[i] == flag && argv[i + 1] == value) return true;
        }
        return false;
      };
      if (!has("--job-id", job_id)) continue;
      if (attempt > 0 && !has("--attempt", absl::StrCat(attempt))) continue;
      if (IsZombie(pid)) continue;
      pids.push_back(pid);
    }
    ::closedir(proc);
    return pids;
  }

  // Exited but not yet reaped (or gone altogether).
  static bool IsZombie(pid_t pid) {
    const std::string stat = ReadFileOrEmpty(absl::StrCat("/proc/", pid, "/stat"));
    const size_t paren = stat.rfind(')');
    return stat.empty() || (paren != std::string::npos && stat.size() > paren + 2 && stat[paren + 2] == 'Z');
  }

  // Waits until no worker of `job_id` is left.
  static bool WorkersGone(const std::string& job_id, absl::Duration timeout = absl::Seconds(30)) {
    const absl::Time deadline = absl::Now() + timeout;
    while (!WorkerPids(job_id).empty()) {
      if (absl::Now() > deadline) return false;
      absl::SleepFor(absl::Milliseconds(50));
    }
    return true;
  }

  static bool Exists(const std::string& path) {
    std::error_code ec;
    return std::filesystem::exists(path, ec);
  }

  std::string tiny_, model_;
};

}  // namespace binq::testing

#endif  // BINQ_TESTS_E2E_E2E_FIXTURE_H_
