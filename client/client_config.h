// Where binqctl finds the daemon: --server, else $BINQ_SERVER, else the
// "server" key of the config file ($BINQ_CONFIG, else
// $XDG_CONFIG_HOME/binq/binqctl.yaml, else ~/.config/binq/binqctl.yaml; YAML or
// JSON), else 127.0.0.1:7411 — binqd's default.
#ifndef BINQ_CLIENT_CLIENT_CONFIG_H_
#define BINQ_CLIENT_CLIENT_CONFIG_H_

#include <string>

#include "absl/status/statusor.h"

namespace binq::client {

inline constexpr char kDefaultServer[] = "127.0.0.1:7411";

struct ServerChoice {
  std::string address;
  std::string from;  // "--server", "BINQ_SERVER", the config file's path, or "default"
};

// `flag` is --server's value (empty when not given). INVALID_ARGUMENT naming
// the file for a config file that exists but cannot be parsed.
[[nodiscard]] absl::StatusOr<ServerChoice> ChooseServer(const std::string& flag);

// The config file path that ChooseServer reads (it may not exist).
std::string ConfigFilePath();

}  // namespace binq::client

#endif  // BINQ_CLIENT_CLIENT_CONFIG_H_
