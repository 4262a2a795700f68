#include "server/jobs/progress.h"

#include <algorithm>

#include "absl/strings/str_cat.h"
#include "proto/convert/state_convert.h"

namespace binq::server {
namespace {

// A rough share of the whole job for each stage: [start, end) in percent.
struct Span {
  double start, end;
};
Span StageSpan(Stage stage) {
  switch (stage) {
    case Stage::kLoading: return {0, 5};
    case Stage::kCalibrating: return {5, 10};
    case Stage::kQuantizing: return {10, 90};
    case Stage::kEvaluating: return {90, 98};
    case Stage::kSaving: return {98, 100};
  }
  return {0, 100};
}

double Fraction(int64_t done, int64_t total) {
  if (total <= 0) return 0;
  return std::clamp(static_cast<double>(done) / static_cast<double>(total), 0.0, 1.0);
}

void RaisePercent(JobProgress& p, Stage stage, double fraction) {
  const Span s = StageSpan(stage);
  p.percent = std::max(p.percent, s.start + (s.end - s.start) * fraction);
}

}  // namespace

bool ApplyEventToJob(const v1::JobEvent& event, JobRecord& job) {
  JobProgress& p = job.progress;
  switch (event.kind_case()) {
    case v1::JobEvent::kStage: {
      absl::StatusOr<Stage> stage = api::StageFromProto(event.stage().stage());
      if (!stage.ok()) return false;
      p.stage = *stage;
      p.detail = event.stage().detail();
      RaisePercent(p, *stage, 0);
      return true;
    }
    case v1::JobEvent::kProgress: {
      const auto& e = event.progress();
      p.detail = absl::StrCat(e.done(), "/", e.total(), " ", e.unit());
      if (absl::StatusOr<Stage> stage = api::StageFromProto(e.stage()); stage.ok() && *stage != Stage::kQuantizing) {
        RaisePercent(p, *stage, Fraction(e.done(), e.total()));
      }
      return false;
    }
    case v1::JobEvent::kLayer: {
      const auto& e = event.layer();
      if (e.num_blocks() > 0) p.num_blocks = e.num_blocks();
      p.detail = absl::StrCat("block ", e.block() + 1, "/", e.num_blocks(), ": ", e.name());
      return false;
    }
    case v1::JobEvent::kBlock: {
      const auto& e = event.block();
      p.block = std::max(p.block, e.block() + 1);
      if (e.num_blocks() > 0) p.num_blocks = e.num_blocks();
      p.eta_seconds = e.eta_seconds();
      p.peak_memory_bytes = std::max(p.peak_memory_bytes, e.peak_memory_bytes());
      RaisePercent(p, Stage::kQuantizing, Fraction(p.block, p.num_blocks));
      return true;
    }
    case v1::JobEvent::kEvalProgress: {
      const auto& e = event.eval_progress();
      p.detail = absl::StrCat(e.dataset(), ": ", e.windows_done(), "/", e.windows_total(), " windows");
      RaisePercent(p, Stage::kEvaluating, Fraction(e.windows_done(), e.windows_total()));
      return false;
    }
    case v1::JobEvent::kPerplexity:
      job.perplexity[event.perplexity().dataset()] = event.perplexity().perplexity();
      return true;
    case v1::JobEvent::kSummary:
      for (const auto& [dataset, ppl] : event.summary().perplexity()) job.perplexity[dataset] = ppl;
      return true;
    default:
      return false;
  }
}

}  // namespace binq::server
