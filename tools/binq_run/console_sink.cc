#include "tools/binq_run/console_sink.h"

#include "proto/convert/event_convert.h"

namespace binq::tools {

void ConsoleSink::Emit(const Event& event) {
  std::lock_guard<std::mutex> lock(mu_);
  if (json_) {
    out_ << EventToJson(event).dump() << "\n" << std::flush;
  } else {
    view_.Show(api::EventToProto(event));
  }
}

void ConsoleSink::Note(const std::string& text) {
  std::lock_guard<std::mutex> lock(mu_);
  if (!json_) view_.Note(text);
}

}  // namespace binq::tools
