// The integration tests' fixture: a fresh state dir, a data root with a
// (tiny) WikiText-2, fake models whose directory names pick the fake
// worker's behaviour (tests/testing/fake_worker), and a real binqd started
// on 127.0.0.1:0 with binq-fake-worker as its worker.
#ifndef BINQ_TESTS_INTEGRATION_BINQD_FIXTURE_H_
#define BINQ_TESTS_INTEGRATION_BINQD_FIXTURE_H_

#include <signal.h>

#include <filesystem>
#include <fstream>
#include <memory>
#include <string>
#include <vector>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "absl/strings/str_cat.h"
#include "binq/v1/binq.grpc.pb.h"
#include "binq/v1/worker.grpc.pb.h"
#include "tests/testing/daemon_process.h"
#include "tests/testing/status_matchers.h"
#include "tests/testing/subprocess.h"

namespace binq::testing {

class BinqdTest : public ::testing::Test {
 protected:
  void SetUp() override {
    root_ = MakeTempDir();
    state_dir_ = root_ + "/state";
    data_dir_ = root_ + "/data";
    models_dir_ = root_ + "/models";
    Write(data_dir_ + "/wikitext-2-raw/wiki.train.raw", " = Valkyria = \n a tiny training text \n");
    Write(data_dir_ + "/wikitext-2-raw/wiki.test.raw", " = Robert = \n a tiny test text \n");
    // Hub ids resolve in an empty cache of our own, never the machine's.
    ::setenv("HF_HUB_CACHE", (root_ + "/hf-cache").c_str(), 1);
  }

  void TearDown() override {
    stub_.reset();
    daemon_.reset();  // SIGTERM, and waits for it to exit
    // Keep what a failed test left behind for a look (or everything, with
    // BINQ_KEEP_TEST_DIRS=1); drop the rest.
    if (!HasFailure() && std::getenv("BINQ_KEEP_TEST_DIRS") == nullptr) {
      std::error_code ec;
      std::filesystem::remove_all(root_, ec);
    }
  }

  static void Write(const std::string& path, const std::string& text) {
    std::filesystem::create_directories(std::filesystem::path(path).parent_path());
    std::ofstream(path) << text;
  }

  // A model directory that passes the daemon's validation and tells the fake
  // worker what to do.
  std::string FakeModel(const std::string& mode) {
    const std::string dir = models_dir_ + "/fake:" + mode;
    Write(dir + "/config.json", R"({"model_type": "opt", "num_hidden_layers": 3})");
    for (const char* f : {"model.safetensors", "vocab.json", "merges.txt"}) Write(dir + "/" + f, "");
    return dir;
  }

  std::vector<std::string> DaemonArgs(const std::vector<std::string>& extra) const {
    std::vector<std::string> args = {
        "--listen",       "127.0.0.1:0",   "--state-dir",          state_dir_,
        "--data-dir",     data_dir_,       "--worker-binary",      FAKE_WORKER_PATH,
        "--gpus",         "none",          "--cpu-slots",          "1",
        "--cancel-grace", "1s",            "--heartbeat-interval", "200ms"};
    // binqd takes each flag once: an extra flag replaces the default above.
    for (size_t i = 0; i + 1 < extra.size(); i += 2) {
      bool replaced = false;
      for (size_t j = 0; j + 1 < args.size(); j += 2) {
        if (args[j] == extra[i]) {
          args[j + 1] = extra[i + 1];
          replaced = true;
        }
      }
      if (!replaced) {
        args.push_back(extra[i]);
        args.push_back(extra[i + 1]);
      }
    }
    return args;
  }

  void StartDaemon(const std::vector<std::string>& extra = {}) {
    auto d = DaemonProcess::Start(BINQD_PATH, DaemonArgs(extra));
    ASSERT_TRUE(d.ok()) << d.status();
    daemon_ = *std::move(d);
    stub_ = daemon_->Stub();
  }

  v1::SubmitJobRequest Request(const std::string& mode, const std::string& user = "alice",
                               int priority = 0, const std::string& request_id = "") {
    v1::SubmitJobRequest req;
    req.mutable_spec()->set_model(FakeModel(mode));
    req.mutable_spec()->set_technique("crb");
    req.set_user(user);
    req.set_priority(priority);
    req.set_request_id(request_id);
    return req;
  }

