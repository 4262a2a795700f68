// binqd's logging: spdlog to stderr and to <state-dir>/binqd.log, flushed on
// every message at info and above (a crash loses nothing that matters).
#ifndef BINQ_SERVER_DAEMON_LOGGING_H_
#define BINQ_SERVER_DAEMON_LOGGING_H_

#include <string>

#include "absl/status/status.h"

namespace binq::server {

// Makes the logger the default one. INVALID_ARGUMENT for an unknown level;
// FAILED_PRECONDITION when the log file cannot be opened.
[[nodiscard]] absl::Status SetUpLogging(const std::string& log_file, const std::string& level);

}  // namespace binq::server

#endif  // BINQ_SERVER_DAEMON_LOGGING_H_
