#include "client/commands.h"

#include <algorithm>
#include <memory>

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "client/client_config.h"
#include "client/exit_codes.h"
#include "client/job_watcher.h"
#include "client/render.h"

namespace binq::client {
namespace {

std::unique_ptr<grpc::ClientContext> Unary(const CommandContext& c) {
  auto context = std::make_unique<grpc::ClientContext>();
  context->set_deadline(std::chrono::system_clock::now() + c.timeout);
  return context;
}

int Fail(const CommandContext& c, const grpc::Status& s, const std::string& what) {
  std::string message = s.error_message();
  if (s.error_code() == grpc::StatusCode::UNAVAILABLE ||
      s.error_code() == grpc::StatusCode::DEADLINE_EXCEEDED) {
    // Say where the address came from: a stale $BINQ_SERVER or config file
    // is the usual reason for talking to nobody.
    std::string from = c.server_from;
    if (from.empty() || from == "default") {
      from = "the default";
    } else if (from == "BINQ_SERVER") {
      from = "$BINQ_SERVER";
    }
    message = absl::StrCat("cannot reach binqd at ", c.server, " (from ", from,
                           "); is it running? Choose the daemon with --server, $BINQ_SERVER or "
                           "\"server:\" in ", ConfigFilePath(), " [", s.error_message(), "]");
  }
  *c.err << "binqctl " << what << ": " << message << "\n";
  return ExitCodeFor(s);
}

int ExitForState(binq::v1::JobState state) {
  switch (state) {
    case binq::v1::SUCCEEDED: return kExitOk;
    case binq::v1::CANCELLED: return kExitJobCancelled;
    default: return kExitJobFailed;
  }
}

// Watches `job` (already fetched) to its end, printing as it goes.
int Follow(const CommandContext& c, const binq::v1::Job& job, int64_t after_seq) {
  WatchView view(*c.out, c.terminal && !c.json);
  if (!c.json) view.Header(job);
  WatchOptions options;
  options.after_seq = after_seq;
  options.note = [&](const std::string& note) { *c.err << "binqctl watch: " << note << "\n"; };
  options.channel = c.channel;
  const WatchOutcome outcome = WatchJob(*c.stub, job.id(), options, [&](const binq::v1::JobEvent& e) {
    if (c.json) {
      *c.out << ToJsonLine(e) << "\n" << std::flush;
    } else {
      view.Show(e);
    }
  });
  if (!outcome.status.ok()) return Fail(c, outcome.status, "watch");
  if (!outcome.terminal) {
    *c.err << "binqctl watch: the stream ended before the job finished\n";
    return kExitJobFailed;
  }
  if (!c.json) {
    binq::v1::GetJobRequest request;
    request.set_job_id(job.id());
    binq::v1::Job final_job;
    auto context = Unary(c);
    if (c.stub->GetJob(context.get(), request, &final_job).ok()) {
      // Only a job that succeeded has an output folder.
      const bool has_output = final_job.state() == binq::v1::SUCCEEDED && !final_job.output_dir().empty();
      *c.out << absl::StrCat(StateName(final_job.state()),
                             has_output ? " · output " + final_job.output_dir() : "", "\n");
    }
  }
  return ExitForState(outcome.final_state);
}

}  // namespace

int SubmitJob(const CommandContext& c, const binq::v1::SubmitJobRequest& request, bool watch) {
  binq::v1::Job job;
  auto context = Unary(c);
  const grpc::Status s = c.stub->SubmitJob(context.get(), request, &job);
  if (!s.ok()) return Fail(c, s, "submit");
  if (c.json) {
    *c.out << ToJsonLine(job) << "\n";
  } else {
    *c.out << "submitted " << job.id() << " (" << StateName(job.state()) << ")\n";
  }
  if (!watch) return kExitOk;
  return Follow(c, job, 0);
}

int WatchJob(const CommandContext& c, const std::string& job_id, int64_t after_seq) {
  binq::v1::GetJobRequest request;
  request.set_job_id(job_id);
  binq::v1::Job job;
  auto context = Unary(c);
  if (grpc::Status s = c.stub->GetJob(context.get(), request, &job); !s.ok()) return Fail(c, s, "watch");
  return Follow(c, job, after_seq);
}

int ListJobs(const CommandContext& c, const std::string& state, const std::string& user, int limit) {
  binq::v1::ListJobsRequest request;
  if (!state.empty()) {
    binq::v1::JobState parsed;
    if (!binq::v1::JobState_Parse(absl::AsciiStrToUpper(state), &parsed) ||
        parsed == binq::v1::JOB_STATE_UNSPECIFIED) {
      *c.err << "binqctl list: --state: unknown '" << state
             << "' (known: queued, running, succeeded, failed, cancelled)\n";
      return kExitUsage;
    }
    request.set_state(parsed);
  }
  request.set_user(user);
  std::vector<binq::v1::Job> jobs;
  do {
    request.set_page_size(std::min(limit - static_cast<int>(jobs.size()), 1000));
    binq::v1::ListJobsResponse response;
    auto context = Unary(c);
    if (grpc::Status s = c.stub->ListJobs(context.get(), request, &response); !s.ok()) {
      return Fail(c, s, "list");
    }
    for (const auto& job : response.jobs()) jobs.push_back(job);
    request.set_page_token(response.next_page_token());
  } while (!request.page_token().empty() && static_cast<int>(jobs.size()) < limit);
  if (c.json) {
    for (const auto& job : jobs) *c.out << ToJsonLine(job) << "\n";
  } else {
    *c.out << FormatJobTable(jobs);
  }
  return kExitOk;
}

int GetJob(const CommandContext& c, const std::string& job_id) {
  binq::v1::GetJobRequest request;
  request.set_job_id(job_id);
  binq::v1::Job job;
  auto context = Unary(c);
  if (grpc::Status s = c.stub->GetJob(context.get(), request, &job); !s.ok()) return Fail(c, s, "get");
  *c.out << (c.json ? ToJsonLine(job) + "\n" : FormatJobDetails(job));
  return kExitOk;
}

int ListTechniques(const CommandContext& c) {
  binq::v1::ListTechniquesResponse catalog;
  auto context = Unary(c);
  if (grpc::Status s = c.stub->ListTechniques(context.get(), binq::v1::ListTechniquesRequest(), &catalog);
      !s.ok()) {
    return Fail(c, s, "techniques");
  }
  if (c.json) {
    for (const binq::v1::Technique& t : catalog.techniques()) *c.out << ToJsonLine(t) << "\n";
  } else {
    *c.out << FormatTechniques(catalog);
  }
  return kExitOk;
}

int CancelJob(const CommandContext& c, const std::string& job_id) {
  binq::v1::CancelJobRequest request;
  request.set_job_id(job_id);
  binq::v1::Job job;
  auto context = Unary(c);
  if (grpc::Status s = c.stub->CancelJob(context.get(), request, &job); !s.ok()) {
    return Fail(c, s, "cancel");
  }
  if (c.json) {
    *c.out << ToJsonLine(job) << "\n";
  } else if (job.state() == binq::v1::CANCELLED) {
    *c.out << job.id() << " cancelled\n";
  } else {
    *c.out << job.id() << ": cancel requested; the worker is stopping (state "
           << StateName(job.state()) << ")\n";
  }
  return kExitOk;
}

int JobLogs(const CommandContext& c, const std::string& job_id, int64_t tail_bytes, bool events) {
  if (events) {  // the stored event history, then stop
    WatchOptions options;
    options.no_follow = true;
    options.channel = c.channel;
    WatchView view(*c.out, /*terminal=*/false);
    const WatchOutcome outcome = WatchJob(*c.stub, job_id, options, [&](const binq::v1::JobEvent& e) {
      if (c.json) {
        *c.out << ToJsonLine(e) << "\n";
      } else {
        view.Show(e);
      }
    });
    return outcome.status.ok() ? kExitOk : Fail(c, outcome.status, "logs");
  }
  binq::v1::GetJobLogRequest request;
  request.set_job_id(job_id);
  request.set_tail_bytes(tail_bytes);
  binq::v1::JobLog log;
  auto context = Unary(c);
  if (grpc::Status s = c.stub->GetJobLog(context.get(), request, &log); !s.ok()) {
    return Fail(c, s, "logs");
  }
  if (c.json) {
    *c.out << ToJsonLine(log) << "\n";
    return kExitOk;
  }
  if (log.truncated()) *c.err << "binqctl logs: showing the end of " << log.path() << "\n";
  *c.out << log.text();
  return kExitOk;
}

int JobResult(const CommandContext& c, const std::string& job_id) {
  binq::v1::GetJobRequest request;
  request.set_job_id(job_id);
  binq::v1::Job job;
  auto context = Unary(c);
  if (grpc::Status s = c.stub->GetJob(context.get(), request, &job); !s.ok()) return Fail(c, s, "result");
  // Per-layer figures and the summary come from the stored events.
  std::vector<binq::v1::JobEvent> layers;
  binq::v1::JobEvent summary;
  WatchOptions options;
  options.no_follow = true;
  options.channel = c.channel;
  const WatchOutcome outcome = WatchJob(*c.stub, job_id, options, [&](const binq::v1::JobEvent& e) {
    if (e.has_layer()) layers.push_back(e);
    if (e.has_summary()) summary = e;
  });
  if (!outcome.status.ok()) return Fail(c, outcome.status, "result");
  if (c.json) {
    *c.out << "{\"job\":" << ToJsonLine(job) << ",\"layers\":[";
    for (size_t i = 0; i < layers.size(); ++i) {
      *c.out << (i ? "," : "") << ToJsonLine(layers[i].layer());
    }
    *c.out << "],\"summary\":" << (summary.has_summary() ? ToJsonLine(summary.summary()) : "null")
           << "}\n";
  } else {
    WatchView view(*c.out, /*terminal=*/false);
    *c.out << FormatJobDetails(job);
    for (const auto& e : layers) view.Show(e);
    if (summary.has_summary()) view.Show(summary);
    if (!job.output_dir().empty() && job.state() == binq::v1::SUCCEEDED) {
      *c.out << "files: " << job.output_dir() << "/{model/, binq.safetensors, metrics.json}\n";
    }
  }
  if (job.state() == binq::v1::RUNNING || job.state() == binq::v1::QUEUED) {
    *c.err << "binqctl result: " << job.id() << " is still " << StateName(job.state())
           << "; these are the figures so far\n";
  }
  return kExitOk;
}

}  // namespace binq::client
