// The binqctl integration tests' fixture: the integration fixture's real
// binqd (127.0.0.1:0, real SQLite state dir, binq-fake-worker) driven by the
// real binqctl as a subprocess, with an environment that never reads the
// machine's binqctl config or $BINQ_SERVER unless a test sets them.
#ifndef BINQ_TESTS_CLIENT_BINQCTL_FIXTURE_H_
#define BINQ_TESTS_CLIENT_BINQCTL_FIXTURE_H_

#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <map>
#include <memory>
#include <optional>
#include <regex>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "tests/integration/binqd_fixture.h"
#include "tests/testing/subprocess.h"

namespace binq::testing {

class BinqctlTest : public BinqdTest {
 protected:
  using Env = std::map<std::string, std::optional<std::string>>;

  void SetUp() override {
    BinqdTest::SetUp();
    // A config path that does not exist: ~/.config/binq/binqctl.yaml of
    // whoever runs the tests must not pick the server.
    no_config_ = root_ + "/no-binqctl-config.yaml";
  }

  // binqctl's environment: no $BINQ_SERVER, no config file; `env` on top.
  ProcessOptions CtlOptions(const Env& env = {}) const {
    ProcessOptions options;
    options.env = {{"BINQ_SERVER", std::nullopt}, {"BINQ_CONFIG", no_config_}};
    for (const auto& [k, v] : env) options.env[k] = v;
    options.timeout_seconds = 90;
    return options;
  }

  // `binqctl --server <the daemon> args…`.
  ProcessResult Ctl(const std::vector<std::string>& args, const Env& env = {}) const {
    return RunProcess(CtlArgv(args), CtlOptions(env));
  }
  // `binqctl args…` (no --server).
  ProcessResult CtlBare(const std::vector<std::string>& args, const Env& env = {}) const {
    std::vector<std::string> argv = {BINQCTL_PATH};
    argv.insert(argv.end(), args.begin(), args.end());
    return RunProcess(argv, CtlOptions(env));
  }
  // `binqctl --server <the daemon> args…` in the background.
  std::unique_ptr<Subprocess> StartCtl(const std::vector<std::string>& args) const {
    return std::make_unique<Subprocess>(CtlArgv(args), CtlOptions());
  }

  std::vector<std::string> CtlArgv(const std::vector<std::string>& args) const {
    std::vector<std::string> argv = {BINQCTL_PATH, "--server", daemon_->address()};
    argv.insert(argv.end(), args.begin(), args.end());
    return argv;
  }

  // Submits a fake:<mode> job through binqctl; returns its id ("" and a
  // test failure when binqctl fails).
  std::string CtlSubmit(const std::string& mode, const std::vector<std::string>& extra = {}) {
    std::vector<std::string> args = {"--output", "json", "submit", "--model", FakeModel(mode),
                                     "--technique", "CRB"};
    args.insert(args.end(), extra.begin(), extra.end());
    const ProcessResult r = Ctl(args);
    EXPECT_EQ(r.exit_code, 0) << r.err;
    const std::vector<nlohmann::json> lines = JsonLines(r.out);
    if (lines.size() != 1 || !lines[0].contains("id")) {
      ADD_FAILURE() << "submit printed: " << r.out;
      return "";
    }
    return lines[0]["id"].get<std::string>();
  }

  // Every non-empty line of `out` parsed as JSON; a line that does not parse
  // fails the test.
  static std::vector<nlohmann::json> JsonLines(const std::string& out) {
    std::vector<nlohmann::json> lines;
    for (absl::string_view line : absl::StrSplit(out, '\n', absl::SkipEmpty())) {
      nlohmann::json j = nlohmann::json::parse(line.begin(), line.end(), nullptr,
                                               /*allow_exceptions=*/false);
      if (j.is_discarded() || !j.is_object()) {
        ADD_FAILURE() << "not a JSON object: " << line;
        continue;
      }
      lines.push_back(std::move(j));
    }
    return lines;
  }

  // An int64 field of protobuf's JSON mapping (a string) or an int32 (a number).
  static int64_t JsonInt(const nlohmann::json& j) {
    if (j.is_string()) return std::stoll(j.get<std::string>());
    if (j.is_number()) return j.get<int64_t>();
    ADD_FAILURE() << "not an integer: " << j.dump();
    return -1;
  }

  // The seq of each event line.
  static std::vector<int64_t> Seqs(const std::vector<nlohmann::json>& events) {
    std::vector<int64_t> seqs;
    for (const auto& e : events) seqs.push_back(e.contains("seq") ? JsonInt(e["seq"]) : -1);
    return seqs;
  }

  // 1, 2, …, n.
  static std::vector<int64_t> OneTo(int64_t n) {
    std::vector<int64_t> v;
    for (int64_t i = 1; i <= n; ++i) v.push_back(i);
    return v;
  }

  // How often `what` occurs in `text`.
  static int Occurrences(const std::string& text, const std::string& what) {
    int n = 0;
    for (size_t at = text.find(what); at != std::string::npos; at = text.find(what, at + what.size())) ++n;
    return n;
  }

  // The job id in "submitted j-… (QUEUED)".
  static std::string SubmittedId(const std::string& out) {
    static const std::regex kLine("submitted (j-[0-9a-f]+) ");
    std::smatch m;
    return std::regex_search(out, m, kLine) ? m[1].str() : "";
  }

  // A loopback port nobody listens on (bound, read, closed).
  static int UnusedPort() {
    const int fd = ::socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in a{};
    a.sin_family = AF_INET;
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    a.sin_port = 0;
    socklen_t len = sizeof(a);
    int port = -1;
    if (::bind(fd, reinterpret_cast<sockaddr*>(&a), sizeof(a)) == 0 &&
        ::getsockname(fd, reinterpret_cast<sockaddr*>(&a), &len) == 0) {
      port = ntohs(a.sin_port);
    }
    ::close(fd);
    return port;
  }

  std::string no_config_;
};

}  // namespace binq::testing

#endif  // BINQ_TESTS_CLIENT_BINQCTL_FIXTURE_H_
