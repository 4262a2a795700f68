// binqctl as a subprocess against a real binqd (127.0.0.1:0, fake worker):
// submit from flags and spec files, watch exit codes, list/ls, get, cancel,
// logs (worker log and stored events) and result, in tables and JSON lines.
#include <set>

#include "tests/client/binqctl_fixture.h"

namespace binq::testing {
namespace {

using ::testing::AllOf;
using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::Not;
using ::testing::SizeIs;
using ::testing::StartsWith;

TEST_F(BinqctlTest, SubmitFromFlagsQueuesTheSpecAsGiven) {
  StartDaemon();
  const ProcessResult r = Ctl({"submit", "--model", FakeModel("ok"), "--technique", "crb",
                               "--seqlen", "64", "--nsamples", "8", "--eval", "wikitext2",
                               "--priority", "2", "--user", "alice", "--request-id", "r-1"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  const std::string id = SubmittedId(r.out);
  ASSERT_THAT(id, StartsWith("j-")) << r.out;

  const ProcessResult got = Ctl({"--output", "json", "get", id});
  ASSERT_EQ(got.exit_code, 0) << got.err;
  const auto lines = JsonLines(got.out);
  ASSERT_THAT(lines, SizeIs(1));
  const nlohmann::json& job = lines[0];
  EXPECT_EQ(job["id"], id);
  EXPECT_EQ(job["user"], "alice");
  EXPECT_EQ(job["priority"], 2);
  EXPECT_EQ(job["request_id"], "r-1");
  EXPECT_EQ(job["spec"]["model"], FakeModel("ok"));
  EXPECT_EQ(job["spec"]["technique"], "CRB");  // canonical spelling
  EXPECT_EQ(JsonInt(job["spec"]["seqlen"]), 64);
  EXPECT_EQ(JsonInt(job["spec"]["nsamples"]), 8);
  EXPECT_EQ(job["spec"]["eval_datasets"], nlohmann::json::array({"wikitext2"}));

  // The same request id returns the same job.
  const ProcessResult again = Ctl({"submit", "--model", FakeModel("ok"), "--technique", "crb",
                                   "--request-id", "r-1"});
  ASSERT_EQ(again.exit_code, 0) << again.err;
  EXPECT_EQ(SubmittedId(again.out), id);
}

TEST_F(BinqctlTest, SubmitFromYamlAndJsonSpecFilesWithFlagsOverriding) {
  StartDaemon();
  const std::string yaml = root_ + "/job.yaml";
  Write(yaml, "# a spec file\nmodel: " + FakeModel("ok") +
                  "\ntechnique: crb\nnsamples: 16\nseqlen: 128\n"
                  "eval_datasets: [wikitext2]\npriority: 3\nuser: yaml-user\nlam: 0.001\n");
  const ProcessResult from_yaml = Ctl({"--output", "json", "submit", "-f", yaml, "--nsamples", "4"});
  ASSERT_EQ(from_yaml.exit_code, 0) << from_yaml.err;
  auto lines = JsonLines(from_yaml.out);
  ASSERT_THAT(lines, SizeIs(1));
  EXPECT_EQ(lines[0]["spec"]["technique"], "CRB");
  EXPECT_EQ(JsonInt(lines[0]["spec"]["nsamples"]), 4) << "the flag wins over the file";
  EXPECT_EQ(JsonInt(lines[0]["spec"]["seqlen"]), 128);
  EXPECT_DOUBLE_EQ(lines[0]["spec"]["technique_options"]["lam"].get<double>(), 0.001);
  EXPECT_EQ(lines[0]["priority"], 3);
  EXPECT_EQ(lines[0]["user"], "yaml-user");

  const std::string json = root_ + "/job.json";
  Write(json, R"({"model": ")" + FakeModel("ok") +
                  R"(", "technique": "braq", "blocksize": 64, "salient_metric": "magnitude"})");
  const ProcessResult from_json = Ctl({"--output", "json", "submit", "--file", json, "--user", "bob"});
  ASSERT_EQ(from_json.exit_code, 0) << from_json.err;
  lines = JsonLines(from_json.out);
  ASSERT_THAT(lines, SizeIs(1));
  EXPECT_EQ(lines[0]["spec"]["technique"], "braq");
  EXPECT_EQ(JsonInt(lines[0]["spec"]["technique_options"]["blocksize"]), 64);
  EXPECT_EQ(lines[0]["spec"]["technique_options"]["salient_metric"], "magnitude");
  EXPECT_EQ(lines[0]["spec"]["technique_options"]["percdamp"], 0.01);  // the default, filled in
  EXPECT_EQ(lines[0]["user"], "bob");
}

TEST_F(BinqctlTest, SubmitTakesTheReferenceFlagSpellings) {
  StartDaemon();
  const ProcessResult r = Ctl({"--output", "json", "submit", "--model", FakeModel("ok"), "--technique", "crb",
                               "--corr_damp", "0.25", "--crb-variant", "paper2025", "--salient_metric",
                               "magnitude", "--blocksize", "64", "--lam", "1e-4"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  auto lines = JsonLines(r.out);
  ASSERT_THAT(lines, SizeIs(1));
  const auto& options = lines[0]["spec"]["technique_options"];
  EXPECT_DOUBLE_EQ(options["corr_damp"].get<double>(), 0.25);
  EXPECT_EQ(options["crb_variant"], "paper2025");
  EXPECT_EQ(options["salient_metric"], "magnitude");
  EXPECT_EQ(JsonInt(options["blocksize"]), 64);
  EXPECT_DOUBLE_EQ(options["lam"].get<double>(), 1e-4);
  EXPECT_DOUBLE_EQ(options["percdamp"].get<double>(), 0.01);  // not given: the default
}

TEST_F(BinqctlTest, TechniquesListsTheDaemonsCatalog) {
  StartDaemon();
  const ProcessResult table = Ctl({"techniques"});
  ASSERT_EQ(table.exit_code, 0) << table.err;
  EXPECT_THAT(table.out, AllOf(HasSubstr("none (fp16)"), HasSubstr("CRBOG"), HasSubstr("--corr_damp"),
                               HasSubstr("default 0.1; [0, 1)"), HasSubstr("--wbits"),
                               HasSubstr("hessian | magnitude"), HasSubstr("[no calibration]")));
  const ProcessResult json = Ctl({"--output", "json", "techniques"});
  ASSERT_EQ(json.exit_code, 0) << json.err;
  bool saw_crb = false;
  for (const auto& t : JsonLines(json.out)) {
    if (t["name"] != "CRB") continue;
    saw_crb = true;
    EXPECT_EQ(t["needs_calibration"], true);
    EXPECT_GE(t["options"].size(), 6u);
  }
  EXPECT_TRUE(saw_crb);
}

TEST_F(BinqctlTest, SubmitWatchExitsZeroWhenTheJobSucceeds) {
  StartDaemon();
  const ProcessResult r =
      Ctl({"submit", "--model", FakeModel("ok"), "--technique", "CRB", "--watch"});
  EXPECT_EQ(r.exit_code, 0) << r.out << r.err;
  // The live view: header, per-layer table, blocks, perplexity, final state.
  EXPECT_THAT(r.out, HasSubstr("submitted j-"));
  EXPECT_THAT(r.out, HasSubstr("self_attn.q_proj"));
  EXPECT_THAT(r.out, HasSubstr("block 3/3 done"));
  EXPECT_THAT(r.out, HasSubstr("perplexity wikitext2 = 12.500"));
  EXPECT_THAT(r.out, HasSubstr("state SUCCEEDED"));
  EXPECT_THAT(r.out, HasSubstr("SUCCEEDED · output "));
  EXPECT_THAT(r.out, Not(HasSubstr("\033[K"))) << "no redraw codes when stdout is a file";
}

TEST_F(BinqctlTest, SubmitWatchExitsOneWhenTheJobFails) {
  StartDaemon();
  const ProcessResult r =
      Ctl({"submit", "--model", FakeModel("fail"), "--technique", "CRB", "--watch"});
  EXPECT_EQ(r.exit_code, 1) << r.out << r.err;
  EXPECT_THAT(r.out, HasSubstr("state FAILED"));
  EXPECT_THAT(r.out, HasSubstr("INVALID_INPUT"));
  EXPECT_THAT(r.out, HasSubstr("dataset: fake failure for tests"));
}

TEST_F(BinqctlTest, WatchExitsFourWhenTheJobIsCancelled) {
  StartDaemon();
  auto watching = StartCtl({"submit", "--model", FakeModel("hang"), "--technique", "CRB", "--watch"});
  std::string id;
  ASSERT_TRUE(watching->WaitForStdout([&](const std::string& out) {
    id = SubmittedId(out);
    return !id.empty();
  })) << watching->Stderr();
  ASSERT_TRUE(WaitForState(*stub_, id, v1::RUNNING).ok());
  const ProcessResult cancel = Ctl({"cancel", id});
  EXPECT_EQ(cancel.exit_code, 0) << cancel.err;
  EXPECT_THAT(cancel.out, HasSubstr(id + ": cancel requested"));
  const ProcessResult watched = watching->Wait(60);
  EXPECT_EQ(watched.exit_code, 4) << watched.out << watched.err;
  EXPECT_THAT(watched.out, HasSubstr("state CANCELLED"));
  EXPECT_THAT(watched.out, HasSubstr("\nCANCELLED\n")) << "no output folder to show";

  // A later `watch` of the finished job replays it and says the same.
  const ProcessResult replay = Ctl({"watch", id});
  EXPECT_EQ(replay.exit_code, 4) << replay.err;
  EXPECT_THAT(replay.out, HasSubstr("state CANCELLED"));
}

TEST_F(BinqctlTest, ListAndLsShowEveryJobAsATableAndAsJsonLines) {
  StartDaemon();
  const std::string a = CtlSubmit("ok", {"--user", "alice"});
  const std::string b = CtlSubmit("ok", {"--user", "bob"});
  const std::string c = CtlSubmit("fail", {"--user", "bob"});
  for (const std::string& id : {a, b, c}) {
    ASSERT_TRUE(WaitForJob(*stub_, id, [](const v1::Job& j) {
                  return j.state() == v1::SUCCEEDED || j.state() == v1::FAILED;
                }).ok());
  }

  for (const char* verb : {"list", "ls"}) {
    const ProcessResult table = Ctl({verb});
    ASSERT_EQ(table.exit_code, 0) << table.err;
    const std::vector<std::string> rows = absl::StrSplit(table.out, '\n', absl::SkipEmpty());
    ASSERT_THAT(rows, SizeIs(4)) << table.out;
    EXPECT_THAT(rows[0], AllOf(StartsWith("JOB"), HasSubstr("STATE"), HasSubstr("USER"),
                               HasSubstr("TECHNIQUE")));
    // Newest first.
    EXPECT_THAT(rows[1], AllOf(StartsWith(c), HasSubstr("FAILED"), HasSubstr("bob"),
                               HasSubstr("INVALID_INPUT")));
    EXPECT_THAT(rows[2], AllOf(StartsWith(b), HasSubstr("SUCCEEDED"), HasSubstr("ppl wikitext2 12.50")));
    EXPECT_THAT(rows[3], AllOf(StartsWith(a), HasSubstr("SUCCEEDED"), HasSubstr("alice")));
  }

  const ProcessResult json = Ctl({"--output", "json", "list"});
  ASSERT_EQ(json.exit_code, 0) << json.err;
  const auto jobs = JsonLines(json.out);
  ASSERT_THAT(jobs, SizeIs(3)) << json.out;
  std::vector<std::string> ids;
  for (const auto& j : jobs) ids.push_back(j["id"]);
  EXPECT_THAT(ids, ElementsAre(c, b, a));
  EXPECT_EQ(jobs[0]["state"], "FAILED");
  EXPECT_EQ(jobs[1]["perplexity"]["wikitext2"], 12.5);

  const ProcessResult bobs = Ctl({"-o", "json", "ls", "--user", "bob", "--state", "succeeded"});
  ASSERT_EQ(bobs.exit_code, 0) << bobs.err;
  const auto bob_jobs = JsonLines(bobs.out);
  ASSERT_THAT(bob_jobs, SizeIs(1)) << bobs.out;
  EXPECT_EQ(bob_jobs[0]["id"], b);

  const ProcessResult limited = Ctl({"-o", "json", "list", "--limit", "2"});
  EXPECT_THAT(JsonLines(limited.out), SizeIs(2));

  const ProcessResult bad_state = Ctl({"list", "--state", "sleeping"});
  EXPECT_EQ(bad_state.exit_code, 2);
  EXPECT_THAT(bad_state.err, HasSubstr("--state: unknown 'sleeping'"));
}

TEST_F(BinqctlTest, GetShowsOneJob) {
  StartDaemon();
  const std::string id = CtlSubmit("ok", {"--user", "carol", "--nsamples", "8"});
  ASSERT_TRUE(WaitForState(*stub_, id, v1::SUCCEEDED).ok());
  const ProcessResult r = Ctl({"get", id});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_THAT(r.out, HasSubstr("job            " + id));
  EXPECT_THAT(r.out, HasSubstr("state          SUCCEEDED"));
  EXPECT_THAT(r.out, HasSubstr("user           carol"));
  EXPECT_THAT(r.out, HasSubstr("technique      CRB"));
  EXPECT_THAT(r.out, HasSubstr("calibration    wikitext2, 8 × "));
  EXPECT_THAT(r.out, HasSubstr("perplexity     wikitext2 12.50"));
  EXPECT_THAT(r.out, HasSubstr("output         " + state_dir_));
}

TEST_F(BinqctlTest, CancelStopsARunningJobAndRefusesAFinishedOne) {
  StartDaemon();
  const std::string id = CtlSubmit("hang");
  ASSERT_TRUE(WaitForState(*stub_, id, v1::RUNNING).ok());
  const ProcessResult cancel = Ctl({"--output", "json", "cancel", id});
  ASSERT_EQ(cancel.exit_code, 0) << cancel.err;
  const auto lines = JsonLines(cancel.out);
  ASSERT_THAT(lines, SizeIs(1));
  EXPECT_EQ(lines[0]["cancel_requested"], true);
  BINQ_ASSERT_OK_AND_ASSIGN(const v1::Job done, WaitForState(*stub_, id, v1::CANCELLED));
  const ProcessResult got = Ctl({"get", id});
  EXPECT_THAT(got.out, HasSubstr("state          CANCELLED"));
  EXPECT_THAT(got.out, HasSubstr("output         - (none written)"));

  // Finished: nothing to cancel, exit 6 with the server's reason.
  const ProcessResult again = Ctl({"cancel", id});
  EXPECT_EQ(again.exit_code, 6);
  EXPECT_THAT(again.err, HasSubstr("already CANCELLED; there is nothing to cancel"));
  const std::string ok = CtlSubmit("ok");
  ASSERT_TRUE(WaitForState(*stub_, ok, v1::SUCCEEDED).ok());
  const ProcessResult late = Ctl({"cancel", ok});
  EXPECT_EQ(late.exit_code, 6);
  EXPECT_THAT(late.err, HasSubstr("binqctl cancel: job " + ok + " already SUCCEEDED"));

  // A queued job is cancelled at once (the slot is taken by a hanging one).
  const std::string hanging = CtlSubmit("hang");
  ASSERT_TRUE(WaitForState(*stub_, hanging, v1::RUNNING).ok());
  const std::string queued = CtlSubmit("ok");
  const ProcessResult now = Ctl({"cancel", queued});
  EXPECT_EQ(now.exit_code, 0) << now.err;
  EXPECT_THAT(now.out, HasSubstr(queued + " cancelled"));
  EXPECT_EQ(Ctl({"cancel", hanging}).exit_code, 0);
}

TEST_F(BinqctlTest, LogsPrintsTheWorkerLogAndTheStoredEvents) {
  StartDaemon();
  const std::string id = CtlSubmit("ok");
  BINQ_ASSERT_OK_AND_ASSIGN(const v1::Job job, WaitForState(*stub_, id, v1::SUCCEEDED));

  const ProcessResult log = Ctl({"logs", id});
  ASSERT_EQ(log.exit_code, 0) << log.err;
  EXPECT_THAT(log.out, HasSubstr("fake worker: job " + id + " attempt 1"));
  EXPECT_THAT(log.out, HasSubstr("fake worker: done (exit 0)"));
  // --tail: the end, from a line boundary.
  const ProcessResult tail = Ctl({"logs", id, "--tail", "40"});
  ASSERT_EQ(tail.exit_code, 0) << tail.err;
  EXPECT_EQ(tail.out, "fake worker: done (exit 0)\n");
  EXPECT_THAT(tail.err, HasSubstr("showing the end of " + WorkerLog(job)));

  const ProcessResult events = Ctl({"logs", "--events", id});
  ASSERT_EQ(events.exit_code, 0) << events.err;
  EXPECT_THAT(events.out, HasSubstr("state QUEUED"));
  EXPECT_THAT(events.out, HasSubstr("perplexity wikitext2 = 12.500"));
  const std::vector<std::string> lines = absl::StrSplit(events.out, '\n', absl::SkipEmpty());
  ASSERT_FALSE(lines.empty());
  EXPECT_THAT(lines.back(), StartsWith("state SUCCEEDED"));

  const ProcessResult json = Ctl({"-o", "json", "logs", "--events", id});
  ASSERT_EQ(json.exit_code, 0) << json.err;
  const auto stored = JsonLines(json.out);
  EXPECT_EQ(Seqs(stored), OneTo(job.last_seq()));
  ASSERT_FALSE(stored.empty());
  EXPECT_EQ(stored.back()["state_changed"]["state"], "SUCCEEDED");
  for (const auto& e : stored) EXPECT_EQ(e["job_id"], id);

  // A running job's history ends at what is stored: --events never follows.
  const std::string hanging = CtlSubmit("hang");
  ASSERT_TRUE(WaitForJob(*stub_, hanging, [](const v1::Job& j) { return j.last_seq() >= 3; }).ok());
  const ProcessResult so_far = Ctl({"-o", "json", "logs", "--events", hanging});
  EXPECT_EQ(so_far.exit_code, 0) << so_far.err;
  EXPECT_GE(JsonLines(so_far.out).size(), 3u);
  EXPECT_EQ(Ctl({"cancel", hanging}).exit_code, 0);
}

TEST_F(BinqctlTest, ResultShowsPerLayerRowsAndPerplexities) {
  StartDaemon();
  const std::string id = CtlSubmit("ok");
  ASSERT_TRUE(WaitForState(*stub_, id, v1::SUCCEEDED).ok());
  const ProcessResult r = Ctl({"result", id});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_THAT(r.out, HasSubstr("state          SUCCEEDED"));
  int layer_rows = 0;
  for (absl::string_view line : absl::StrSplit(r.out, '\n')) {
    if (absl::StrContains(line, "self_attn.q_proj") || absl::StrContains(line, "mlp.fc1")) {
      ++layer_rows;
      EXPECT_THAT(std::string(line), HasSubstr("64x64")) << line;
    }
  }
  EXPECT_EQ(layer_rows, 6) << r.out;  // 3 blocks × 2 layers
  EXPECT_THAT(r.out, HasSubstr("summary: CRB, 6 layers"));
  EXPECT_THAT(r.out, HasSubstr("perplexity     wikitext2 12.50"));
  EXPECT_THAT(r.out, HasSubstr("files: "));

  const ProcessResult json = Ctl({"-o", "json", "result", id});
  ASSERT_EQ(json.exit_code, 0) << json.err;
  const auto lines = JsonLines(json.out);
  ASSERT_THAT(lines, SizeIs(1));
  EXPECT_EQ(lines[0]["job"]["id"], id);
  ASSERT_EQ(lines[0]["layers"].size(), 6u);
  EXPECT_EQ(lines[0]["layers"][5]["name"], "mlp.fc1");
  EXPECT_EQ(lines[0]["layers"][5]["block"], 2);
  EXPECT_DOUBLE_EQ(lines[0]["layers"][5]["relative_error"].get<double>(), 0.03);
  EXPECT_EQ(lines[0]["summary"]["perplexity"]["wikitext2"], 12.5);
}

}  // namespace
}  // namespace binq::testing
