// binqd's durability: killed with SIGKILL and restarted it loses no accepted
// job; running jobs are re-queued with attempt + 1 and a worker of the old
// attempt can no longer write; SIGTERM shuts it down gracefully (health
// NOT_SERVING, watches UNAVAILABLE, running jobs re-queued).
#include <thread>

#include "absl/synchronization/notification.h"
#include "tests/integration/binqd_fixture.h"
#include "tests/integration/grpc_health_v1.grpc.pb.h"
#include "tests/integration/grpc_reflection_v1alpha.grpc.pb.h"

namespace binq::testing {
namespace {

using ::testing::AllOf;
using ::testing::HasSubstr;

namespace health = ::grpc::health::v1;
namespace reflection = ::grpc::reflection::v1alpha;

TEST_F(BinqdTest, DaemonKilledAndRestartedKeepsEveryJob) {
  StartDaemon();
  const v1::Job running = Submit("hang-then-ok");
  const v1::Job queued1 = Submit("ok", "bob");
  const v1::Job queued2 = Submit("ok", "carol");
  const pid_t old_worker = WorkerPid(running, 1);
  const std::string old_token = ReadFileOrEmpty(JobFile(running, "fake-worker.1.token"));
  ASSERT_EQ(old_token.size(), 64u);
  BINQ_ASSERT_OK_AND_ASSIGN(
      const v1::Job before,
      WaitForJob(*stub_, running.id(), [](const v1::Job& j) { return j.last_seq() >= 3; }));

  ASSERT_EQ(daemon_->Stop(SIGKILL), 128 + SIGKILL);
  // The orphaned attempt-1 worker notices its daemon is gone and leaves.
  EXPECT_TRUE(ProcessGone(old_worker));

  StartDaemon();
  // Every accepted job is there; the running one is re-queued as attempt 2.
  for (const v1::Job& job : {running, queued1, queued2}) {
    BINQ_ASSERT_OK_AND_ASSIGN(v1::Job done, WaitForState(*stub_, job.id(), v1::SUCCEEDED));
    EXPECT_EQ(done.attempt(), job.id() == running.id() ? 2 : 1) << job.id();
  }
  const auto events = WithoutHeartbeats(WatchJob(*stub_, running.id(), 0).events);
  ExpectGapFree(events);
  // Attempt 1's events are kept, then the requeue says why.
  ASSERT_GT(events.size(), static_cast<size_t>(before.last_seq()));
  const v1::JobEvent& requeue = events[before.last_seq()];
  ASSERT_TRUE(requeue.has_state_changed()) << requeue.ShortDebugString();
  EXPECT_EQ(requeue.state_changed().state(), v1::QUEUED);
  EXPECT_EQ(requeue.state_changed().attempt(), 2);
  EXPECT_THAT(requeue.state_changed().message(),
              AllOf(HasSubstr("binqd restarted"), HasSubstr("attempt 1 was running")));
  EXPECT_EQ(List().jobs_size(), 3);
}

// A worker of an old attempt cannot write into the new one: its token
// belonged to attempt 1 only.
TEST_F(BinqdTest, OldAttemptTokenIsRejectedAfterRestart) {
  StartDaemon();
  const v1::Job job = Submit("stubborn");  // outlives its daemon
  const pid_t old_worker = WorkerPid(job, 1);
  const std::string old_token = ReadFileOrEmpty(JobFile(job, "fake-worker.1.token"));
  ASSERT_TRUE(WaitForJob(*stub_, job.id(), [](const v1::Job& j) { return j.last_seq() >= 3; }).ok());
  ASSERT_EQ(daemon_->Stop(SIGKILL), 128 + SIGKILL);
  EXPECT_FALSE(ProcessGone(old_worker, absl::Milliseconds(200))) << "stubborn outlives binqd";

  StartDaemon();
  // Recovery found the orphan by its pid and argv and killed it.
  EXPECT_TRUE(ProcessGone(old_worker));
  BINQ_ASSERT_OK_AND_ASSIGN(
      v1::Job again, WaitForJob(*stub_, job.id(), [](const v1::Job& j) {
        return j.state() == v1::RUNNING && j.attempt() == 2;
      }));
  const int64_t seq_before = again.last_seq();

  auto worker_stub = v1::internal::WorkerService::NewStub(
      grpc::CreateChannel(daemon_->WorkerAddress(), grpc::InsecureChannelCredentials()));
  auto report = [&](int attempt, const std::string& token) {
    grpc::ClientContext ctx;
    v1::internal::ReportEventsRequest req;
    req.set_job_id(job.id());
    req.set_attempt(attempt);
    req.set_token(token);
    auto* e = req.add_events();
    e->set_worker_seq(1);
    e->mutable_event()->mutable_warning()->set_message("from a stale worker");
    v1::internal::ReportEventsResponse resp;
    return worker_stub->ReportEvents(&ctx, req, &resp);
  };
  const grpc::Status old_attempt = report(1, old_token);
  EXPECT_EQ(old_attempt.error_code(), grpc::StatusCode::FAILED_PRECONDITION);
  EXPECT_THAT(old_attempt.error_message(), HasSubstr("attempt 1 is not running"));
  const grpc::Status old_token_new_attempt = report(2, old_token);
  EXPECT_EQ(old_token_new_attempt.error_code(), grpc::StatusCode::PERMISSION_DENIED);
  grpc::ClientContext finish_ctx;
  v1::internal::FinishWorkRequest finish;
  finish.set_job_id(job.id());
  finish.set_attempt(1);
  finish.set_token(old_token);
  v1::internal::FinishWorkResponse finish_resp;
  EXPECT_EQ(worker_stub->FinishWork(&finish_ctx, finish, &finish_resp).error_code(),
            grpc::StatusCode::FAILED_PRECONDITION);

  BINQ_ASSERT_OK_AND_ASSIGN(v1::Job after, WaitForState(*stub_, job.id(), v1::RUNNING));
  EXPECT_EQ(after.attempt(), 2);
  EXPECT_GE(after.last_seq(), seq_before);
  v1::Job cancelled;
  ASSERT_TRUE(Cancel(job.id(), &cancelled).ok());
  ASSERT_TRUE(WaitForState(*stub_, job.id(), v1::CANCELLED).ok());
  for (const v1::JobEvent& e : WithoutHeartbeats(WatchJob(*stub_, job.id(), 0).events)) {
    EXPECT_NE(e.warning().message(), "from a stale worker") << "stored at seq " << e.seq();
  }
}

TEST_F(BinqdTest, SigtermShutsDownGracefullyAndRequeuesRunningJobs) {
  StartDaemon({"--cancel-grace", "5s"});
  const v1::Job job = Submit("hang-then-ok");
  ASSERT_TRUE(WaitForFile(JobFile(job, "fake-worker.1.pid")));

  auto health_stub = health::Health::NewStub(daemon_->Channel());
  {
    grpc::ClientContext ctx;
    health::HealthCheckRequest req;
    health::HealthCheckResponse resp;
    ASSERT_TRUE(health_stub->Check(&ctx, req, &resp).ok());
    EXPECT_EQ(resp.status(), health::HealthCheckResponse::SERVING);
  }
  // A health watcher and a job watcher, both open when SIGTERM arrives.
  grpc::ClientContext health_ctx;
  health::HealthCheckRequest health_req;
  auto health_reader = health_stub->Watch(&health_ctx, health_req);
  health::HealthCheckResponse status;
  ASSERT_TRUE(health_reader->Read(&status));
  EXPECT_EQ(status.status(), health::HealthCheckResponse::SERVING);
  grpc::ClientContext watch_ctx;
  v1::WatchJobRequest watch_req;
  watch_req.set_job_id(job.id());
  auto job_reader = stub_->WatchJob(&watch_ctx, watch_req);
  v1::JobEvent e;
  ASSERT_TRUE(job_reader->Read(&e));

  int exit_code = -2;
  std::thread stopper([&] { exit_code = daemon_->Stop(SIGTERM); });
  std::vector<health::HealthCheckResponse::ServingStatus> statuses;
  while (health_reader->Read(&status)) statuses.push_back(status.status());
  (void)health_reader->Finish();
  while (job_reader->Read(&e)) {
  }
  const grpc::Status watch_end = job_reader->Finish();
  stopper.join();
  EXPECT_EQ(exit_code, 0) << daemon_->Stderr();
  EXPECT_THAT(statuses, ::testing::Contains(health::HealthCheckResponse::NOT_SERVING));
  EXPECT_EQ(watch_end.error_code(), grpc::StatusCode::UNAVAILABLE) << watch_end.error_message();
  EXPECT_THAT(watch_end.error_message(), HasSubstr("shutting down"));

  StartDaemon();
  BINQ_ASSERT_OK_AND_ASSIGN(v1::Job done, WaitForState(*stub_, job.id(), v1::SUCCEEDED));
  EXPECT_EQ(done.attempt(), 2);
  bool saw_requeue = false;
  for (const v1::JobEvent& ev : WithoutHeartbeats(WatchJob(*stub_, job.id(), 0).events)) {
    if (ev.has_state_changed() && ev.state_changed().state() == v1::QUEUED &&
        ev.state_changed().attempt() == 2) {
      saw_requeue = true;
      EXPECT_THAT(ev.state_changed().message(), HasSubstr("binqd shut down while attempt 1 was running"));
    }
  }
  EXPECT_TRUE(saw_requeue);
}

TEST_F(BinqdTest, SecondDaemonOnTheSameStateDirIsRefused) {
  StartDaemon();
  auto second = DaemonProcess::Start(BINQD_PATH, DaemonArgs({}));
  ASSERT_FALSE(second.ok());
  EXPECT_THAT(std::string(second.status().message()), HasSubstr("in use by another binqd"));
}

TEST_F(BinqdTest, HealthCheckServing) {
  StartDaemon();
  auto health_stub = health::Health::NewStub(daemon_->Channel());
  for (const std::string service : {"", "binq.v1.BinqService"}) {
    grpc::ClientContext ctx;
    health::HealthCheckRequest req;
    req.set_service(service);
    health::HealthCheckResponse resp;
    const grpc::Status s = health_stub->Check(&ctx, req, &resp);
    ASSERT_TRUE(s.ok()) << service << ": " << s.error_message();
    EXPECT_EQ(resp.status(), health::HealthCheckResponse::SERVING) << service;
  }
}

// grpcurl and grpc_cli discover the API through server reflection.
TEST_F(BinqdTest, ReflectionListsTheServices) {
  StartDaemon();
  auto stub = reflection::ServerReflection::NewStub(daemon_->Channel());
  grpc::ClientContext ctx;
  ctx.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(10));
  auto stream = stub->ServerReflectionInfo(&ctx);
  reflection::ServerReflectionRequest request;
  request.set_list_services("*");
  ASSERT_TRUE(stream->Write(request));
  ASSERT_TRUE(stream->WritesDone());
  reflection::ServerReflectionResponse response;
  ASSERT_TRUE(stream->Read(&response));
  ASSERT_TRUE(response.has_list_services_response()) << response.error_response().error_message();
  std::vector<std::string> names;
  for (const auto& service : response.list_services_response().service()) names.push_back(service.name());
  EXPECT_THAT(names, ::testing::IsSupersetOf({"binq.v1.BinqService", "grpc.health.v1.Health"}));
  // The worker API is internal: served on its own address, not listed here.
  EXPECT_THAT(names, ::testing::Not(::testing::Contains("binq.v1.internal.WorkerService")));
  EXPECT_FALSE(stream->Read(&response));
  EXPECT_TRUE(stream->Finish().ok());
}

TEST(BinqdBinaryTest, DoesNotLinkLibtorch) {
  const ProcessResult ldd = RunProcess({"/usr/bin/ldd", BINQD_PATH});
  ASSERT_EQ(ldd.exit_code, 0) << ldd.err;
  EXPECT_THAT(ldd.out, HasSubstr("libgrpc++"));  // the check reads real output
  EXPECT_THAT(ldd.out, ::testing::Not(HasSubstr("torch")));
  EXPECT_THAT(ldd.out, ::testing::Not(HasSubstr("libc10")));
}

TEST(BinqdBinaryTest, BadFlagsExitWithUsageCodeNamingTheFlag) {
  const ProcessResult r = RunProcess({BINQD_PATH, "--cancel-grace", "soon"});
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_THAT(r.err, HasSubstr("--cancel-grace: expected a duration"));
  const ProcessResult help = RunProcess({BINQD_PATH, "--help"});
  EXPECT_EQ(help.exit_code, 0);
  EXPECT_THAT(help.out, AllOf(HasSubstr("--state-dir"), HasSubstr("--config FILE")));
}

}  // namespace
}  // namespace binq::testing
