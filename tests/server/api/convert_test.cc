#include <cmath>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "core/base/technique_catalog.h"
#include "proto/convert/catalog_convert.h"
#include "proto/convert/event_convert.h"
#include "proto/convert/grpc_status.h"
#include "server/api/job_convert.h"
#include "proto/convert/spec_convert.h"
#include "proto/convert/state_convert.h"
#include "tests/testing/status_matchers.h"

namespace binq::server {
namespace {

using ::binq::testing::StatusIs;
using ::testing::HasSubstr;

TEST(SpecConvertTest, EmptyProtoTakesTheDefaults) {
  v1::JobSpec proto;
  proto.set_model("m");
  proto.set_technique("braq");
  const JobSpec spec = *api::SpecFromProto(proto);
  const JobSpec defaults;
  EXPECT_EQ(spec.model, "m");
  EXPECT_EQ(spec.dataset, defaults.dataset);
  EXPECT_TRUE(spec.technique_options.empty());  // the technique's defaults, filled at validation
  EXPECT_EQ(spec.nsamples, defaults.nsamples);
  EXPECT_EQ(spec.seqlen, defaults.seqlen);
  EXPECT_EQ(spec.device, "auto");
  EXPECT_EQ(spec.dtype, "auto");
  EXPECT_TRUE(spec.save_model);
  EXPECT_TRUE(spec.save_packed);
}

TEST(SpecConvertTest, ExplicitZeroIsKeptSoValidationSeesIt) {
  v1::JobSpec proto;
  proto.set_model("m");
  proto.set_technique("CRB");
  (*proto.mutable_technique_options())["blocksize"].set_number_value(0);
  proto.set_nsamples(0);
  proto.set_save_model(false);
  const JobSpec spec = *api::SpecFromProto(proto);
  EXPECT_EQ(spec.technique_options.at("blocksize"), OptionValue(int64_t{0}));
  EXPECT_EQ(spec.nsamples, 0);
  EXPECT_FALSE(spec.save_model);
  EXPECT_THAT(ValidateJobSpec(spec),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("blocksize: must be ≥ 1, got 0")));
}

TEST(SpecConvertTest, TechniqueOptionsKeepTheirTypes) {
  v1::JobSpec proto;
  proto.set_technique("CRB");
  auto& options = *proto.mutable_technique_options();
  options["blocksize"].set_number_value(64);
  options["lam"].set_number_value(2e-5);
  options["crb_variant"].set_string_value("paper2025");
  options["flag"].set_bool_value(true);
  const JobSpec spec = *api::SpecFromProto(proto);
  EXPECT_EQ(spec.technique_options.at("blocksize"), OptionValue(int64_t{64}));
  EXPECT_EQ(spec.technique_options.at("lam"), OptionValue(2e-5));
  EXPECT_EQ(spec.technique_options.at("crb_variant"), OptionValue(std::string("paper2025")));
  EXPECT_EQ(spec.technique_options.at("flag"), OptionValue(true));
  // Back to the proto and again: the same values.
  EXPECT_EQ(api::SpecFromProto(api::SpecToProto(spec))->technique_options, spec.technique_options);

  options["lam"].mutable_list_value();
  EXPECT_THAT(api::SpecFromProto(proto).status(),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("technique_options.lam: must be a number")));
}

#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wdeprecated-declarations"
// Clients from before technique_options send the options as fields.
TEST(SpecConvertTest, DeprecatedOptionFieldsAreFoldedIn) {
  v1::JobSpec proto;
  proto.set_technique("CRB");
  proto.set_blocksize(64);
  proto.set_salient_metric("magnitude");
  proto.set_percdamp(0.05);
  proto.set_crb_variant("paper2025");
  proto.set_lam(0.5);
  proto.set_corr_damp(0.2);
  proto.set_wbits(3);  // not an option of CRB: ignored, as it always was
  (*proto.mutable_technique_options())["lam"].set_number_value(1e-4);  // the map wins
  const JobSpec spec = *api::SpecFromProto(proto);
  EXPECT_EQ(spec.technique_options,
            (OptionValues{{"blocksize", int64_t{64}}, {"salient_metric", std::string("magnitude")},
                          {"percdamp", 0.05}, {"crb_variant", std::string("paper2025")},
                          {"lam", 1e-4}, {"corr_damp", 0.2}}));
  // Answers carry only the map.
  const v1::JobSpec back = api::SpecToProto(spec);
  EXPECT_FALSE(back.has_blocksize());
  EXPECT_FALSE(back.has_lam());
  EXPECT_EQ(back.technique_options().size(), 6);
}
#pragma GCC diagnostic pop

