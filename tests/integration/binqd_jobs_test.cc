// binqd end to end with fake workers: submit → watch → result, several
// watchers, resuming a watch, idempotent submit, scheduling order, the
// queue feed, heartbeats, and submit validation.
#include <set>
#include <thread>

#include "tests/integration/binqd_fixture.h"

namespace binq::testing {
namespace {

using ::testing::AllOf;
using ::testing::ElementsAre;
using ::testing::HasSubstr;

TEST_F(BinqdTest, SubmitWatchResult) {
  StartDaemon();
  const v1::Job submitted = Submit("ok");
  EXPECT_THAT(submitted.id(), ::testing::MatchesRegex("j-[0-9a-f]{12}"));
  EXPECT_EQ(submitted.state(), v1::QUEUED);
  EXPECT_EQ(submitted.attempt(), 1);
  // Defaults are filled in and the technique is canonical.
  EXPECT_EQ(submitted.spec().technique(), "CRB");
  EXPECT_EQ(submitted.spec().technique_options().at("blocksize").number_value(), 128);
  EXPECT_EQ(submitted.spec().dataset(), "wikitext2");

  const WatchResult watch = WatchJob(*stub_, submitted.id(), 0);
  ASSERT_TRUE(watch.status.ok()) << watch.status.error_message();
  const std::vector<v1::JobEvent> events = WithoutHeartbeats(watch.events);
  ExpectGapFree(events);
  EXPECT_THAT(States(events), ElementsAre(v1::QUEUED, v1::RUNNING, v1::SUCCEEDED));
  int layers = 0, blocks = 0;
  for (const v1::JobEvent& e : events) {
    EXPECT_EQ(e.job_id(), submitted.id());
    layers += e.has_layer();
    blocks += e.has_block();
  }
  // The fake resends a batch once; the daemon stored each event once.
  EXPECT_EQ(layers, 6);
  EXPECT_EQ(blocks, 3);
  EXPECT_EQ(events.back().state_changed().slot(), "cpu:0");

  BINQ_ASSERT_OK_AND_ASSIGN(v1::Job done, WaitForState(*stub_, submitted.id(), v1::SUCCEEDED));
  EXPECT_EQ(done.last_seq(), events.back().seq());
  EXPECT_DOUBLE_EQ(done.perplexity().at("wikitext2"), 12.5);
  EXPECT_EQ(done.progress().block(), 3);
  EXPECT_EQ(done.progress().num_blocks(), 3);
  EXPECT_DOUBLE_EQ(done.progress().percent(), 100);
  EXPECT_TRUE(done.has_start_time());
  EXPECT_TRUE(done.has_end_time());
  EXPECT_TRUE(done.slot().empty());

  // The worker saw the contract: CPU slot → empty CUDA_VISIBLE_DEVICES, the
  // data root, a 64-digit token, its own process group.
  const std::string log = ReadFileOrEmpty(WorkerLog(done));
  EXPECT_THAT(log, HasSubstr(absl::StrCat("job ", done.id(), " attempt 1 daemon 127.0.0.1:")));
  EXPECT_THAT(log, HasSubstr(absl::StrCat("CUDA_VISIBLE_DEVICES='' BINQ_DATA_DIR='", data_dir_,
                                          "' token length 64 pgid==pid yes")));
  // A finished job's watch ends at once for a watcher that has seen it all.
  const WatchResult again = WatchJob(*stub_, done.id(), done.last_seq());
  EXPECT_TRUE(again.status.ok());
  EXPECT_TRUE(WithoutHeartbeats(again.events).empty());
}

TEST_F(BinqdTest, TwoWatchersSeeTheSameEvents) {
  StartDaemon();
  const v1::Job job = Submit("slow:20");
  WatchResult a, b;
  std::thread ta([&] { a = WatchJob(*stub_, job.id(), 0); });
  std::thread tb([&] { b = WatchJob(*stub_, job.id(), 0); });
  ta.join();
  tb.join();
  ASSERT_TRUE(a.status.ok()) << a.status.error_message();
  ASSERT_TRUE(b.status.ok()) << b.status.error_message();
  const auto ea = WithoutHeartbeats(a.events), eb = WithoutHeartbeats(b.events);
  ASSERT_EQ(ea.size(), eb.size());
  for (size_t i = 0; i < ea.size(); ++i) {
    EXPECT_EQ(ea[i].SerializeAsString(), eb[i].SerializeAsString()) << "event " << i;
  }
  ExpectGapFree(ea);
  EXPECT_EQ(States(ea).back(), v1::SUCCEEDED);
}

TEST_F(BinqdTest, ReconnectingWatcherMissesNothingAndSeesNothingTwice) {
  StartDaemon();
  const v1::Job job = Submit("slow:30");
  // Read 5 events, hang up, come back with the last seq, twice.
  std::vector<v1::JobEvent> seen;
  int64_t after = 0;
  for (int round = 0; round < 2; ++round) {
    const WatchResult part = WatchJob(*stub_, job.id(), after, absl::Seconds(30), /*stop_after=*/5);
    const auto events = WithoutHeartbeats(part.events);
    ASSERT_EQ(events.size(), 5u) << part.status.error_message();
    seen.insert(seen.end(), events.begin(), events.end());
    after = events.back().seq();
  }
  const WatchResult rest = WatchJob(*stub_, job.id(), after);
  ASSERT_TRUE(rest.status.ok()) << rest.status.error_message();
  const auto tail = WithoutHeartbeats(rest.events);
  seen.insert(seen.end(), tail.begin(), tail.end());
  ExpectGapFree(seen);
  EXPECT_EQ(States(seen).back(), v1::SUCCEEDED);
  // The whole log, read afresh, is exactly what the reconnecting watcher saw.
  const auto full = WithoutHeartbeats(WatchJob(*stub_, job.id(), 0).events);
  ASSERT_EQ(full.size(), seen.size());
  for (size_t i = 0; i < full.size(); ++i) {
    EXPECT_EQ(full[i].SerializeAsString(), seen[i].SerializeAsString()) << "event " << i;
  }
}

TEST_F(BinqdTest, IdleWatcherGetsHeartbeatsWithTheCurrentSeq) {
  StartDaemon({"--heartbeat-interval", "100ms"});
  const v1::Job job = Submit("hang");
  ASSERT_TRUE(WaitForFile(JobFile(job, "fake-worker.1.pid")));
  BINQ_ASSERT_OK_AND_ASSIGN(
      v1::Job running, WaitForJob(*stub_, job.id(), [](const v1::Job& j) { return j.last_seq() >= 3; }));
  grpc::ClientContext ctx;
  v1::WatchJobRequest req;
  req.set_job_id(job.id());
  req.set_after_seq(running.last_seq());
  auto reader = stub_->WatchJob(&ctx, req);
  v1::JobEvent event;
  ASSERT_TRUE(reader->Read(&event));
  EXPECT_TRUE(event.has_heartbeat()) << event.ShortDebugString();
  EXPECT_EQ(event.seq(), running.last_seq());
  EXPECT_EQ(event.job_id(), job.id());
  ctx.TryCancel();
  (void)reader->Finish();
  v1::Job cancelled;
  ASSERT_TRUE(Cancel(job.id(), &cancelled).ok());
}

// One job per GPU slot, each worker seeing only its GPU; a CPU job on a CPU
// slot sees none. (binqd takes --gpus indices as given, so this runs without
// a GPU.)
TEST_F(BinqdTest, EachWorkerSeesOnlyItsSlotsGpu) {
  StartDaemon({"--gpus", "0,1", "--cpu-slots", "1"});
  const v1::Job g1 = Submit("hang");
  const v1::Job g2 = Submit("hang");
  v1::SubmitJobRequest cpu_req = Request("hang");
  cpu_req.mutable_spec()->set_device("cpu");
  v1::Job cpu;
  ASSERT_TRUE(SubmitRaw(cpu_req, &cpu).ok());
  const v1::Job waiting = Submit("ok");  // both GPUs busy: it waits
  std::map<std::string, std::string> slot_of;
  for (const v1::Job& job : {g1, g2, cpu}) {
    ASSERT_TRUE(WaitForWorkerLog(job, "hanging in LOADING"));
    BINQ_ASSERT_OK_AND_ASSIGN(v1::Job running, WaitForState(*stub_, job.id(), v1::RUNNING));
    slot_of[job.id()] = running.slot();
    const std::string visible =
        running.slot() == "cpu:0" ? "" : running.slot().substr(std::string("gpu:").size());
    EXPECT_THAT(ReadFileOrEmpty(WorkerLog(job)),
                HasSubstr("CUDA_VISIBLE_DEVICES='" + visible + "'"))
        << running.slot();
  }
  EXPECT_EQ(slot_of[cpu.id()], "cpu:0");
  EXPECT_THAT((std::set<std::string>{slot_of[g1.id()], slot_of[g2.id()]}),
              ::testing::ElementsAre("gpu:0", "gpu:1"));
  BINQ_ASSERT_OK_AND_ASSIGN(v1::Job still, WaitForState(*stub_, waiting.id(), v1::QUEUED));
  EXPECT_TRUE(still.slot().empty());
  v1::Job j;
  ASSERT_TRUE(Cancel(g1.id(), &j).ok());
  BINQ_ASSERT_OK_AND_ASSIGN(v1::Job ran, WaitForState(*stub_, waiting.id(), v1::SUCCEEDED));
  EXPECT_EQ(ran.progress().percent(), 100);
  for (const v1::Job& job : {g2, cpu}) ASSERT_TRUE(Cancel(job.id(), &j).ok());
}

TEST_F(BinqdTest, IdempotentSubmitByRequestId) {
  StartDaemon();
  v1::Job first, second;
  ASSERT_TRUE(SubmitRaw(Request("ok", "alice", 0, "req-42"), &first).ok());
  ASSERT_TRUE(SubmitRaw(Request("ok", "alice", 0, "req-42"), &second).ok());
  EXPECT_EQ(first.id(), second.id());
  EXPECT_EQ(second.request_id(), "req-42");
  BINQ_ASSERT_OK_AND_ASSIGN(v1::Job done, WaitForState(*stub_, first.id(), v1::SUCCEEDED));
  // Still the same job once it has finished, and only one was ever stored.
  v1::Job third;
  ASSERT_TRUE(SubmitRaw(Request("ok", "alice", 0, "req-42"), &third).ok());
  EXPECT_EQ(third.id(), first.id());
  EXPECT_EQ(third.state(), v1::SUCCEEDED);
  EXPECT_EQ(List().jobs_size(), 1);
}

TEST_F(BinqdTest, FairShareRunsTheLighterUserFirstOnOneSlot) {
  StartDaemon();
  // alice holds the only slot for a while, so she has used more.
  const v1::Job blocker = Submit("hang", "alice");
  ASSERT_TRUE(WaitForFile(JobFile(blocker, "fake-worker.1.pid")));
  absl::SleepFor(absl::Milliseconds(300));  // usage to charge; not a wait for a condition
  const v1::Job a1 = Submit("ok", "alice");
  const v1::Job a2 = Submit("ok", "alice");
  const v1::Job b1 = Submit("ok", "bob");
  const v1::Job urgent = Submit("ok", "alice", /*priority=*/5);
  v1::Job j;
  ASSERT_TRUE(Cancel(blocker.id(), &j).ok());
  std::map<std::string, double> start;
  for (const v1::Job& job : {a1, a2, b1, urgent}) {
    BINQ_ASSERT_OK_AND_ASSIGN(v1::Job done, WaitForState(*stub_, job.id(), v1::SUCCEEDED));
    start[job.id()] = done.start_time().seconds() + done.start_time().nanos() * 1e-9;
  }
  // Priority first, then the user with less usage (bob), then submission order.
  EXPECT_LT(start[urgent.id()], start[b1.id()]);
  EXPECT_LT(start[b1.id()], start[a1.id()]);
  EXPECT_LT(start[a1.id()], start[a2.id()]);
}

TEST_F(BinqdTest, ListJobsFiltersAndPages) {
  StartDaemon();
  const v1::Job blocker = Submit("hang", "alice");
  std::vector<std::string> queued;
  for (int i = 0; i < 3; ++i) queued.push_back(Submit("ok", i == 1 ? "bob" : "carol").id());
  ASSERT_TRUE(WaitForState(*stub_, blocker.id(), v1::RUNNING).ok());

  grpc::ClientContext c1;
  v1::ListJobsRequest req;
  req.set_page_size(2);
  v1::ListJobsResponse page1;
  ASSERT_TRUE(stub_->ListJobs(&c1, req, &page1).ok());
  ASSERT_EQ(page1.jobs_size(), 2);
  EXPECT_EQ(page1.jobs(0).id(), queued[2]);  // newest first
  EXPECT_EQ(page1.jobs(1).id(), queued[1]);
  ASSERT_FALSE(page1.next_page_token().empty());
  grpc::ClientContext c2;
  req.set_page_token(page1.next_page_token());
  v1::ListJobsResponse page2;
  ASSERT_TRUE(stub_->ListJobs(&c2, req, &page2).ok());
  ASSERT_EQ(page2.jobs_size(), 2);
  EXPECT_EQ(page2.jobs(0).id(), queued[0]);
  EXPECT_EQ(page2.jobs(1).id(), blocker.id());
  EXPECT_TRUE(page2.next_page_token().empty());

  grpc::ClientContext c3;
  v1::ListJobsRequest by_user;
  by_user.set_user("bob");
  v1::ListJobsResponse bobs;
  ASSERT_TRUE(stub_->ListJobs(&c3, by_user, &bobs).ok());
  ASSERT_EQ(bobs.jobs_size(), 1);
  EXPECT_EQ(bobs.jobs(0).id(), queued[1]);
  EXPECT_EQ(List(v1::RUNNING).jobs_size(), 1);

  grpc::ClientContext c4;
  v1::ListJobsRequest bad;
  bad.set_page_token("not-a-token");
  v1::ListJobsResponse ignored;
  const grpc::Status s = stub_->ListJobs(&c4, bad, &ignored);
  EXPECT_EQ(s.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_THAT(s.error_message(), HasSubstr("page_token"));
  v1::Job j;
  ASSERT_TRUE(Cancel(blocker.id(), &j).ok());
}

TEST_F(BinqdTest, WatchQueueSnapshotThenLiveThenResume) {
  StartDaemon();
  const v1::Job first = Submit("hang");
  ASSERT_TRUE(WaitForState(*stub_, first.id(), v1::RUNNING).ok());

  grpc::ClientContext ctx;
  v1::WatchQueueRequest req;  // after_seq 0: a snapshot first
  auto reader = stub_->WatchQueue(&ctx, req);
  v1::QueueEvent e;
  ASSERT_TRUE(reader->Read(&e));
  EXPECT_EQ(e.job().id(), first.id());
  EXPECT_EQ(e.job().state(), v1::RUNNING);
  EXPECT_EQ(e.kind_case(), v1::QueueEvent::KIND_NOT_SET);
  const int64_t snapshot_seq = e.seq();

  const v1::Job second = Submit("ok", "bob");
  v1::Job j;
  ASSERT_TRUE(Cancel(first.id(), &j).ok());
  // Live: second submitted, first cancelled, second started and finished.
  std::vector<std::pair<std::string, v1::JobState>> changes;
  int64_t last = snapshot_seq;
  while (reader->Read(&e)) {
    if (e.has_heartbeat()) continue;
    EXPECT_EQ(e.seq(), last + 1) << "gap-free";
    last = e.seq();
    if (e.has_state_changed()) changes.emplace_back(e.job().id(), e.state_changed().state());
    if (e.job().id() == second.id() && e.job().state() == v1::SUCCEEDED) break;
  }
  ctx.TryCancel();
  (void)reader->Finish();
  EXPECT_THAT(changes, ::testing::IsSupersetOf({std::make_pair(second.id(), v1::QUEUED),
                                                std::make_pair(first.id(), v1::CANCELLED),
                                                std::make_pair(second.id(), v1::RUNNING),
                                                std::make_pair(second.id(), v1::SUCCEEDED)}));

  // Resume from the snapshot point: the same changes, replayed from the store.
  grpc::ClientContext ctx2;
  v1::WatchQueueRequest resume;
  resume.set_after_seq(snapshot_seq);
  auto replay = stub_->WatchQueue(&ctx2, resume);
  int64_t expected = snapshot_seq + 1;
  while (expected <= last && replay->Read(&e)) {
    if (e.has_heartbeat()) continue;
    EXPECT_EQ(e.seq(), expected++);
  }
  EXPECT_EQ(expected, last + 1);
  ctx2.TryCancel();
  (void)replay->Finish();
}

google::protobuf::Value& SetOption(v1::SubmitJobRequest& r, const std::string& key) {
  return (*r.mutable_spec()->mutable_technique_options())[key];
}

#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wdeprecated-declarations"
void DeprecatedCorrDamp(v1::SubmitJobRequest& r, double value) {  // as clients before technique_options
  r.mutable_spec()->set_corr_damp(value);
}
#pragma GCC diagnostic pop

// Each bad spec is refused with the right code and a message that names the
// field (and, for files, where the daemon looked); nothing is stored.
TEST_F(BinqdTest, BadSpecsAreRefusedAndNothingIsStored) {
  StartDaemon();
  struct Case {
    std::string name;
    std::function<void(v1::SubmitJobRequest&)> edit;
    grpc::StatusCode code;
    std::vector<std::string> message;
  };
  const std::vector<Case> cases = {
      {"unknown technique", [](auto& r) { r.mutable_spec()->set_technique("billm2"); },
       grpc::StatusCode::INVALID_ARGUMENT, {"technique: unknown 'billm2'"}},
      {"missing model dir", [&](auto& r) { r.mutable_spec()->set_model(root_ + "/models/nope"); },
       grpc::StatusCode::NOT_FOUND, {"model", root_ + "/models/nope"}},
      {"hub id not cached", [](auto& r) { r.mutable_spec()->set_model("nobody/nothing"); },
       grpc::StatusCode::NOT_FOUND, {"model 'nobody/nothing'", "hf-cache/models--nobody--nothing"}},
      {"blocksize 0", [](auto& r) { SetOption(r, "blocksize").set_number_value(0); },
       grpc::StatusCode::INVALID_ARGUMENT, {"blocksize: must be ≥ 1, got 0"}},
      {"corr_damp out of range", [](auto& r) { SetOption(r, "corr_damp").set_number_value(2); },
       grpc::StatusCode::INVALID_ARGUMENT, {"corr_damp: must be in [0, 1), got 2"}},
      {"option of another technique", [](auto& r) { SetOption(r, "wbits").set_number_value(3); },
       grpc::StatusCode::INVALID_ARGUMENT, {"wbits: not an option of CRB"}},
      {"option of the wrong type", [](auto& r) { SetOption(r, "lam").set_string_value("tiny"); },
       grpc::StatusCode::INVALID_ARGUMENT, {"lam: must be a number, got 'tiny'"}},
      {"option value a list", [](auto& r) { SetOption(r, "lam").mutable_list_value(); },
       grpc::StatusCode::INVALID_ARGUMENT, {"technique_options.lam"}},
      {"deprecated field out of range", [](auto& r) { DeprecatedCorrDamp(r, 1.5); },
       grpc::StatusCode::INVALID_ARGUMENT, {"corr_damp: must be in [0, 1), got 1.5"}},
      {"nsamples too large", [](auto& r) { r.mutable_spec()->set_nsamples(1000000); },
       grpc::StatusCode::INVALID_ARGUMENT, {"nsamples: must be ≤ 100000, got 1000000"}},
      {"unknown dataset", [](auto& r) { r.mutable_spec()->set_dataset("wikitext3"); },
       grpc::StatusCode::INVALID_ARGUMENT, {"dataset: unknown dataset 'wikitext3'"}},
      {"dataset files missing", [](auto& r) { r.mutable_spec()->set_dataset("ptb"); },
       grpc::StatusCode::NOT_FOUND, {"dataset ptb", "/data/ptb/ptb.train.txt"}},
      {"eval dataset missing", [](auto& r) { r.mutable_spec()->add_eval_datasets("c4"); },
       grpc::StatusCode::NOT_FOUND, {"eval_datasets: dataset c4", "c4-train.00000-of-01024.json.gz"}},
      {"no GPU slots", [](auto& r) { r.mutable_spec()->set_device("cuda"); },
       grpc::StatusCode::FAILED_PRECONDITION, {"device: cuda", "--gpus none"}},
  };
  for (const Case& c : cases) {
    v1::SubmitJobRequest req = Request("ok");
    c.edit(req);
    v1::Job job;
    const grpc::Status s = SubmitRaw(req, &job);
    EXPECT_EQ(s.error_code(), c.code) << c.name << ": " << s.error_message();
    for (const std::string& part : c.message) {
      EXPECT_THAT(s.error_message(), HasSubstr(part)) << c.name;
    }
  }
  EXPECT_EQ(List().jobs_size(), 0);
  // And a good one still goes through.
  EXPECT_EQ(Submit("ok").state(), v1::QUEUED);
}

// The stored job carries every option of its technique; ListTechniques
// answers with the catalog the daemon validates against.
TEST_F(BinqdTest, TechniqueOptionsAreStoredResolvedAndTheCatalogIsListed) {
  StartDaemon();
  v1::SubmitJobRequest req = Request("ok");
  SetOption(req, "corr-damp").set_number_value(0.25);
  SetOption(req, "blocksize").set_number_value(64);
  v1::Job job;
  ASSERT_TRUE(SubmitRaw(req, &job).ok());
  EXPECT_EQ(job.spec().technique(), "CRB");
  const auto& options = job.spec().technique_options();
  EXPECT_EQ(options.at("corr_damp").number_value(), 0.25);
  EXPECT_EQ(options.at("blocksize").number_value(), 64);
  EXPECT_EQ(options.at("lam").number_value(), 1e-5);  // the default, filled in
  EXPECT_EQ(options.at("crb_variant").string_value(), "current");

  grpc::ClientContext ctx;
  v1::ListTechniquesResponse catalog;
  ASSERT_TRUE(stub_->ListTechniques(&ctx, v1::ListTechniquesRequest(), &catalog).ok());
  std::vector<std::string> names;
  for (const v1::Technique& t : catalog.techniques()) names.push_back(t.name());
  EXPECT_THAT(names, ::testing::IsSupersetOf({"braq", "CRB", "CRBOG", "none", "rtn", "sign"}));
}

TEST_F(BinqdTest, UnknownJobIsNotFound) {
  StartDaemon();
  grpc::ClientContext ctx;
  v1::GetJobRequest req;
  req.set_job_id("j-000000000000");
  v1::Job job;
  const grpc::Status s = stub_->GetJob(&ctx, req, &job);
  EXPECT_EQ(s.error_code(), grpc::StatusCode::NOT_FOUND);
  EXPECT_THAT(s.error_message(), HasSubstr("j-000000000000"));
  const WatchResult watch = WatchJob(*stub_, "j-000000000000", 0);
  EXPECT_EQ(watch.status.error_code(), grpc::StatusCode::NOT_FOUND);
}

}  // namespace
}  // namespace binq::testing
