#include "proto/convert/event_convert.h"

#include <cmath>

#include "absl/strings/str_cat.h"
#include "core/base/status_macros.h"
#include "proto/convert/state_convert.h"

namespace binq::api {
namespace {

absl::Status Invalid(absl::string_view what) {
  return absl::InvalidArgumentError(absl::StrCat("event: ", what));
}

template <class... Fs>
struct Overloaded : Fs... {
  using Fs::operator()...;
};
template <class... Fs>
Overloaded(Fs...) -> Overloaded<Fs...>;

}  // namespace

google::protobuf::Timestamp TimeToProto(double unix_seconds) {
  google::protobuf::Timestamp t;
  double whole = std::floor(unix_seconds);
  int64_t nanos = std::llround((unix_seconds - whole) * 1e9);
  if (nanos >= 1000000000) {
    whole += 1;
    nanos -= 1000000000;
  }
  t.set_seconds(static_cast<int64_t>(whole));
  t.set_nanos(static_cast<int32_t>(nanos));
  return t;
}

double TimeFromProto(const google::protobuf::Timestamp& time) {
  return static_cast<double>(time.seconds()) + static_cast<double>(time.nanos()) * 1e-9;
}

v1::JobEvent EventToProto(const Event& event) {
  v1::JobEvent proto;
  *proto.mutable_time() = TimeToProto(event.time);
  std::visit(
      Overloaded{
          [&](const StageEvent& e) {
            auto* p = proto.mutable_stage();
            p->set_stage(StageToProto(e.stage));
            p->set_detail(e.detail);
          },
          [&](const ProgressEvent& e) {
            auto* p = proto.mutable_progress();
            p->set_stage(StageToProto(e.stage));
            p->set_unit(e.unit);
            p->set_done(e.done);
            p->set_total(e.total);
          },
          [&](const LayerEvent& e) {
            auto* p = proto.mutable_layer();
            p->set_block(e.block);
            p->set_num_blocks(e.num_blocks);
            p->set_name(e.name);
            p->set_rows(e.rows);
            p->set_cols(e.cols);
            p->set_technique(e.technique);
            p->set_salient_columns(e.salient_columns);
            p->set_relative_error(e.relative_error);
            p->set_loss(e.loss);
            p->set_wbits(e.wbits);
            p->set_storage_bits(e.storage_bits);
            p->set_seconds(e.seconds);
            p->set_backend(e.backend);
            p->set_damping_retries(e.damping_retries);
          },
          [&](const BlockEvent& e) {
            auto* p = proto.mutable_block();
            p->set_block(e.block);
            p->set_num_blocks(e.num_blocks);
            p->set_seconds(e.seconds);
            p->set_elapsed_seconds(e.elapsed_seconds);
            p->set_eta_seconds(e.eta_seconds);
            p->set_peak_memory_bytes(e.peak_memory_bytes);
          },
          [&](const EvalProgressEvent& e) {
            auto* p = proto.mutable_eval_progress();
            p->set_dataset(e.dataset);
            p->set_windows_done(e.windows_done);
            p->set_windows_total(e.windows_total);
          },
          [&](const PerplexityEvent& e) {
            auto* p = proto.mutable_perplexity();
            p->set_dataset(e.dataset);
            p->set_perplexity(e.perplexity);
            p->set_windows(e.windows);
            p->set_tokens(e.tokens);
          },
          [&](const ArtifactEvent& e) {
            auto* p = proto.mutable_artifact();
            p->set_kind(e.kind);
            p->set_path(e.path);
            p->set_bytes(e.bytes);
          },
          [&](const WarningEvent& e) { proto.mutable_warning()->set_message(e.message); },
          [&](const SummaryEvent& e) {
            auto* p = proto.mutable_summary();
            p->set_technique(e.technique);
            p->set_wbits(e.wbits);
            p->set_storage_bits(e.storage_bits);
            p->set_mean_relative_error(e.mean_relative_error);
            p->set_layers(e.layers);
            p->set_seconds(e.seconds);
            for (const auto& [dataset, ppl] : e.perplexity) (*p->mutable_perplexity())[dataset] = ppl;
            p->set_output_dir(e.output_dir);
          },
      },
      event.body);
  return proto;
}

absl::StatusOr<Event> EventFromProto(const v1::JobEvent& proto) {
  Event event;
  event.time = TimeFromProto(proto.time());
  switch (proto.kind_case()) {
    case v1::JobEvent::kStage: {
      auto stage = StageFromProto(proto.stage().stage());
      if (!stage.ok()) return WithContext(stage.status(), "event stage");
      event.body = StageEvent{*stage, proto.stage().detail()};
      break;
    }
    case v1::JobEvent::kProgress: {
      const auto& p = proto.progress();
      auto stage = StageFromProto(p.stage());
      if (!stage.ok()) return WithContext(stage.status(), "event progress");
      event.body = ProgressEvent{*stage, p.unit(), p.done(), p.total()};
      break;
    }
    case v1::JobEvent::kLayer: {
      const auto& p = proto.layer();
      if (p.block() < 0) return Invalid(absl::StrCat("layer.block: must be ≥ 0, got ", p.block()));
      LayerEvent e;
      e.block = p.block();
      e.num_blocks = p.num_blocks();
      e.name = p.name();
      e.rows = p.rows();
      e.cols = p.cols();
      e.technique = p.technique();
      e.salient_columns = p.salient_columns();
      e.relative_error = p.relative_error();
      e.loss = p.loss();
      e.wbits = p.wbits();
      e.storage_bits = p.storage_bits();
      e.seconds = p.seconds();
      e.backend = p.backend();
      e.damping_retries = p.damping_retries();
      event.body = std::move(e);
      break;
    }
    case v1::JobEvent::kBlock: {
      const auto& p = proto.block();
      if (p.block() < 0) return Invalid(absl::StrCat("block.block: must be ≥ 0, got ", p.block()));
      event.body = BlockEvent{p.block(),           p.num_blocks(),  p.seconds(),
                              p.elapsed_seconds(), p.eta_seconds(), p.peak_memory_bytes()};
      break;
    }
    case v1::JobEvent::kEvalProgress: {
      const auto& p = proto.eval_progress();
      event.body = EvalProgressEvent{p.dataset(), p.windows_done(), p.windows_total()};
      break;
    }
    case v1::JobEvent::kPerplexity: {
      const auto& p = proto.perplexity();
      if (p.dataset().empty()) return Invalid("perplexity.dataset: must name the dataset");
      event.body = PerplexityEvent{p.dataset(), p.perplexity(), p.windows(), p.tokens()};
      break;
    }
    case v1::JobEvent::kArtifact: {
      const auto& p = proto.artifact();
      event.body = ArtifactEvent{p.kind(), p.path(), p.bytes()};
      break;
    }
    case v1::JobEvent::kWarning:
      event.body = WarningEvent{proto.warning().message()};
      break;
    case v1::JobEvent::kSummary: {
      const auto& p = proto.summary();
      SummaryEvent e;
      e.technique = p.technique();
      e.wbits = p.wbits();
      e.storage_bits = p.storage_bits();
      e.mean_relative_error = p.mean_relative_error();
      e.layers = p.layers();
      e.seconds = p.seconds();
      e.perplexity.insert(p.perplexity().begin(), p.perplexity().end());
      e.output_dir = p.output_dir();
      event.body = std::move(e);
      break;
    }
    case v1::JobEvent::kStateChanged:
      return Invalid("state_changed is written by the daemon, not reported by a worker");
    case v1::JobEvent::kHeartbeat:
      return Invalid("heartbeat is sent by the daemon, not reported by a worker");
    case v1::JobEvent::KIND_NOT_SET:
    default:
      return Invalid("no kind set (stage, progress, layer, block, eval_progress, perplexity, "
                     "artifact, warning or summary)");
  }
  return event;
}

const char* JobEventType(const v1::JobEvent& event) {
  switch (event.kind_case()) {
    case v1::JobEvent::kStage: return "stage";
    case v1::JobEvent::kProgress: return "progress";
    case v1::JobEvent::kLayer: return "layer";
    case v1::JobEvent::kBlock: return "block";
    case v1::JobEvent::kEvalProgress: return "eval_progress";
    case v1::JobEvent::kPerplexity: return "perplexity";
    case v1::JobEvent::kArtifact: return "artifact";
    case v1::JobEvent::kWarning: return "warning";
    case v1::JobEvent::kSummary: return "summary";
    case v1::JobEvent::kStateChanged: return "state_changed";
    case v1::JobEvent::kHeartbeat: return "heartbeat";
    default: return "";
  }
}

bool IsTerminalEvent(const v1::JobEvent& event) {
  if (!event.has_state_changed()) return false;
  const v1::JobState s = event.state_changed().state();
  return s == v1::SUCCEEDED || s == v1::FAILED || s == v1::CANCELLED;
}

}  // namespace binq::api