TEST(SpecConvertTest, RoundTripAndServiceFields) {
  v1::SubmitJobRequest request;
  v1::JobSpec* p = request.mutable_spec();
  p->set_model("facebook/opt-125m@abc");
  p->set_technique("CRBOG");
  p->set_dataset("ptb");
  p->add_eval_datasets("wikitext2");
  p->add_eval_datasets("c4");
  (*p->mutable_technique_options())["blocksize"].set_number_value(64);
  (*p->mutable_technique_options())["percdamp"].set_number_value(0.05);
  p->set_nsamples(16);
  p->set_seqlen(512);
  p->set_seed(7);
  p->set_device("cpu");
  p->set_dtype("float32");
  p->set_save_model(false);
  p->set_save_packed(true);
  request.set_user("ada");
  request.set_priority(3);
  request.set_request_id("r1");
  const JobSpec spec = *api::SpecFromSubmitRequest(request);
  EXPECT_EQ(spec.user, "ada");
  EXPECT_EQ(spec.priority, 3);
  EXPECT_EQ(spec.request_id, "r1");
  EXPECT_EQ(api::SpecToProto(spec).SerializeAsString(), p->SerializeAsString());
}

TEST(CatalogConvertTest, ListTechniquesCarriesEveryRow) {
  const v1::ListTechniquesResponse catalog = api::CatalogToProto();
  ASSERT_EQ(catalog.techniques_size(), static_cast<int>(TechniqueCatalog().size()));
  const v1::Technique* crb = nullptr;
  for (const v1::Technique& t : catalog.techniques()) {
    if (t.name() == "CRB") crb = &t;
    if (t.name() == "none") {
      EXPECT_THAT(t.aliases(), ::testing::ElementsAre("fp16"));
      EXPECT_FALSE(t.needs_calibration());
    }
  }
  ASSERT_NE(crb, nullptr);
  EXPECT_TRUE(crb->needs_calibration());
  const v1::TechniqueOption* corr = nullptr;
  for (const v1::TechniqueOption& o : crb->options()) {
    if (o.key() == "corr_damp") corr = &o;
  }
  ASSERT_NE(corr, nullptr);
  EXPECT_EQ(corr->type(), v1::TechniqueOption::DOUBLE);
  EXPECT_EQ(corr->range(), "[0, 1)");
  EXPECT_EQ(corr->default_value().number_value(), 0.1);
  EXPECT_EQ(corr->min(), 0);
  EXPECT_EQ(corr->max(), 1);
  EXPECT_FALSE(corr->min_open());
  EXPECT_TRUE(corr->max_open());
}

TEST(StateConvertTest, EveryStateAndReasonRoundTrips) {
  for (JobState s : {JobState::kQueued, JobState::kRunning, JobState::kSucceeded,
                     JobState::kFailed, JobState::kCancelled}) {
    EXPECT_THAT(api::JobStateFromProto(api::JobStateToProto(s)), binq::testing::IsOkAndHolds(s));
  }
  EXPECT_THAT(api::JobStateFromProto(v1::JOB_STATE_UNSPECIFIED),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("state")));
  for (FailureReason r :
       {FailureReason::kNone, FailureReason::kOutOfMemory, FailureReason::kTimeout,
        FailureReason::kNodeFail, FailureReason::kPreempted, FailureReason::kInvalidInput,
        FailureReason::kNumerical, FailureReason::kWorkerCrash, FailureReason::kInternal}) {
    EXPECT_EQ(api::FailureReasonFromProto(api::FailureReasonToProto(r)), r);
  }
  for (Stage s : {Stage::kLoading, Stage::kCalibrating, Stage::kQuantizing, Stage::kEvaluating,
                  Stage::kSaving}) {
    EXPECT_THAT(api::StageFromProto(api::StageToProto(s)), binq::testing::IsOkAndHolds(s));
  }
}

TEST(EventConvertTest, EveryCoreEventRoundTrips) {
  LayerEvent layer;
  layer.block = 2;
  layer.num_blocks = 12;
  layer.name = "self_attn.q_proj";
  layer.rows = 768;
  layer.cols = 768;
  layer.technique = "CRB";
  layer.salient_columns = 5;
  layer.relative_error = 0.125;
  layer.loss = 3.5;
  layer.wbits = 1.1;
  layer.storage_bits = 1.2;
  layer.seconds = 0.75;
  layer.backend = "kernels-cpu";
  layer.damping_retries = 1;
  SummaryEvent summary;
  summary.technique = "braq";
  summary.layers = 6;
  summary.perplexity = {{"wikitext2", 27.5}, {"ptb", 40.25}};
  summary.output_dir = "/out";
  const std::vector<EventBody> bodies = {
      StageEvent{Stage::kCalibrating, "sampling"},
      ProgressEvent{Stage::kLoading, "files", 2, 3},
      layer,
      BlockEvent{1, 12, 2.5, 10.0, 100.0, 1 << 30},
      EvalProgressEvent{"ptb", 4, 10},
      PerplexityEvent{"wikitext2", 12.5, 40, 81920},
      ArtifactEvent{"packed", "/out/binq.safetensors", 1234},
      WarningEvent{"careful"},
      summary,
  };
  for (const EventBody& body : bodies) {
    Event event{body, 1700000000.25};
    const v1::JobEvent proto = api::EventToProto(event);
    EXPECT_EQ(api::JobEventType(proto), std::string(EventType(event)));
    BINQ_ASSERT_OK_AND_ASSIGN(Event back, api::EventFromProto(proto));
    EXPECT_EQ(EventToJson(back), EventToJson(event)) << EventType(event);
  }
}

