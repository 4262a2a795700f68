#include "server/executor/process.h"

#include <fcntl.h>
#include <signal.h>
#include <spawn.h>
#include <string.h>
#include <unistd.h>

#include <cerrno>

#include "absl/strings/str_cat.h"

namespace binq::server {
namespace {

// posix_spawn_* return an errno value instead of setting errno.
absl::Status SpawnError(int rc, absl::string_view what, absl::string_view program) {
  return absl::FailedPreconditionError(
      absl::StrCat("starting worker ", program, ": ", what, ": ", strerror(rc)));
}

}  // namespace

absl::StatusOr<pid_t> SpawnProcess(const SpawnRequest& request) {
  if (request.argv.empty()) return absl::InvalidArgumentError("starting worker: empty argv");
  const std::string& program = request.argv[0];
  if (::access(program.c_str(), X_OK) != 0) {
    return absl::FailedPreconditionError(absl::StrCat(
        "worker binary ", program, " cannot be run (", strerror(errno), "); set --worker-binary"));
  }

  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  posix_spawnattr_t attr;
  posix_spawnattr_init(&attr);
  struct Cleanup {
    posix_spawn_file_actions_t* a;
    posix_spawnattr_t* b;
    ~Cleanup() {
      posix_spawn_file_actions_destroy(a);
      posix_spawnattr_destroy(b);
    }
  } cleanup{&actions, &attr};

  int rc = posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0);
  if (rc == 0) {
    rc = posix_spawn_file_actions_addopen(&actions, 1, request.log_path.c_str(),
                                          O_WRONLY | O_CREAT | O_APPEND, 0644);
  }
  if (rc == 0) rc = posix_spawn_file_actions_adddup2(&actions, 1, 2);
  // Nothing of the daemon's (database, sockets, log files) leaks into workers.
  if (rc == 0) rc = posix_spawn_file_actions_addclosefrom_np(&actions, 3);
  if (rc != 0) return SpawnError(rc, "file actions", program);

  // The daemon blocks and handles signals itself; the worker starts clean.
  sigset_t empty;
  sigemptyset(&empty);
  sigset_t defaults;
  sigemptyset(&defaults);
  for (int sig : {SIGINT, SIGTERM, SIGHUP, SIGQUIT, SIGCHLD, SIGPIPE, SIGUSR1, SIGUSR2}) {
    sigaddset(&defaults, sig);
  }
  rc = posix_spawnattr_setflags(
      &attr, POSIX_SPAWN_SETPGROUP | POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF);
  if (rc == 0) rc = posix_spawnattr_setpgroup(&attr, 0);
  if (rc == 0) rc = posix_spawnattr_setsigmask(&attr, &empty);
  if (rc == 0) rc = posix_spawnattr_setsigdefault(&attr, &defaults);
  if (rc != 0) return SpawnError(rc, "attributes", program);

  std::vector<char*> argv;
  for (const std::string& a : request.argv) argv.push_back(const_cast<char*>(a.c_str()));
  argv.push_back(nullptr);
  std::vector<char*> envp;
  for (const std::string& e : request.env) envp.push_back(const_cast<char*>(e.c_str()));
  envp.push_back(nullptr);

  pid_t pid = 0;
  rc = posix_spawn(&pid, program.c_str(), &actions, &attr, argv.data(), envp.data());
  if (rc != 0) return SpawnError(rc, "posix_spawn", program);
  return pid;
}

absl::Status SignalProcessGroup(pid_t pgid, int sig) {
  if (pgid <= 1) return absl::InvalidArgumentError(absl::StrCat("process group ", pgid));
  if (::kill(-pgid, sig) != 0 && errno != ESRCH) {
    return absl::InternalError(
        absl::StrCat("kill(-", pgid, ", ", sigabbrev_np(sig), "): ", strerror(errno)));
  }
  return absl::OkStatus();
}

std::string DescribeExit(int exit_code, int signal) {
  if (signal > 0) {
    const char* name = sigabbrev_np(signal);
    return absl::StrCat("killed by signal ", signal, " (SIG", name == nullptr ? "?" : name, ")");
  }
  return absl::StrCat("exited with code ", exit_code);
}

}  // namespace binq::server
