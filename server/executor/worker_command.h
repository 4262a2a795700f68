// The exact command line and environment of a worker attempt — the contract
// between binqd and `binq-run --worker`:
//
//   argv: <worker-binary> --worker --job-id <ID> --daemon 127.0.0.1:<PORT> --attempt <N>
//   env:  the daemon's environment, with these set (replacing any inherited value):
//         BINQ_WORKER_TOKEN=<64 hex digits, random per job attempt>
//         CUDA_VISIBLE_DEVICES=<the slot's GPU index, or "" for a CPU slot>
//         BINQ_DATA_DIR=<the daemon's --data-dir>
//   stdin /dev/null; stdout and stderr appended to <state-dir>/jobs/<ID>/worker.log.
//
// Pure functions except MakeWorkerToken (reads the kernel's RNG) and
// CurrentEnvironment; all thread-safe.
#ifndef BINQ_SERVER_EXECUTOR_WORKER_COMMAND_H_
#define BINQ_SERVER_EXECUTOR_WORKER_COMMAND_H_

#include <string>
#include <vector>

#include "absl/strings/string_view.h"
#include "server/executor/process.h"
#include "server/scheduler/slots.h"

namespace binq::server {

struct WorkerAttempt {
  std::string worker_binary;
  std::string daemon_address;  // the worker API's "127.0.0.1:PORT"
  std::string data_dir;
  std::string job_id;
  int attempt = 1;
  std::string token;
  Slot slot;
  std::string log_path;
};

SpawnRequest WorkerCommand(const WorkerAttempt& attempt, const std::vector<std::string>& base_env);

// True when `cmdline` (/proc/<pid>/cmdline: NUL-separated argv) is the worker
// command of (job_id, attempt) — to recognise an orphaned worker safely.
bool IsWorkerCommandLine(absl::string_view cmdline, absl::string_view job_id, int attempt);

// 32 bytes from getrandom(2), as 64 lowercase hex digits.
std::string MakeWorkerToken();

// The daemon's own environment ("NAME=value" each).
std::vector<std::string> CurrentEnvironment();

// Where binqd looks for its worker when --worker-binary is not given, in
// order: beside binqd (an installed prefix: P/bin/binqd, P/bin/binq-run), then
// the build tree's layout (build/server/binqd, build/tools/binq-run).
std::vector<std::string> WorkerBinaryCandidates(const std::string& binqd_dir);
// The first executable candidate for the running executable
// (/proc/self/exe); the first candidate when none is executable, so the
// daemon's start-up error names the installed location.
std::string DefaultWorkerBinary();

}  // namespace binq::server

#endif  // BINQ_SERVER_EXECUTOR_WORKER_COMMAND_H_