TEST(EventConvertTest, WorkerMayNotSendDaemonKindsOrNothing) {
  EXPECT_THAT(api::EventFromProto(v1::JobEvent()),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("no kind set")));
  v1::JobEvent state;
  state.mutable_state_changed()->set_state(v1::SUCCEEDED);
  EXPECT_THAT(api::EventFromProto(state),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("state_changed")));
  v1::JobEvent heartbeat;
  heartbeat.mutable_heartbeat();
  EXPECT_THAT(api::EventFromProto(heartbeat),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("heartbeat")));
  v1::JobEvent stage;
  stage.mutable_stage();  // STAGE_UNSPECIFIED
  EXPECT_THAT(api::EventFromProto(stage), StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("stage")));
  v1::JobEvent ppl;
  ppl.mutable_perplexity()->set_perplexity(3);
  EXPECT_THAT(api::EventFromProto(ppl),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("perplexity.dataset")));
}

TEST(EventConvertTest, TerminalEventsAndTimes) {
  v1::JobEvent e;
  e.mutable_state_changed()->set_state(v1::RUNNING);
  EXPECT_FALSE(api::IsTerminalEvent(e));
  for (v1::JobState s : {v1::SUCCEEDED, v1::FAILED, v1::CANCELLED}) {
    e.mutable_state_changed()->set_state(s);
    EXPECT_TRUE(api::IsTerminalEvent(e));
  }
  const auto t = api::TimeToProto(1700000000.5);
  EXPECT_EQ(t.seconds(), 1700000000);
  EXPECT_EQ(t.nanos(), 500000000);
  EXPECT_DOUBLE_EQ(api::TimeFromProto(t), 1700000000.5);
  EXPECT_EQ(api::TimeToProto(0.9999999999).seconds(), 1);
}

TEST(GrpcStatusTest, CodesAndMessagesSurvive) {
  for (int code = 0; code <= 16; ++code) {
    const absl::Status s(static_cast<absl::StatusCode>(code), code == 0 ? "" : "what went wrong");
    const grpc::Status g = api::ToGrpcStatus(s);
    EXPECT_EQ(static_cast<int>(g.error_code()), code);
    EXPECT_EQ(api::FromGrpcStatus(g), s);
  }
  EXPECT_EQ(api::ToGrpcStatus(absl::NotFoundError("job j-1: not found")).error_message(),
            "job j-1: not found");
}

TEST(JobConvertTest, RecordToProto) {
  JobRecord job;
  job.id = "j-0123456789ab";
  job.spec.model = "m";
  job.spec.technique = "CRB";
  job.spec.user = "ada";
  job.spec.priority = 2;
  job.spec.request_id = "r";
  job.spec.technique_options = {{"blocksize", int64_t{128}}};
  job.state = JobState::kFailed;
  job.failure_reason = FailureReason::kOutOfMemory;
  job.failure_message = "CUDA out of memory";
  job.attempt = 2;
  job.create_time = 100.5;
  job.start_time = 0;
  job.progress.stage = Stage::kQuantizing;
  job.progress.block = 3;
  job.perplexity = {{"ptb", 9.5}};
  job.last_seq = 17;
  job.output_dir = "/s/jobs/j";
  const v1::Job p = JobToProto(job);
  EXPECT_EQ(p.id(), job.id);
  EXPECT_EQ(p.state(), v1::FAILED);
  EXPECT_EQ(p.failure_reason(), v1::OUT_OF_MEMORY);
  EXPECT_EQ(p.user(), "ada");
  EXPECT_EQ(p.priority(), 2);
  EXPECT_EQ(p.request_id(), "r");
  EXPECT_DOUBLE_EQ(api::TimeFromProto(p.create_time()), 100.5);
  EXPECT_FALSE(p.has_start_time());  // 0 = not yet
  EXPECT_EQ(p.progress().stage(), v1::QUANTIZING);
  EXPECT_EQ(p.progress().block(), 3);
  EXPECT_DOUBLE_EQ(p.perplexity().at("ptb"), 9.5);
  EXPECT_EQ(p.last_seq(), 17);
  EXPECT_EQ(p.spec().technique_options().at("blocksize").number_value(), 128);
}

}  // namespace
}  // namespace binq::server
