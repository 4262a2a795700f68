#include "server/daemon/config.h"

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <functional>
#include <map>
#include <sstream>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_replace.h"
#include "absl/strings/strip.h"
#include "core/base/dataset_files.h"
#include "core/base/status_macros.h"
#include "nlohmann/json.hpp"
#include "server/executor/worker_command.h"

namespace binq::server {
namespace {

using Setter = std::function<absl::Status(absl::string_view value, DaemonConfig& config)>;

struct Flag {
  const char* name;
  const char* value_name;
  const char* help;
  Setter set;
};

Setter SetString(std::string DaemonConfig::*field) {
  return [field](absl::string_view v, DaemonConfig& c) {
    c.*field = std::string(v);
    return absl::OkStatus();
  };
}

Setter SetInt(int DaemonConfig::*field, int min) {
  return [field, min](absl::string_view v, DaemonConfig& c) -> absl::Status {
    int n = 0;
    if (!absl::SimpleAtoi(absl::StripAsciiWhitespace(v), &n)) {
      return absl::InvalidArgumentError(absl::StrCat("expected an integer, got '", v, "'"));
    }
    if (n < min) return absl::InvalidArgumentError(absl::StrCat("must be ≥ ", min, ", got ", n));
    c.*field = n;
    return absl::OkStatus();
  };
}

Setter SetDuration(absl::Duration DaemonConfig::*field, absl::Duration min) {
  return [field, min](absl::string_view v, DaemonConfig& c) -> absl::Status {
    BINQ_ASSIGN_OR_RETURN(absl::Duration d, ParseDurationValue(v));
    if (d < min) {
      return absl::InvalidArgumentError(
          absl::StrCat("must be ≥ ", absl::FormatDuration(min), ", got ", v));
    }
    c.*field = d;
    return absl::OkStatus();
  };
}

const std::vector<Flag>& Flags() {
  static const auto* const kFlags = new std::vector<Flag>{
      {"listen", "HOST:PORT",
       "public gRPC address (default 127.0.0.1:7411; port 0 picks a free port)",
       SetString(&DaemonConfig::listen)},
      {"worker-listen", "HOST:PORT", "worker API address (default 127.0.0.1:0)",
       SetString(&DaemonConfig::worker_listen)},
      {"state-dir", "DIR", "database, job folders and logs (default ~/.local/state/binq)",
       SetString(&DaemonConfig::state_dir)},
      {"gpus", "LIST", "GPU slots: CUDA indices 0,1,…, 'none', or 'auto' (default)",
       SetString(&DaemonConfig::gpus)},
      {"cpu-slots", "N", "CPU slots for jobs that need no GPU (default 1)",
       SetInt(&DaemonConfig::cpu_slots, 0)},
      {"data-dir", "DIR", "dataset root, BINQ_DATA_DIR of workers (default $BINQ_DATA_DIR)",
       SetString(&DaemonConfig::data_dir)},
      {"worker-binary", "PATH", "the worker program (default: binq-run next to binqd)",
       SetString(&DaemonConfig::worker_binary)},
      {"cancel-grace", "DURATION", "SIGTERM → SIGKILL grace for workers (default 10s)",
       SetDuration(&DaemonConfig::cancel_grace, absl::ZeroDuration())},
      {"heartbeat-interval", "DURATION", "heartbeat to idle watchers (default 5s)",
       SetDuration(&DaemonConfig::heartbeat_interval, absl::Milliseconds(10))},
      {"fair-share-half-life", "DURATION", "decay of per-user usage (default 7d)",
       SetDuration(&DaemonConfig::fair_share_half_life, absl::ZeroDuration())},
      {"watch-buffer", "N", "events a watcher may fall behind before it is cut off (default 4096)",
       SetInt(&DaemonConfig::watch_buffer, 1)},
      {"log-level", "LEVEL", "trace, debug, info (default), warn, error",
       SetString(&DaemonConfig::log_level)},
  };
  return *kFlags;
}

const Flag* FindFlag(absl::string_view name) {
  const std::string canonical = absl::StrReplaceAll(name, {{"_", "-"}});
  for (const Flag& f : Flags()) {
    if (canonical == f.name) return &f;
  }
  return nullptr;
}

// key → value from a --config file.
absl::StatusOr<std::vector<std::pair<std::string, std::string>>> ReadConfigFile(
    const std::string& path) {
  std::ifstream in(path);
  if (!in) return absl::NotFoundError(absl::StrCat("--config: cannot read ", path));
  std::stringstream buffer;
  buffer << in.rdbuf();
  const std::string text = buffer.str();
  std::vector<std::pair<std::string, std::string>> entries;
  if (absl::StartsWith(absl::StripLeadingAsciiWhitespace(text), "{")) {
    const nlohmann::json j = nlohmann::json::parse(text, nullptr, /*allow_exceptions=*/false);
    if (j.is_discarded() || !j.is_object()) {
      return absl::InvalidArgumentError(absl::StrCat(path, ": not a valid JSON object"));
    }
    for (const auto& [key, value] : j.items()) {
      if (value.is_string()) {
        entries.emplace_back(key, value.get<std::string>());
      } else if (value.is_number()) {
        entries.emplace_back(key, value.dump());
      } else {
        return absl::InvalidArgumentError(
            absl::StrCat(path, ": ", key, ": must be a string or a number"));
      }
    }
    return entries;
  }
  int line_no = 0;
  std::istringstream lines(text);
  for (std::string line; std::getline(lines, line);) {
    ++line_no;
    absl::string_view l = absl::StripAsciiWhitespace(line);
    if (l.empty() || l[0] == '#') continue;
    const size_t eq = l.find('=');
    if (eq == absl::string_view::npos) {
      return absl::InvalidArgumentError(
          absl::StrCat(path, ":", line_no, ": expected key = value, got '", l, "'"));
    }
    std::string value(absl::StripAsciiWhitespace(l.substr(eq + 1)));
    if (value.size() >= 2 && value.front() == '"' && value.back() == '"') {
      value = value.substr(1, value.size() - 2);
    }
    entries.emplace_back(std::string(absl::StripAsciiWhitespace(l.substr(0, eq))), value);
  }
  return entries;
}

std::string DefaultStateDir() {
  if (const char* xdg = std::getenv("XDG_STATE_HOME"); xdg != nullptr && *xdg != '\0') {
    return (std::filesystem::path(xdg) / "binq").string();
  }
  const char* home = std::getenv("HOME");
  return (std::filesystem::path(home == nullptr ? "." : home) / ".local" / "state" / "binq").string();
}

}  // namespace

absl::StatusOr<absl::Duration> ParseDurationValue(absl::string_view text) {
  const std::string t(absl::StripAsciiWhitespace(text));
  double number = 0;
  if (absl::SimpleAtod(t, &number)) return absl::Seconds(number);
  if (absl::EndsWith(t, "d") && absl::SimpleAtod(t.substr(0, t.size() - 1), &number)) {
    return absl::Hours(24 * number);
  }
  absl::Duration d;
  if (absl::ParseDuration(t, &d)) return d;
  return absl::InvalidArgumentError(
      absl::StrCat("expected a duration like 10s, 500ms, 2m, 1h or 7d, got '", text, "'"));
}

absl::StatusOr<ParsedCommandLine> ParseDaemonCommandLine(const std::vector<std::string>& argv) {
  ParsedCommandLine out;
  std::map<std::string, std::string> from_flags;  // flag name → value
  std::string config_path;
  for (size_t i = 1; i < argv.size(); ++i) {
    absl::string_view arg = argv[i];
    if (arg == "--help" || arg == "-h") {
      out.help = true;
      return out;
    }
    if (!absl::ConsumePrefix(&arg, "--")) {
      return absl::InvalidArgumentError(absl::StrCat("unexpected argument '", arg, "' (see --help)"));
    }
    std::string name(arg), value;
    bool has_value = false;
    if (const size_t eq = name.find('='); eq != std::string::npos) {
      value = name.substr(eq + 1);
      name.resize(eq);
      has_value = true;
    }
    if (name != "config" && FindFlag(name) == nullptr) {
      return absl::InvalidArgumentError(absl::StrCat("--", name, ": unknown flag (see --help)"));
    }
    if (!has_value) {
      if (i + 1 >= argv.size()) {
        return absl::InvalidArgumentError(absl::StrCat("--", name, ": needs a value"));
      }
      value = argv[++i];
    }
    if (name == "config") {
      config_path = value;
    } else {
      from_flags[FindFlag(name)->name] = value;
    }
  }
  DaemonConfig& config = out.config;
  if (!config_path.empty()) {
    config.config_file = config_path;
    BINQ_ASSIGN_OR_RETURN(auto entries, ReadConfigFile(config_path));
    for (const auto& [key, value] : entries) {
      const Flag* flag = FindFlag(key);
      if (flag == nullptr) {
        return absl::InvalidArgumentError(
            absl::StrCat(config_path, ": ", key, ": unknown key (the keys are the flags' names)"));
      }
      if (from_flags.count(flag->name) > 0) continue;  // the command line wins
      if (absl::Status s = flag->set(value, config); !s.ok()) {
        return absl::InvalidArgumentError(absl::StrCat(config_path, ": ", key, ": ", s.message()));
      }
    }
  }
  for (const auto& [name, value] : from_flags) {
    if (absl::Status s = FindFlag(name)->set(value, config); !s.ok()) {
      return absl::InvalidArgumentError(absl::StrCat("--", name, ": ", s.message()));
    }
  }
  if (config.state_dir.empty()) config.state_dir = DefaultStateDir();
  if (config.data_dir.empty()) config.data_dir = DefaultDataDir();
  if (config.worker_binary.empty()) config.worker_binary = DefaultWorkerBinary();
  return out;
}

std::string DaemonUsage() {
  std::string usage =
      "binqd: the binq job daemon (gRPC API, job queue, workers).\n\n"
      "Usage: binqd [--flag value | --flag=value]...\n\n";
  for (const Flag& f : Flags()) {
    absl::StrAppend(&usage, "  --", f.name, " ", f.value_name, "\n      ", f.help, "\n");
  }
  absl::StrAppend(&usage,
                  "  --config FILE\n      a JSON object or key = value lines with the keys above; "
                  "flags on the command line win\n\n"
                  "Prints \"binqd listening on HOST:PORT\" on stdout once it serves. SIGINT or "
                  "SIGTERM shut it down gracefully (running jobs are re-queued).\n");
  return usage;
}

}  // namespace binq::server
