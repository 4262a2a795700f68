#include "client/client_config.h"

#include <cstdlib>
#include <filesystem>

#include <yaml-cpp/yaml.h>

#include "absl/strings/str_cat.h"

namespace binq::client {
namespace {

std::string Env(const char* name) {
  const char* v = std::getenv(name);
  return v == nullptr ? "" : v;
}

}  // namespace

std::string ConfigFilePath() {
  if (std::string p = Env("BINQ_CONFIG"); !p.empty()) return p;
  std::filesystem::path base = Env("XDG_CONFIG_HOME");
  if (base.empty()) base = std::filesystem::path(Env("HOME")) / ".config";
  return (base / "binq" / "binqctl.yaml").string();
}

absl::StatusOr<ServerChoice> ChooseServer(const std::string& flag) {
  if (!flag.empty()) return ServerChoice{flag, "--server"};
  if (std::string v = Env("BINQ_SERVER"); !v.empty()) return ServerChoice{v, "BINQ_SERVER"};
  const std::string path = ConfigFilePath();
  std::error_code ec;
  if (std::filesystem::is_regular_file(path, ec)) {
    try {  // yaml-cpp reports errors only by throwing (JSON is valid YAML)
      const YAML::Node config = YAML::LoadFile(path);
      if (config.IsMap() && config["server"]) {
        return ServerChoice{config["server"].as<std::string>(), path};
      }
    } catch (const YAML::Exception& e) {
      return absl::InvalidArgumentError(absl::StrCat(path, ": ", e.what()));
    }
  }
  return ServerChoice{kDefaultServer, "default"};
}

}  // namespace binq::client
