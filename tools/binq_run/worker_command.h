// `binq-run --worker --job-id ID --daemon HOST:PORT --attempt N`: runs one
// job for binqd (server/README.md, "The worker contract"): StartWork for the
// spec, the pipeline with its events streamed back (DaemonSink), FinishWork
// with the outcome. The token comes from $BINQ_WORKER_TOKEN. SIGTERM stops
// the job at its next step and exits 8 (interrupted); a cancel the daemon
// signals through ReportEvents exits 6.
#ifndef BINQ_TOOLS_BINQ_RUN_WORKER_COMMAND_H_
#define BINQ_TOOLS_BINQ_RUN_WORKER_COMMAND_H_

#include <string>

namespace binq::tools {

struct WorkerCommand {
  std::string job_id;
  std::string daemon;  // binqd's worker API address
  int attempt = 1;
};

// Returns the process exit code (core/base/exit_codes.h).
int RunWorkerCommand(const WorkerCommand& command);

}  // namespace binq::tools

#endif  // BINQ_TOOLS_BINQ_RUN_WORKER_COMMAND_H_
