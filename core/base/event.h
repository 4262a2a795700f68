// Events: what a running job reports, step by step (DESIGN.md "Events"). The
// worker's pipeline emits them into an EventSink; `binq-run` prints them, the
// worker streams them to binqd, metrics.json keeps them all. The daemon adds
// a per-job sequence number and the time when it stores them.
#ifndef BINQ_CORE_BASE_EVENT_H_
#define BINQ_CORE_BASE_EVENT_H_

#include <cstdint>
#include <map>
#include <string>
#include <variant>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "nlohmann/json.hpp"

namespace binq {

enum class Stage { kLoading, kCalibrating, kQuantizing, kEvaluating, kSaving };
const char* StageName(Stage stage);  // "loading", …

// The job entered a stage. `detail` says what it is doing ("tokenizing
// wikitext2 train split").
struct StageEvent {
  Stage stage = Stage::kLoading;
  std::string detail;
};

// Progress inside a stage that takes time: calibration windows captured,
// tokens tokenized, blocks loaded… `unit` names what is counted.
struct ProgressEvent {
  Stage stage = Stage::kLoading;
  std::string unit;  // "windows", "blocks", "documents"
  int64_t done = 0;
  int64_t total = 0;
};

// One linear layer was quantized.
struct LayerEvent {
  int block = 0;        // decoder block index, 0-based
  int num_blocks = 0;
  std::string name;     // "self_attn.q_proj"
  int64_t rows = 0;
  int64_t cols = 0;
  std::string technique;
  int64_t salient_columns = 0;
  double relative_error = 0;  // ‖WX−ŴX‖²/‖WX‖² over the calibration inputs
  double loss = 0;            // GPTQ-style loss as the reference reports it
  double wbits = 0;           // the papers' bits per weight (ALGORITHMS.md §7.1)
  double storage_bits = 0;    // binq's packed layout, bits per weight (§7.2)
  double seconds = 0;
  std::string backend;        // "aten", "kernels-cpu", "kernels-cuda"
  int damping_retries = 0;
};

// One decoder block finished (quantized and its outputs computed).
struct BlockEvent {
  int block = 0;
  int num_blocks = 0;
  double seconds = 0;          // this block
  double elapsed_seconds = 0;  // since quantization started
  double eta_seconds = 0;      // estimated time left for the remaining blocks
  int64_t peak_memory_bytes = 0;  // device peak (CUDA) or process peak RSS (CPU)
};

// Perplexity evaluation progress on one dataset.
struct EvalProgressEvent {
  std::string dataset;
  int64_t windows_done = 0;
  int64_t windows_total = 0;
};

struct PerplexityEvent {
  std::string dataset;
  double perplexity = 0;
  int64_t windows = 0;
  int64_t tokens = 0;
};

// A file or folder the job wrote (model/, binq.safetensors, metrics.json).
struct ArtifactEvent {
  std::string kind;  // "model", "packed", "metrics"
  std::string path;
  int64_t bytes = 0;
};

struct WarningEvent {
  std::string message;
};

// The job's own end-of-run summary (the daemon adds the terminal state).
struct SummaryEvent {
  std::string technique;
  double wbits = 0;          // weighted by weight count over all quantized layers
  double storage_bits = 0;
  double mean_relative_error = 0;
  int64_t layers = 0;
  double seconds = 0;
  std::map<std::string, double> perplexity;  // dataset → PPL
  std::string output_dir;
};

using EventBody = std::variant<StageEvent, ProgressEvent, LayerEvent, BlockEvent,
                               EvalProgressEvent, PerplexityEvent, ArtifactEvent,
                               WarningEvent, SummaryEvent>;

struct Event {
  EventBody body;
  double time = 0;  // seconds since the Unix epoch, set by the emitter
};

// "stage", "progress", "layer", "block", "eval_progress", "perplexity",
// "artifact", "warning", "summary".
const char* EventType(const Event& event);

// {"type": "...", "time": t, ...fields}: --json-events lines and metrics.json.
nlohmann::json EventToJson(const Event& event);
// The inverse; INVALID_ARGUMENT naming the bad field.
[[nodiscard]] absl::StatusOr<Event> EventFromJson(const nlohmann::json& json);

// Receives a job's events in order. Implementations must be cheap and must not
// throw; they are called on the pipeline thread. A sink that cannot deliver
// (a broken connection) keeps the events and reports it its own way — the
// job does not fail because a watcher went away.
class EventSink {
 public:
  virtual ~EventSink() = default;
  virtual void Emit(const Event& event) = 0;
  // Stamps the time and emits.
  void Emit(EventBody body);
};

// Forwards each event to several sinks, in order. Does not own them.
class TeeSink final : public EventSink {
 public:
  explicit TeeSink(std::vector<EventSink*> sinks) : sinks_(std::move(sinks)) {}
  void Emit(const Event& event) override;
  using EventSink::Emit;

 private:
  std::vector<EventSink*> sinks_;
};

// Keeps every event (for metrics.json and tests). Not thread-safe.
class RecordingSink final : public EventSink {
 public:
  void Emit(const Event& event) override { events_.push_back(event); }
  using EventSink::Emit;
  const std::vector<Event>& events() const { return events_; }

 private:
  std::vector<Event> events_;
};

}  // namespace binq

#endif  // BINQ_CORE_BASE_EVENT_H_
