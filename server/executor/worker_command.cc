#include "server/executor/worker_command.h"

#include <sys/random.h>
#include <unistd.h>

#include <cerrno>
#include <filesystem>
#include <random>

#include "absl/strings/escaping.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"

extern char** environ;

namespace binq::server {
namespace {

constexpr const char* kWorkerVars[] = {"BINQ_WORKER_TOKEN=", "CUDA_VISIBLE_DEVICES=",
                                       "BINQ_DATA_DIR="};

}  // namespace

SpawnRequest WorkerCommand(const WorkerAttempt& a, const std::vector<std::string>& base_env) {
  SpawnRequest request;
  request.argv = {a.worker_binary, "--worker",           "--job-id", a.job_id, "--daemon",
                  a.daemon_address, "--attempt", absl::StrCat(a.attempt)};
  for (const std::string& e : base_env) {
    bool replaced = false;
    for (const char* var : kWorkerVars) replaced = replaced || absl::StartsWith(e, var);
    if (!replaced) request.env.push_back(e);
  }
  request.env.push_back(absl::StrCat("BINQ_WORKER_TOKEN=", a.token));
  request.env.push_back(absl::StrCat("CUDA_VISIBLE_DEVICES=", a.slot.CudaVisibleDevices()));
  request.env.push_back(absl::StrCat("BINQ_DATA_DIR=", a.data_dir));
  request.log_path = a.log_path;
  return request;
}

bool IsWorkerCommandLine(absl::string_view cmdline, absl::string_view job_id, int attempt) {
  const std::string nul(1, '\0');
  return absl::StrContains(cmdline, absl::StrCat(nul, "--worker", nul)) &&
         absl::StrContains(cmdline, absl::StrCat(nul, "--job-id", nul, job_id, nul)) &&
         absl::StrContains(cmdline, absl::StrCat(nul, "--attempt", nul, attempt, nul));
}

std::string MakeWorkerToken() {
  unsigned char bytes[32];
  size_t filled = 0;
  while (filled < sizeof(bytes)) {
    const ssize_t n = ::getrandom(bytes + filled, sizeof(bytes) - filled, 0);
    if (n < 0) {
      if (errno == EINTR) continue;
      // No getrandom (very old kernel): std::random_device reads /dev/urandom.
      std::random_device rd;
      for (; filled < sizeof(bytes); ++filled) bytes[filled] = static_cast<unsigned char>(rd());
      break;
    }
    filled += static_cast<size_t>(n);
  }
  return absl::BytesToHexString(absl::string_view(reinterpret_cast<const char*>(bytes), sizeof(bytes)));
}

std::vector<std::string> CurrentEnvironment() {
  std::vector<std::string> env;
  for (char** e = environ; e != nullptr && *e != nullptr; ++e) env.emplace_back(*e);
  return env;
}

std::vector<std::string> WorkerBinaryCandidates(const std::string& binqd_dir) {
  const std::filesystem::path dir(binqd_dir);
  return {(dir / "binq-run").string(), (dir.parent_path() / "tools" / "binq-run").string()};
}

std::string DefaultWorkerBinary() {
  std::error_code ec;
  const std::filesystem::path self = std::filesystem::read_symlink("/proc/self/exe", ec);
  if (ec) return "binq-run";
  const std::vector<std::string> candidates = WorkerBinaryCandidates(self.parent_path().string());
  for (const std::string& candidate : candidates) {
    if (::access(candidate.c_str(), X_OK) == 0) return candidate;
  }
  return candidates.front();
}

}  // namespace binq::server
