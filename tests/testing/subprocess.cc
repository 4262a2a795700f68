#include "tests/testing/subprocess.h"

#include <fcntl.h>
#include <signal.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <sstream>
#include <thread>

#include <gtest/gtest.h>

extern char** environ;

namespace binq::testing {
namespace {

std::string ReadAll(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream s;
  s << in.rdbuf();
  return s.str();
}

// environ with `changes` applied, as "NAME=value" strings.
std::vector<std::string> Environment(const std::map<std::string, std::optional<std::string>>& changes) {
  std::vector<std::string> env;
  for (char** e = environ; *e != nullptr; ++e) {
    const char* eq = std::strchr(*e, '=');
    const std::string name = eq == nullptr ? std::string(*e) : std::string(*e, static_cast<size_t>(eq - *e));
    if (changes.count(name) == 0) env.emplace_back(*e);
  }
  for (const auto& [name, value] : changes) {
    if (value.has_value()) env.push_back(name + "=" + *value);
  }
  return env;
}

}  // namespace

std::string MakeTempDir() {
  std::string pattern = ::testing::TempDir() + "binq-test-XXXXXX";
  const char* dir = ::mkdtemp(pattern.data());
  EXPECT_NE(dir, nullptr);
  return pattern;
}

Subprocess::Subprocess(const std::vector<std::string>& argv, const ProcessOptions& options) {
  const std::string dir = MakeTempDir();
  const std::string in_path = dir + "/stdin";
  out_path_ = dir + "/stdout";
  err_path_ = dir + "/stderr";
  {
    std::ofstream in(in_path, std::ios::binary);
    in << options.stdin_data;
  }
  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  posix_spawn_file_actions_addopen(&actions, 0, in_path.c_str(), O_RDONLY, 0);
  posix_spawn_file_actions_addopen(&actions, 1, out_path_.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
  posix_spawn_file_actions_addopen(&actions, 2, err_path_.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
  posix_spawnattr_t attr;
  posix_spawnattr_init(&attr);
  if (options.new_process_group) {
    posix_spawnattr_setflags(&attr, POSIX_SPAWN_SETPGROUP);
    posix_spawnattr_setpgroup(&attr, 0);
  }
  std::vector<char*> args;
  for (const std::string& a : argv) args.push_back(const_cast<char*>(a.c_str()));
  args.push_back(nullptr);
  std::vector<std::string> env_strings = Environment(options.env);
  std::vector<char*> env;
  for (std::string& e : env_strings) env.push_back(e.data());
  env.push_back(nullptr);
  const int rc = posix_spawn(&pid_, args[0], &actions, &attr, args.data(), env.data());
  posix_spawn_file_actions_destroy(&actions);
  posix_spawnattr_destroy(&attr);
  if (rc != 0) {
    ADD_FAILURE() << "posix_spawn " << argv[0] << " failed: " << std::strerror(rc);
    pid_ = -1;
    reaped_ = true;
    status_ = -1;
  }
}

Subprocess::~Subprocess() {
  if (!Exited()) {
    ::kill(pid_, SIGKILL);
    ::waitpid(pid_, &status_, 0);
  }
}

std::string Subprocess::Stdout() const { return ReadAll(out_path_); }
std::string Subprocess::Stderr() const { return ReadAll(err_path_); }

bool Subprocess::Exited() {
  if (reaped_) return true;
  if (::waitpid(pid_, &status_, WNOHANG) == pid_) reaped_ = true;
  return reaped_;
}

// Sleeps 10 ms; false once the process has exited.
bool Subprocess::WaitStep() {
  if (Exited()) return false;
  std::this_thread::sleep_for(std::chrono::milliseconds(10));
  return true;
}

ProcessResult Subprocess::Wait(int timeout_seconds) {
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(timeout_seconds);
  while (WaitStep()) {
    if (timeout_seconds > 0 && std::chrono::steady_clock::now() > deadline) {
      ADD_FAILURE() << "pid " << pid_ << " still running after " << timeout_seconds
                    << " s; killed. stderr so far:\n" << Stderr();
      ::kill(pid_, SIGKILL);
      ::waitpid(pid_, &status_, 0);
      reaped_ = true;
      status_ = -1;
      break;
    }
  }
  ProcessResult result;
  if (pid_ > 0 && status_ != -1 && WIFEXITED(status_)) result.exit_code = WEXITSTATUS(status_);
  result.out = Stdout();
  result.err = Stderr();
  return result;
}

ProcessResult RunProcess(const std::vector<std::string>& argv) { return RunProcess(argv, ProcessOptions{}); }

ProcessResult RunProcess(const std::vector<std::string>& argv, const std::string& stdin_data) {
  ProcessOptions options;
  options.stdin_data = stdin_data;
  return RunProcess(argv, options);
}

ProcessResult RunProcess(const std::vector<std::string>& argv, const ProcessOptions& options) {
  Subprocess process(argv, options);
  return process.Wait(options.timeout_seconds);
}

}  // namespace binq::testing
