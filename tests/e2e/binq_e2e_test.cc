// End to end: binqctl → binqd → the real `binq-run --worker` on a tiny OPT
// generated for the test: a job runs to its outputs, a running job is
// cancelled, binqd is killed mid-job and its restart re-queues and finishes
// the job, and two users' jobs both complete.
#include <filesystem>
#include <fstream>
#include <set>

#include "tests/e2e/e2e_fixture.h"

namespace binq::testing {
namespace {

using ::testing::HasSubstr;
using ::testing::IsEmpty;
using ::testing::SizeIs;

nlohmann::json ReadJson(const std::string& path) {
  std::ifstream in(path);
  nlohmann::json j = nlohmann::json::parse(in, nullptr, /*allow_exceptions=*/false);
  EXPECT_FALSE(j.is_discarded()) << path;
  return j;
}

TEST_F(E2eTest, SubmitWatchRunsTheRealWorkerToItsOutputs) {
  StartRealDaemon();
  const ProcessResult r = Ctl({"--output", "json", "submit", "--model", model_, "--technique", "CRB",
                               "--seqlen", "64", "--nsamples", "8", "--watch"});
  ASSERT_EQ(r.exit_code, 0) << r.out << r.err;
  const auto lines = JsonLines(r.out);
  ASSERT_GE(lines.size(), 2u);
  const std::string id = lines[0]["id"];  // the submitted job, then its events
  const std::vector<nlohmann::json> events(lines.begin() + 1, lines.end());
  BINQ_ASSERT_OK_AND_ASSIGN(const v1::Job job, WaitForState(*stub_, id, v1::SUCCEEDED));
  EXPECT_EQ(Seqs(events), OneTo(job.last_seq()));
  EXPECT_EQ(events.back()["state_changed"]["state"], "SUCCEEDED");

  int layers = 0;
  std::optional<double> event_ppl;
  for (const auto& e : events) {
    if (e.contains("layer")) ++layers;
    if (e.contains("perplexity")) {
      EXPECT_EQ(e["perplexity"]["dataset"], "wikitext2");
      event_ppl = e["perplexity"]["perplexity"].get<double>();
    }
  }
  EXPECT_EQ(layers, 2 * 6) << "2 blocks × (q, k, v, out_proj, fc1, fc2)";
  ASSERT_TRUE(event_ppl.has_value()) << r.out;

  // The outputs, in the job's output folder.
  const std::string out = job.output_dir();
  EXPECT_TRUE(Exists(out + "/model/config.json")) << out;
  EXPECT_TRUE(Exists(out + "/model/model.safetensors")) << out;
  EXPECT_TRUE(Exists(out + "/model/vocab.json")) << out;
  EXPECT_TRUE(Exists(out + "/binq.safetensors")) << out;
  ASSERT_TRUE(Exists(out + "/metrics.json")) << out;
  const nlohmann::json metrics = ReadJson(out + "/metrics.json");
  EXPECT_EQ(metrics["perplexity"]["wikitext2"]["perplexity"].get<double>(), *event_ppl);
  EXPECT_EQ(job.perplexity().at("wikitext2"), *event_ppl);
  EXPECT_EQ(metrics["spec"]["technique"], "CRB");
  EXPECT_THAT(metrics["layers"], SizeIs(12));

  // What people see of the same job.
  const ProcessResult result = Ctl({"result", id});
  ASSERT_EQ(result.exit_code, 0) << result.err;
  EXPECT_THAT(result.out, HasSubstr("self_attn.q_proj"));
  EXPECT_THAT(result.out, HasSubstr("fc2"));
  EXPECT_THAT(result.out, HasSubstr("state          SUCCEEDED"));
  const ProcessResult log = Ctl({"logs", id});
  EXPECT_EQ(log.exit_code, 0) << log.err;
  EXPECT_THAT(log.out, HasSubstr("binq-run worker: job " + id + " attempt 1"));
}

TEST_F(E2eTest, CancelStopsARunningRealJobAndLeavesNoOutput) {
  StartRealDaemon();
  // Enough calibration work that it is still running when the cancel lands.
  const std::string id = SubmitTiny({"--nsamples", "128", "--seqlen", "128"});
  BINQ_ASSERT_OK_AND_ASSIGN(
      const v1::Job running, WaitForJob(*stub_, id, [](const v1::Job& j) {
        return j.state() == v1::RUNNING && j.last_seq() >= 3;
      }, absl::Seconds(60)));
  ASSERT_THAT(WorkerPids(id), SizeIs(1));
  const ProcessResult cancel = Ctl({"cancel", id});
  EXPECT_EQ(cancel.exit_code, 0) << cancel.err;
  BINQ_ASSERT_OK_AND_ASSIGN(const v1::Job done, WaitForState(*stub_, id, v1::CANCELLED, absl::Seconds(60)));
  EXPECT_TRUE(WorkersGone(id)) << "the worker is still running";
  EXPECT_FALSE(Exists(done.output_dir())) << done.output_dir();
  const ProcessResult watch = Ctl({"watch", id});
  EXPECT_EQ(watch.exit_code, 4) << watch.err;
  EXPECT_THAT(watch.out, HasSubstr("state CANCELLED"));
}

TEST_F(E2eTest, DaemonKilledMidJobRequeuesItAndTheRestartFinishesIt) {
  StartRealDaemon();
  const std::string address = daemon_->address();
  const std::string id = SubmitTiny({"--nsamples", "64", "--seqlen", "128"});
  auto watch = StartCtl({"--output", "json", "watch", id});
  BINQ_ASSERT_OK_AND_ASSIGN(
      const v1::Job running, WaitForJob(*stub_, id, [](const v1::Job& j) {
        return j.state() == v1::RUNNING && j.last_seq() >= 3;
      }, absl::Seconds(60)));
  const std::vector<pid_t> old_workers = WorkerPids(id, 1);
  ASSERT_THAT(old_workers, SizeIs(1));

  ASSERT_EQ(daemon_->Stop(SIGKILL), 128 + SIGKILL);
  StartRealDaemon({"--listen", address});
  // The restart re-queues the job as attempt 2 and stops attempt 1's worker.
  BINQ_ASSERT_OK_AND_ASSIGN(const v1::Job done, WaitForState(*stub_, id, v1::SUCCEEDED, absl::Seconds(90)));
  EXPECT_EQ(done.attempt(), 2);
  EXPECT_TRUE(IsZombie(old_workers[0])) << "attempt 1's worker " << old_workers[0] << " survived";
  EXPECT_TRUE(Exists(done.output_dir() + "/metrics.json"));
  EXPECT_TRUE(Exists(done.output_dir() + "/binq.safetensors"));

  // The watch went on through the restart: every event once, to the end.
  const ProcessResult watched = watch->Wait(60);
  EXPECT_EQ(watched.exit_code, 0) << watched.err;
  const auto events = JsonLines(watched.out);
  EXPECT_EQ(Seqs(events), OneTo(done.last_seq()));
  int requeues = 0;
  for (const auto& e : events) {
    if (e.contains("state_changed") && e["state_changed"]["state"] == "QUEUED" &&
        e["state_changed"].value("attempt", 0) == 2) {
      ++requeues;
    }
  }
  EXPECT_EQ(requeues, 1);
  const ProcessResult get = Ctl({"get", id});
  EXPECT_THAT(get.out, HasSubstr("attempt        2"));
}

TEST_F(E2eTest, TwoUsersJobsBothComplete) {
  StartRealDaemon();
  const std::string alice = SubmitTiny({"--user", "alice"});
  const std::string bob = SubmitTiny({"--user", "bob", "--technique", "braq"});
  for (const std::string& id : {alice, bob}) {
    const ProcessResult watch = Ctl({"watch", id});
    EXPECT_EQ(watch.exit_code, 0) << id << ": " << watch.out << watch.err;
    EXPECT_THAT(watch.out, HasSubstr("perplexity wikitext2 = "));
  }
  const ProcessResult list = Ctl({"-o", "json", "list"});
  ASSERT_EQ(list.exit_code, 0) << list.err;
  const auto jobs = JsonLines(list.out);
  ASSERT_THAT(jobs, SizeIs(2));
  std::set<std::string> users, outputs;
  for (const auto& job : jobs) {
    EXPECT_EQ(job["state"], "SUCCEEDED") << job.dump();
    users.insert(job["user"].get<std::string>());
    outputs.insert(job["output_dir"].get<std::string>());
    EXPECT_TRUE(Exists(job["output_dir"].get<std::string>() + "/metrics.json")) << job.dump();
  }
  EXPECT_EQ(users, (std::set<std::string>{"alice", "bob"}));
  EXPECT_THAT(outputs, SizeIs(2));
}

// A LLaMA-architecture folder whose only tokenizer is a SentencePiece
// tokenizer.model (the LLaMA-2 fixture, tests/data/sentencepiece-llama):
// binqd's pre-flight accepts it without vocab.json, the worker tokenizes with
// it, and CRB quantizes the seven LLaMA linears of each block in the
// references' order.
TEST_F(E2eTest, LlamaWithSentencePieceTokenizerRunsThroughBinqd) {
  const std::string llama = root_ + "/tiny-llama";
  ProcessOptions options;
  options.timeout_seconds = 120;
  const ProcessResult made =
      RunProcess({BINQ_RUN_PATH, "make-tiny", llama, "--family", "llama"}, options);
  ASSERT_EQ(made.exit_code, 0) << made.out << made.err;
  const std::string model = llama + "/model";
  for (const char* f : {"vocab.json", "merges.txt", "tokenizer.json", "tokenizer_config.json",
                        "special_tokens_map.json"}) {
    std::filesystem::remove(model + "/" + f);
  }
  for (const char* f : {"tokenizer.model", "tokenizer_config.json", "special_tokens_map.json"}) {
    std::filesystem::copy_file(std::string(BINQ_TEST_DATA_DIR) + "/sentencepiece-llama/" + f,
                               model + "/" + f);
  }
  StartRealDaemon();
  const ProcessResult r = Ctl({"--output", "json", "submit", "--model", model, "--technique", "CRB",
                               "--seqlen", "64", "--nsamples", "8", "--dtype", "float32", "--watch"});
  ASSERT_EQ(r.exit_code, 0) << r.out << r.err;
  const auto lines = JsonLines(r.out);
  ASSERT_GE(lines.size(), 2u);
  const std::string id = lines[0]["id"];
  BINQ_ASSERT_OK_AND_ASSIGN(const v1::Job job, WaitForState(*stub_, id, v1::SUCCEEDED));
  std::vector<std::string> block0;
  for (auto it = lines.begin() + 1; it != lines.end(); ++it) {
    if (it->contains("layer") && (*it)["layer"].value("block", 0) == 0) {
      block0.push_back((*it)["layer"]["name"].get<std::string>());
    }
  }
  EXPECT_EQ(block0, (std::vector<std::string>{"self_attn.q_proj", "self_attn.k_proj", "self_attn.v_proj",
                                              "self_attn.o_proj", "mlp.gate_proj", "mlp.up_proj",
                                              "mlp.down_proj"}));
  const std::string out = job.output_dir();
  EXPECT_TRUE(Exists(out + "/model/tokenizer.model")) << out;
  EXPECT_FALSE(Exists(out + "/model/vocab.json")) << out;
  const nlohmann::json metrics = ReadJson(out + "/metrics.json");
  EXPECT_GT(metrics["perplexity"]["wikitext2"]["perplexity"].get<double>(), 1.0);
}

}  // namespace
}  // namespace binq::testing
