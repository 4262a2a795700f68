#include "client/render.h"

#include <algorithm>
#include <ctime>
#include <map>

#include <google/protobuf/util/json_util.h>

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_join.h"

namespace binq::client {
namespace {

std::string FormatTime(const google::protobuf::Timestamp& t) {
  if (t.seconds() == 0 && t.nanos() == 0) return "-";
  const std::time_t secs = static_cast<std::time_t>(t.seconds());
  std::tm tm{};
  localtime_r(&secs, &tm);
  char buf[32];
  std::strftime(buf, sizeof(buf), "%Y-%m-%d %H:%M:%S", &tm);
  return buf;
}

std::string Perplexities(const google::protobuf::Map<std::string, double>& ppl) {
  std::vector<std::string> parts;
  for (const auto& [dataset, value] : ppl) parts.push_back(absl::StrFormat("%s %.2f", dataset, value));
  std::sort(parts.begin(), parts.end());
  return parts.empty() ? "-" : absl::StrJoin(parts, ", ");
}

std::string SpecSummary(const binq::v1::JobSpec& spec) {
  std::string datasets = spec.dataset();
  return absl::StrCat(spec.technique(), " on ", spec.model(), " (", datasets, ")");
}

std::string OptionValueText(const google::protobuf::Value& v) {
  switch (v.kind_case()) {
    case google::protobuf::Value::kBoolValue: return v.bool_value() ? "true" : "false";
    case google::protobuf::Value::kNumberValue: return absl::StrCat(v.number_value());
    case google::protobuf::Value::kStringValue: return v.string_value();
    default: return "?";
  }
}

std::string TechniqueOptionsText(const binq::v1::JobSpec& spec) {
  std::map<std::string, std::string> sorted;  // the proto map has no order
  for (const auto& [key, value] : spec.technique_options()) sorted[key] = OptionValueText(value);
  std::vector<std::string> parts;
  for (const auto& [key, text] : sorted) parts.push_back(absl::StrCat(key, " ", text));
  return absl::StrJoin(parts, ", ");
}

}  // namespace


std::string ToJsonLine(const google::protobuf::Message& message) {
  std::string json;
  google::protobuf::util::JsonPrintOptions options;
  options.preserve_proto_field_names = true;
  options.always_print_primitive_fields = false;
  (void)google::protobuf::util::MessageToJsonString(message, &json, options);
  return json;
}

std::string FormatDuration(double seconds) {
  if (!(seconds >= 0)) return "-";
  if (seconds < 60) return absl::StrFormat("%.1fs", seconds);
  const int64_t s = static_cast<int64_t>(seconds + 0.5);
  if (s < 3600) return absl::StrFormat("%dm%02ds", s / 60, s % 60);
  return absl::StrFormat("%dh%02dm", s / 3600, (s % 3600) / 60);
}

std::string FormatBytes(int64_t bytes) {
  const double b = static_cast<double>(bytes);
  if (bytes >= (int64_t{1} << 30)) return absl::StrFormat("%.1f GiB", b / (1 << 30));
  if (bytes >= (int64_t{1} << 20)) return absl::StrFormat("%.0f MiB", b / (1 << 20));
  if (bytes >= (int64_t{1} << 10)) return absl::StrFormat("%.0f KiB", b / (1 << 10));
  return absl::StrFormat("%d B", bytes);
}

std::string StateName(binq::v1::JobState state) {
  return binq::v1::JobState_Name(state);
}

std::string StageName(binq::v1::Stage stage) {
  return absl::AsciiStrToLower(binq::v1::Stage_Name(stage));
}

std::string FormatJobTable(const std::vector<binq::v1::Job>& jobs) {
  std::string out = absl::StrFormat("%-16s %-10s %-8s %-10s %-6s %-19s %s\n", "JOB", "STATE", "USER",
                                    "TECHNIQUE", "TRY", "CREATED", "MODEL / PROGRESS");
  for (const auto& job : jobs) {
    std::string progress = job.spec().model();
    if (job.state() == binq::v1::RUNNING && job.has_progress()) {
      const auto& p = job.progress();
      absl::StrAppend(&progress, "  ", StageName(p.stage()));
      if (p.num_blocks() > 0) absl::StrAppend(&progress, " ", p.block(), "/", p.num_blocks());
      if (p.eta_seconds() > 0) absl::StrAppend(&progress, " ETA ", FormatDuration(p.eta_seconds()));
    } else if (job.state() == binq::v1::FAILED) {
      absl::StrAppend(&progress, "  ", binq::v1::FailureReason_Name(job.failure_reason()));
    } else if (!job.perplexity().empty()) {
      absl::StrAppend(&progress, "  ppl ", Perplexities(job.perplexity()));
    }
    absl::StrAppend(&out, absl::StrFormat("%-16s %-10s %-8s %-10s %-6d %-19s %s\n", job.id(),
                                          StateName(job.state()), job.user(),
                                          job.spec().technique(), job.attempt(),
                                          FormatTime(job.create_time()), progress));
  }
  return out;
}

std::string FormatJobDetails(const binq::v1::Job& job) {
  const auto& spec = job.spec();
  std::string out;
  auto row = [&out](absl::string_view key, absl::string_view value) {
    absl::StrAppend(&out, absl::StrFormat("%-14s %s\n", key, value));
  };
  row("job", job.id());
  row("state", StateName(job.state()));
  if (job.state() == binq::v1::FAILED) row("reason", binq::v1::FailureReason_Name(job.failure_reason()));
  if (!job.failure_message().empty()) row("message", job.failure_message());
  row("user", job.user());
  row("attempt", absl::StrCat(job.attempt()));
  row("priority", absl::StrCat(job.priority()));
  row("model", spec.model());
  row("technique", spec.technique());
  row("calibration", absl::StrCat(spec.dataset(), ", ", spec.nsamples(), " × ", spec.seqlen(),
                                  " tokens, seed ", spec.seed()));
  row("evaluation", spec.eval_datasets().empty() ? spec.dataset()
                                                 : absl::StrJoin(spec.eval_datasets(), ", "));
  row("options", absl::StrCat(TechniqueOptionsText(spec), spec.technique_options().empty() ? "" : ", ",
                              "device ", spec.device()));
  row("created", FormatTime(job.create_time()));
  row("started", FormatTime(job.start_time()));
  row("ended", FormatTime(job.end_time()));
  if (!job.slot().empty()) row("slot", job.slot());
  if (job.has_progress() && job.state() == binq::v1::RUNNING) {
    const auto& p = job.progress();
    row("progress", absl::StrCat(StageName(p.stage()), " block ", p.block(), "/", p.num_blocks(),
                                 ", ETA ", FormatDuration(p.eta_seconds())));
  }
  row("perplexity", Perplexities(job.perplexity()));
  // The folder exists only once the job has succeeded (outputs are
  // committed atomically); before that it is where they will go.
  std::string output = "-";
  if (!job.output_dir().empty()) {
    if (job.state() == binq::v1::SUCCEEDED) {
      output = job.output_dir();
    } else if (job.state() == binq::v1::QUEUED || job.state() == binq::v1::RUNNING) {
      output = job.output_dir() + " (once it succeeds)";
    } else {
      output = "- (none written)";
    }
  }
  row("output", output);
  return out;
}

void WatchView::Header(const binq::v1::Job& job) {
  Line(absl::StrCat("job ", job.id(), ": ", SpecSummary(job.spec()), " — ", StateName(job.state()),
                    job.attempt() > 1 ? absl::StrCat(" (attempt ", job.attempt(), ")") : ""));
}

void WatchView::Note(const std::string& text) { Line(text); }

void WatchView::Status(const std::string& text) {
  if (!terminal_) return;
  out_ << "\r\033[K" << text << std::flush;
  status_shown_ = true;
}

void WatchView::Line(const std::string& text) {
  if (status_shown_) out_ << "\r\033[K";
  status_shown_ = false;
  out_ << text << "\n" << std::flush;
}

void WatchView::Show(const binq::v1::JobEvent& e) {
  using E = binq::v1::JobEvent;
  switch (e.kind_case()) {
    case E::kStage:
      Line(absl::StrCat("[", StageName(e.stage().stage()), "] ", e.stage().detail()));
      break;
    case E::kProgress: {
      const auto& p = e.progress();
      const std::string text = absl::StrCat("[", StageName(p.stage()), "] ", p.done(), "/",
                                            p.total(), " ", p.unit());
      if (terminal_) {
        Status(text);
      } else if (p.done() == p.total()) {
        Line(text);
      }
      break;
    }
    case E::kLayer: {
      const auto& l = e.layer();
      if (!table_header_shown_) {
        Line(absl::StrFormat("%5s  %-18s %11s %7s %10s %11s %6s %7s", "block", "layer",
                             "shape", "salient", "rel.err", "loss", "bits", "time"));
        table_header_shown_ = true;
      }
      Line(absl::StrFormat("%5d  %-18s %11s %7d %10.5f %11.4g %6.3f %7s", l.block(), l.name(),
                           absl::StrCat(l.rows(), "x", l.cols()), l.salient_columns(),
                           l.relative_error(), l.loss(), l.wbits(), FormatDuration(l.seconds())));
      break;
    }
    case E::kBlock: {
      const auto& b = e.block();
      Line(absl::StrCat("block ", b.block() + 1, "/", b.num_blocks(), " done in ",
                        FormatDuration(b.seconds()), " · elapsed ",
                        FormatDuration(b.elapsed_seconds()), " · ETA ",
                        FormatDuration(b.eta_seconds()), " · peak ",
                        FormatBytes(b.peak_memory_bytes())));
      break;
    }
    case E::kEvalProgress: {
      const auto& p = e.eval_progress();
      const std::string text = absl::StrCat("[evaluating] ", p.dataset(), " ", p.windows_done(),
                                            "/", p.windows_total(), " windows");
      if (terminal_) {
        Status(text);
        break;
      }
      const int64_t quarter = p.windows_total() > 0 ? 4 * p.windows_done() / p.windows_total() : 0;
      if (p.dataset() != last_eval_dataset_ || quarter != last_eval_quarter_) {
        last_eval_dataset_ = p.dataset();
        last_eval_quarter_ = quarter;
        Line(text);
      }
      break;
    }
    case E::kPerplexity:
      Line(absl::StrFormat("perplexity %s = %.3f (%d windows, %d tokens)", e.perplexity().dataset(),
                           e.perplexity().perplexity(), e.perplexity().windows(),
                           e.perplexity().tokens()));
      break;
    case E::kArtifact:
      Line(absl::StrCat("wrote ", e.artifact().kind(), ": ", e.artifact().path(), " (",
                        FormatBytes(e.artifact().bytes()), ")"));
      break;
    case E::kWarning:
      Line(absl::StrCat("warning: ", e.warning().message()));
      break;
    case E::kSummary: {
      const auto& s = e.summary();
      Line(absl::StrFormat("summary: %s, %d layers, %.3f bits/weight (papers), %.3f (packed), "
                           "mean rel.err %.5f, %s",
                           s.technique(), s.layers(), s.wbits(), s.storage_bits(),
                           s.mean_relative_error(), FormatDuration(s.seconds())));
      break;
    }
    case E::kStateChanged: {
      const auto& s = e.state_changed();
      std::string text = absl::StrCat("state ", StateName(s.state()));
      if (s.attempt() > 0) absl::StrAppend(&text, " (attempt ", s.attempt(), ")");
      if (!s.slot().empty()) absl::StrAppend(&text, " on ", s.slot());
      if (s.failure_reason() != binq::v1::FAILURE_REASON_UNSPECIFIED) {
        absl::StrAppend(&text, ": ", binq::v1::FailureReason_Name(s.failure_reason()));
      }
      if (!s.message().empty()) absl::StrAppend(&text, " — ", s.message());
      Line(text);
      break;
    }
    case E::kHeartbeat:
    case E::KIND_NOT_SET:
      break;
  }
}

std::string FormatTechniques(const binq::v1::ListTechniquesResponse& catalog) {
  std::string out;
  for (const binq::v1::Technique& t : catalog.techniques()) {
    std::string name = t.name();
    if (!t.aliases().empty()) absl::StrAppend(&name, " (", absl::StrJoin(t.aliases(), ", "), ")");
    absl::StrAppend(&out, absl::StrFormat("%-14s %s%s\n", name, t.help(),
                                          t.needs_calibration() ? "" : " [no calibration]"));
    for (const binq::v1::TechniqueOption& o : t.options()) {
      std::string key = "--" + o.key();
      for (const std::string& a : o.aliases()) absl::StrAppend(&key, ", --", a);
      absl::StrAppend(&out, absl::StrFormat("    %-22s %s (default %s; %s)\n", key, o.help(),
                                            OptionValueText(o.default_value()), o.range()));
    }
  }
  return out;
}

}  // namespace binq::client
