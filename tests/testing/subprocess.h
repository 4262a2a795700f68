// Runs a program (no shell) and captures its exit code, stdout and stderr.
// For CLI tests of the real binaries: RunProcess waits for the exit;
// Subprocess runs one in the background so a test can act while it runs
// (kill a daemon under a watching client) and read its output so far.
#ifndef BINQ_TESTS_TESTING_SUBPROCESS_H_
#define BINQ_TESTS_TESTING_SUBPROCESS_H_

#include <sys/types.h>

#include <map>
#include <optional>
#include <string>
#include <vector>

namespace binq::testing {

struct ProcessResult {
  int exit_code = -1;  // -1: did not exit normally (signal, or killed at the timeout)
  std::string out;
  std::string err;
};

struct ProcessOptions {
  std::string stdin_data;  // stdin is empty (/dev/null-like) unless given
  // Changes to the inherited environment: a value sets the variable,
  // std::nullopt removes it.
  std::map<std::string, std::optional<std::string>> env;
  // Killed (SIGKILL, exit_code -1) when it runs longer; 0: no limit.
  int timeout_seconds = 0;
  // Its own process group (pgid = its pid), so a test can signal it and its
  // children as a terminal would (kill(-pid, SIGINT)).
  bool new_process_group = false;
};

// argv[0] is the program path. Output is collected through temp files.
ProcessResult RunProcess(const std::vector<std::string>& argv);
ProcessResult RunProcess(const std::vector<std::string>& argv, const std::string& stdin_data);
ProcessResult RunProcess(const std::vector<std::string>& argv, const ProcessOptions& options);

// A program running in the background, its stdout and stderr going to temp
// files. Killed (SIGKILL) and reaped when destroyed if still running. Not
// thread-safe.
class Subprocess {
 public:
  // Fails the test (ADD_FAILURE) and returns a handle whose Wait() gives
  // exit_code -1 when the program cannot be started. `timeout_seconds` is
  // not used here: pass a limit to Wait.
  Subprocess(const std::vector<std::string>& argv, const ProcessOptions& options = {});
  ~Subprocess();
  Subprocess(const Subprocess&) = delete;
  Subprocess& operator=(const Subprocess&) = delete;

  pid_t pid() const { return pid_; }
  // What it wrote so far.
  std::string Stdout() const;
  std::string Stderr() const;
  // Waits for the exit; after `timeout_seconds` (> 0) kills it with SIGKILL
  // (exit_code -1). Returns the exit code and the whole output.
  ProcessResult Wait(int timeout_seconds = 0);
  // Polls until `done(Stdout())` is true or `timeout_seconds` passed (or the
  // program exited); returns whether `done` became true.
  template <typename Pred>
  bool WaitForStdout(Pred done, int timeout_seconds = 30);

 private:
  bool Exited();  // reaps it when it has exited
  bool WaitStep();
  pid_t pid_ = -1;
  bool reaped_ = false;
  int status_ = 0;
  std::string out_path_, err_path_;
};

template <typename Pred>
bool Subprocess::WaitForStdout(Pred done, int timeout_seconds) {
  for (int i = 0; i < timeout_seconds * 100; ++i) {
    if (done(Stdout())) return true;
    if (!WaitStep()) return done(Stdout());
  }
  return done(Stdout());
}

// A fresh directory under the test's temp dir.
std::string MakeTempDir();

}  // namespace binq::testing

#endif  // BINQ_TESTS_TESTING_SUBPROCESS_H_
