// binqd's configuration: command-line flags and an optional --config file
// (a JSON object, or `key = value` lines with # comments) with the same keys
// as the flags (without "--"; '_' may stand for '-'). A flag given on the
// command line wins over the file. Pure; thread-safe.
#ifndef BINQ_SERVER_DAEMON_CONFIG_H_
#define BINQ_SERVER_DAEMON_CONFIG_H_

#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"

namespace binq::server {

struct DaemonConfig {
  std::string listen = "127.0.0.1:7411";   // public API; port 0 picks a free one
  std::string worker_listen = "127.0.0.1:0";  // worker API (loopback)
  std::string state_dir;      // default: $XDG_STATE_HOME/binq, else ~/.local/state/binq
  std::string gpus = "auto";  // "0,1", "none" or "auto"
  int cpu_slots = 1;
  std::string data_dir;       // default: $BINQ_DATA_DIR, else ~/.cache/binq/data
  std::string worker_binary;  // default: binq-run next to binqd
  absl::Duration cancel_grace = absl::Seconds(10);
  absl::Duration heartbeat_interval = absl::Seconds(5);
  absl::Duration fair_share_half_life = absl::Hours(24 * 7);
  int watch_buffer = 4096;    // events a watcher may fall behind before it is cut off
  std::string log_level = "info";
  std::string config_file;    // the --config file read, if any
};

struct ParsedCommandLine {
  DaemonConfig config;
  bool help = false;  // --help was given: print DaemonUsage() and exit
};

// Parses argv (argv[0] is the program). INVALID_ARGUMENT naming the flag, or
// the file and line/key of the --config file; NOT_FOUND for a missing
// --config file.
[[nodiscard]] absl::StatusOr<ParsedCommandLine> ParseDaemonCommandLine(
    const std::vector<std::string>& argv);

// "10", "10s", "500ms", "2m", "1h", "7d" (a bare number is seconds).
[[nodiscard]] absl::StatusOr<absl::Duration> ParseDurationValue(absl::string_view text);

std::string DaemonUsage();

}  // namespace binq::server

#endif  // BINQ_SERVER_DAEMON_CONFIG_H_
