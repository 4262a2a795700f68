// Shows a job's events on a console as binqctl watch does (client/render.h):
// per-layer rows, block lines with ETA and peak memory, progress redrawn in
// place on a terminal; or, with `json`, one JSON object per event per line
// (core/base/event.h's form) for scripts.
#ifndef BINQ_TOOLS_BINQ_RUN_CONSOLE_SINK_H_
#define BINQ_TOOLS_BINQ_RUN_CONSOLE_SINK_H_

#include <mutex>
#include <ostream>

#include "client/render.h"
#include "core/base/event.h"

namespace binq::tools {

// Thread-safe: Emit may be called from any thread.
class ConsoleSink final : public EventSink {
 public:
  ConsoleSink(std::ostream& out, bool terminal, bool json)
      : out_(out), json_(json), view_(out, terminal && !json) {}
  void Emit(const Event& event) override;
  using EventSink::Emit;
  // A line from binq-run itself (not an event).
  void Note(const std::string& text);

 private:
  std::mutex mu_;
  std::ostream& out_;
  const bool json_;
  client::WatchView view_;
};

}  // namespace binq::tools

#endif  // BINQ_TOOLS_BINQ_RUN_CONSOLE_SINK_H_
