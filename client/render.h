// How binqctl shows jobs and events: tables and a live watch view for
// people, one JSON object per line (protobuf's JSON mapping) for scripts.
#ifndef BINQ_CLIENT_RENDER_H_
#define BINQ_CLIENT_RENDER_H_

#include <ostream>
#include <string>
#include <vector>

#include <google/protobuf/message.h>

#include "binq/v1/binq.pb.h"

namespace binq::client {

// One line of compact JSON.
std::string ToJsonLine(const google::protobuf::Message& message);

// "1h02m", "3m05s", "12.4s".
std::string FormatDuration(double seconds);
// "1.2 GiB", "512 MiB", "980 B".
std::string FormatBytes(int64_t bytes);
std::string StateName(binq::v1::JobState state);
std::string StageName(binq::v1::Stage stage);

// `binqctl list`: one row per job.
std::string FormatJobTable(const std::vector<binq::v1::Job>& jobs);
// `binqctl get` / `result`: every field a person needs, one per line.
std::string FormatJobDetails(const binq::v1::Job& job);
// `binqctl techniques`: each technique with its aliases and help, then its
// options (--key, help, default, range), one per line.
std::string FormatTechniques(const binq::v1::ListTechniquesResponse& catalog);

// The live view of `binqctl watch`: a header, a row per quantized layer, a
// line per finished block (with ETA and peak memory), evaluation progress,
// perplexities and the final state. On a terminal a status line at the
// bottom is redrawn in place; otherwise only whole lines are written, and
// progress at coarse steps so logs stay short.
class WatchView {
 public:
  WatchView(std::ostream& out, bool terminal) : out_(out), terminal_(terminal) {}
  void Header(const binq::v1::Job& job);
  void Show(const binq::v1::JobEvent& event);
  // A note from the watcher itself ("reconnecting…").
  void Note(const std::string& text);

 private:
  void Status(const std::string& text);  // the redrawn line (terminal only)
  void Line(const std::string& text);    // a permanent line
  std::ostream& out_;
  const bool terminal_;
  bool status_shown_ = false;
  bool table_header_shown_ = false;
  int64_t last_eval_quarter_ = -1;
  std::string last_eval_dataset_;
};

}  // namespace binq::client

#endif  // BINQ_CLIENT_RENDER_H_