  grpc::Status SubmitRaw(const v1::SubmitJobRequest& req, v1::Job* job) {
    grpc::ClientContext ctx;
    ctx.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(10));
    return stub_->SubmitJob(&ctx, req, job);
  }

  // Submits and returns the job; fails the test on an error.
  v1::Job Submit(const std::string& mode, const std::string& user = "alice", int priority = 0) {
    v1::Job job;
    const grpc::Status s = SubmitRaw(Request(mode, user, priority), &job);
    EXPECT_TRUE(s.ok()) << s.error_message();
    return job;
  }

  grpc::Status Cancel(const std::string& job_id, v1::Job* job) {
    grpc::ClientContext ctx;
    ctx.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(10));
    v1::CancelJobRequest req;
    req.set_job_id(job_id);
    return stub_->CancelJob(&ctx, req, job);
  }

  v1::ListJobsResponse List(v1::JobState state = v1::JOB_STATE_UNSPECIFIED) {
    grpc::ClientContext ctx;
    v1::ListJobsRequest req;
    req.set_state(state);
    req.set_page_size(1000);
    v1::ListJobsResponse resp;
    const grpc::Status s = stub_->ListJobs(&ctx, req, &resp);
    EXPECT_TRUE(s.ok()) << s.error_message();
    return resp;
  }

  // A file the (fake) worker wrote into the job's output folder.
  std::string JobFile(const v1::Job& job, const std::string& name) const {
    return job.output_dir() + "/" + name;
  }
  // The job's worker.log, which binqd keeps beside the output folder.
  std::string WorkerLog(const v1::Job& job) const {
    return job.output_dir().substr(0, job.output_dir().rfind('/')) + "/worker.log";
  }

  // The pid of the fake worker of (job, attempt), once it has started.
  pid_t WorkerPid(const v1::Job& job, int attempt = 1) {
    const std::string path = JobFile(job, absl::StrCat("fake-worker.", attempt, ".pid"));
    EXPECT_TRUE(WaitForFile(path)) << path;
    return static_cast<pid_t>(std::stol("0" + ReadFileOrEmpty(path)));
  }

  // Waits until the job's worker.log contains `text`.
  bool WaitForWorkerLog(const v1::Job& job, const std::string& text,
                        absl::Duration timeout = absl::Seconds(30)) {
    const absl::Time deadline = absl::Now() + timeout;
    while (absl::Now() < deadline) {
      if (ReadFileOrEmpty(WorkerLog(job)).find(text) != std::string::npos) return true;
      absl::SleepFor(absl::Milliseconds(10));
    }
    return false;
  }

  // True once `pid` is gone (or a zombie nobody reaped yet).
  static bool ProcessGone(pid_t pid, absl::Duration timeout = absl::Seconds(10)) {
    const absl::Time deadline = absl::Now() + timeout;
    while (absl::Now() < deadline) {
      const std::string stat = ReadFileOrEmpty(absl::StrCat("/proc/", pid, "/stat"));
      const size_t paren = stat.rfind(')');
      if (stat.empty() || (paren != std::string::npos && stat.size() > paren + 2 &&
                           stat[paren + 2] == 'Z')) {
        return true;
      }
      absl::SleepFor(absl::Milliseconds(10));
    }
    return false;
  }

  static std::vector<v1::JobState> States(const std::vector<v1::JobEvent>& events) {
    std::vector<v1::JobState> out;
    for (const v1::JobEvent& e : events) {
      if (e.has_state_changed()) out.push_back(e.state_changed().state());
    }
    return out;
  }

  static void ExpectGapFree(const std::vector<v1::JobEvent>& events, int64_t first = 1) {
    int64_t expected = first;
    for (const v1::JobEvent& e : events) {
      if (e.has_heartbeat()) continue;
      EXPECT_EQ(e.seq(), expected) << e.ShortDebugString();
      expected = e.seq() + 1;
    }
  }

  std::string root_, state_dir_, data_dir_, models_dir_;
  std::unique_ptr<DaemonProcess> daemon_;
  std::unique_ptr<v1::BinqService::Stub> stub_;
};

}  // namespace binq::testing

#endif  // BINQ_TESTS_INTEGRATION_BINQD_FIXTURE_H_
