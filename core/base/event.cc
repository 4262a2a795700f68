#include "core/base/event.h"

#include <chrono>

#include "absl/strings/str_cat.h"

namespace binq {

NLOHMANN_JSON_SERIALIZE_ENUM(Stage, {{Stage::kLoading, "loading"},
                                     {Stage::kCalibrating, "calibrating"},
                                     {Stage::kQuantizing, "quantizing"},
                                     {Stage::kEvaluating, "evaluating"},
                                     {Stage::kSaving, "saving"}})

// Field lists, once: to_json and from_json (missing keys keep defaults).
NLOHMANN_DEFINE_TYPE_NON_INTRUSIVE_WITH_DEFAULT(StageEvent, stage, detail)
NLOHMANN_DEFINE_TYPE_NON_INTRUSIVE_WITH_DEFAULT(ProgressEvent, stage, unit, done, total)
NLOHMANN_DEFINE_TYPE_NON_INTRUSIVE_WITH_DEFAULT(LayerEvent, block, num_blocks, name, rows, cols,
                                                technique, salient_columns, relative_error, loss,
                                                wbits, storage_bits, seconds, backend,
                                                damping_retries)
NLOHMANN_DEFINE_TYPE_NON_INTRUSIVE_WITH_DEFAULT(BlockEvent, block, num_blocks, seconds,
                                                elapsed_seconds, eta_seconds, peak_memory_bytes)
NLOHMANN_DEFINE_TYPE_NON_INTRUSIVE_WITH_DEFAULT(EvalProgressEvent, dataset, windows_done,
                                                windows_total)
NLOHMANN_DEFINE_TYPE_NON_INTRUSIVE_WITH_DEFAULT(PerplexityEvent, dataset, perplexity, windows,
                                                tokens)
NLOHMANN_DEFINE_TYPE_NON_INTRUSIVE_WITH_DEFAULT(ArtifactEvent, kind, path, bytes)
NLOHMANN_DEFINE_TYPE_NON_INTRUSIVE_WITH_DEFAULT(WarningEvent, message)
NLOHMANN_DEFINE_TYPE_NON_INTRUSIVE_WITH_DEFAULT(SummaryEvent, technique, wbits, storage_bits,
                                                mean_relative_error, layers, seconds, perplexity,
                                                output_dir)

namespace {

// Type names in the order of EventBody's alternatives.
constexpr const char* kTypeNames[] = {"stage",         "progress",   "layer",
                                      "block",         "eval_progress", "perplexity",
                                      "artifact",      "warning",    "summary"};
static_assert(std::size(kTypeNames) == std::variant_size_v<EventBody>);

template <size_t I = 0>
absl::StatusOr<EventBody> BodyFromJson(absl::string_view type, const nlohmann::json& j) {
  if constexpr (I == std::variant_size_v<EventBody>) {
    return absl::InvalidArgumentError(absl::StrCat("event type: unknown '", type, "'"));
  } else {
    if (type == kTypeNames[I]) {
      return EventBody(std::in_place_index<I>, j.get<std::variant_alternative_t<I, EventBody>>());
    }
    return BodyFromJson<I + 1>(type, j);
  }
}

}  // namespace

const char* StageName(Stage stage) {
  switch (stage) {
    case Stage::kLoading: return "loading";
    case Stage::kCalibrating: return "calibrating";
    case Stage::kQuantizing: return "quantizing";
    case Stage::kEvaluating: return "evaluating";
    case Stage::kSaving: return "saving";
  }
  return "unknown";
}

const char* EventType(const Event& event) { return kTypeNames[event.body.index()]; }

nlohmann::json EventToJson(const Event& event) {
  nlohmann::json j;
  std::visit([&j](const auto& body) { j = body; }, event.body);
  j["type"] = EventType(event);
  j["time"] = event.time;
  return j;
}

absl::StatusOr<Event> EventFromJson(const nlohmann::json& json) {
  if (!json.is_object() || !json.contains("type") || !json["type"].is_string()) {
    return absl::InvalidArgumentError("event: must be an object with a string 'type'");
  }
  try {  // nlohmann reports type mismatches only by throwing
    Event event;
    auto body = BodyFromJson(json["type"].get<std::string>(), json);
    if (!body.ok()) return body.status();
    event.body = *std::move(body);
    event.time = json.value("time", 0.0);
    return event;
  } catch (const nlohmann::json::exception& e) {
    return absl::InvalidArgumentError(absl::StrCat("event: ", e.what()));
  }
}

void EventSink::Emit(EventBody body) {
  Event event;
  event.body = std::move(body);
  event.time = std::chrono::duration<double>(
                   std::chrono::system_clock::now().time_since_epoch())
                   .count();
  Emit(event);
}

void TeeSink::Emit(const Event& event) {
  for (EventSink* sink : sinks_) sink->Emit(event);
}

}  // namespace binq
