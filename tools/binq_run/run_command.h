// `binq-run MODEL DATASET TECHNIQUE [flags]`: one whole job on this machine,
// in the reference scripts' positional order (`python3 run.py MODEL DATASET
// TECHNIQUE --blocksize 128 --salient_metric hessian`), with a live progress
// display and the outputs under --out.
#ifndef BINQ_TOOLS_BINQ_RUN_RUN_COMMAND_H_
#define BINQ_TOOLS_BINQ_RUN_RUN_COMMAND_H_

#include <string>

#include "core/base/job_spec.h"

namespace binq::tools {

struct RunCommand {
  JobSpec spec;
  std::string output_dir;  // empty: out/<model name>-<dataset>-<technique>
  std::string data_dir;    // empty: $BINQ_DATA_DIR, else ~/.cache/binq/data
  bool json_events = false;
};

// The default output folder for a spec ("out/opt-1.3b-wikitext2-CRB").
std::string DefaultOutputDir(const JobSpec& spec);

// Runs the job, printing progress to stdout and errors to stderr. SIGINT or
// SIGTERM cancels it at the next step (a second one exits at once). Returns
// the process exit code (core/base/exit_codes.h).
int RunRunCommand(const RunCommand& command);

}  // namespace binq::tools

#endif  // BINQ_TOOLS_BINQ_RUN_RUN_COMMAND_H_
