// binqctl's subcommands over a BinqService stub. Each returns the process
// exit code (client/exit_codes.h) and writes results to `out`, errors to
// `err`. Thin: the daemon validates specs and owns all state.
#ifndef BINQ_CLIENT_COMMANDS_H_
#define BINQ_CLIENT_COMMANDS_H_

#include <chrono>
#include <memory>
#include <ostream>
#include <string>

#include "binq/v1/binq.grpc.pb.h"

namespace binq::client {

struct CommandContext {
  binq::v1::BinqService::StubInterface* stub = nullptr;
  std::shared_ptr<grpc::ChannelInterface> channel;  // the stub's, for watches (may be null)
  std::string server;            // for messages
  std::string server_from;       // where `server` came from (ServerChoice::from)
  bool json = false;             // --output json
  bool terminal = false;         // stdout is a terminal (live redraw)
  std::chrono::seconds timeout{30};  // deadline of unary calls
  std::ostream* out = nullptr;
  std::ostream* err = nullptr;
};

int SubmitJob(const CommandContext& c, const binq::v1::SubmitJobRequest& request, bool watch);
int WatchJob(const CommandContext& c, const std::string& job_id, int64_t after_seq);
int ListJobs(const CommandContext& c, const std::string& state, const std::string& user, int limit);
int GetJob(const CommandContext& c, const std::string& job_id);
// The daemon's technique catalog (ListTechniques): names, aliases, help,
// options with defaults and ranges; with --output json one technique per line.
int ListTechniques(const CommandContext& c);
int CancelJob(const CommandContext& c, const std::string& job_id);
int JobLogs(const CommandContext& c, const std::string& job_id, int64_t tail_bytes, bool events);
int JobResult(const CommandContext& c, const std::string& job_id);

}  // namespace binq::client

#endif  // BINQ_CLIENT_COMMANDS_H_
