// RunJob end to end on a tiny random OPT (2 blocks, hidden 64, GPT-2
// tokenizer) that `binq-run make-tiny` writes into each test's temp folder:
// the events a job emits and their order, the output folder and its files,
// the packed model against the de-quantized checkpoint, cancellation, the
// atomic replacement of an earlier result, the errors of bad specs, and
// determinism. The stages' building blocks (io, text, data, model, eval)
// have their own suites; this one checks how the runner puts them together.
#include "core/pipeline/job_runner.h"

#include <cmath>
#include <cstring>
#include <fstream>
#include <set>
#include <sstream>
#include <string>
#include <vector>

#include <dirent.h>
#include <sys/stat.h>
#include <unistd.h>

#include <ATen/ATen.h>
#include <ATen/Parallel.h>
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "core/base/path_util.h"
#include "core/io/checkpoint_reader.h"
#include "core/io/posix_file.h"
#include "core/pipeline/packed_model.h"
#include "core/torch/checkpoint_torch.h"
#include "nlohmann/json.hpp"
#include "tests/testing/files.h"
#include "tests/testing/status_matchers.h"
#include "tests/testing/subprocess.h"

namespace binq::core {
namespace {

using ::binq::testing::MakeTempDir;
using ::binq::testing::PathExists;
using ::binq::testing::ProcessResult;
using ::binq::testing::ReadFileOrEmpty;
using ::binq::testing::RunProcess;
using ::binq::testing::StatusIs;
using ::testing::AllOf;
using ::testing::ElementsAre;
using ::testing::ElementsAreArray;
using ::testing::HasSubstr;
using ::testing::IsEmpty;
using Json = nlohmann::json;

const std::string kBinqRun = BINQ_RUN_PATH;
constexpr int kBlocks = 2;  // make-tiny's default
// The reference order of a block's linears (ALGORITHMS.md §2.2).
const std::vector<std::string> kLinears = {"self_attn.k_proj", "self_attn.v_proj", "self_attn.q_proj",
                                           "self_attn.out_proj", "fc1", "fc2"};

// Keeps the first whole lines of `path` that make at least `bytes` bytes.
void KeepFirstLines(const std::string& path, size_t bytes) {
  const std::string text = ReadFileOrEmpty(path);
  ASSERT_GT(text.size(), bytes) << path;
  const size_t end = text.find('\n', bytes);
  std::ofstream(path, std::ios::binary | std::ios::trunc) << text.substr(0, end + 1);
}

// std::filesystem is not used here: libtorch.so exports its own copies of
// some of its symbols, and the dynamic linker picks those (remove_all crashes).

// Entries beside `dir` whose name starts with `dir`'s name + `marker` (the
// staging folders "<dir>.partial-XXXXXX", the moved-aside "<dir>.old-PID").
std::vector<std::string> Siblings(const std::string& dir, const std::string& marker) {
  std::vector<std::string> out;
  const std::string parent = ParentDir(dir);
  const std::string prefix = dir.substr(parent.size() + 1) + marker;
  DIR* d = ::opendir(parent.c_str());
  EXPECT_NE(d, nullptr) << parent;
  if (d == nullptr) return out;
  while (const dirent* e = ::readdir(d)) {
    if (absl::StartsWith(e->d_name, prefix)) out.push_back(JoinPath(parent, e->d_name));
  }
  ::closedir(d);
  return out;
}

// What an event is, for order checks: "stage:loading", "layer", "block", …
std::string Kind(const Event& e) {
  if (const auto* s = std::get_if<StageEvent>(&e.body)) return absl::StrCat("stage:", StageName(s->stage));
  return EventType(e);
}

// An EventSink that records and can cancel on a condition.
class CancellingSink final : public EventSink {
 public:
  CancellingSink(CancelToken& token, std::function<bool(const Event&)> when)
      : token_(token), when_(std::move(when)) {}
  void Emit(const Event& e) override {
    events_.push_back(e);
    if (when_(e)) token_.Cancel();
  }
  using EventSink::Emit;
  const std::vector<Event>& events() const { return events_; }

 private:
  CancelToken& token_;
  std::function<bool(const Event&)> when_;
  std::vector<Event> events_;
};

template <typename T>
std::vector<T> EventsOf(const std::vector<Event>& events) {
  std::vector<T> out;
  for (const Event& e : events) {
    if (const auto* b = std::get_if<T>(&e.body)) out.push_back(*b);
  }
  return out;
}

// Every tensor of a checkpoint folder, by name.
std::vector<std::pair<std::string, at::Tensor>> ReadCheckpoint(const std::string& dir) {
  std::vector<std::pair<std::string, at::Tensor>> out;
  auto reader = CheckpointReader::Open(dir);
  EXPECT_TRUE(reader.ok()) << reader.status();
  if (!reader.ok()) return out;
  for (const std::string& name : (*reader)->TensorNames()) {
    auto t = LoadTensor(**reader, name);
    EXPECT_TRUE(t.ok()) << t.status();
    if (t.ok()) out.emplace_back(name, t->contiguous().clone());
  }
  return out;
}

bool BitEqual(const at::Tensor& a, const at::Tensor& b) {
  if (a.scalar_type() != b.scalar_type() || a.sizes() != b.sizes()) return false;
  const at::Tensor ca = a.contiguous(), cb = b.contiguous();
  return std::memcmp(ca.data_ptr(), cb.data_ptr(), ca.nbytes()) == 0;
}

class JobRunnerTest : public ::testing::Test {
 protected:
  void SetUp() override {
    // ctest -j runs these side by side on few cores; one LibTorch thread
    // each avoids OpenMP threads spinning against each other.
    at::set_num_threads(1);
    root_ = MakeTempDir();
    const ProcessResult r = RunProcess({kBinqRun, "make-tiny", root_ + "/tiny"});
    ASSERT_EQ(r.exit_code, 0) << r.err;
    model_ = root_ + "/tiny/model";
    data_ = root_ + "/tiny/data";
    // Evaluation costs most (a 50,272-entry vocabulary): keep about ten
    // windows of 64 tokens in each test split.
    KeepFirstLines(data_ + "/wikitext-2-raw/wiki.test.raw", 2500);
    KeepFirstLines(data_ + "/ptb/ptb.test.txt", 2500);
  }
  void TearDown() override {
    if (!HasFailure()) (void)RemoveTree(root_);
  }

  JobSpec Spec(const std::string& technique) const {
    JobSpec spec;
    spec.model = model_;
    spec.technique = technique;
    spec.dataset = "wikitext2";
    spec.seqlen = 64;
    spec.nsamples = 8;
    spec.device = "cpu";
    return spec;
  }
  RunOptions Options(const std::string& out) const {
    RunOptions o;
    o.output_dir = out;
    o.data_dir = data_;
    o.hub_cache_dir = root_ + "/no-hub-cache";
    return o;
  }
  absl::StatusOr<RunResult> Run(const JobSpec& spec, const std::string& out, EventSink& sink,
                                const CancelToken* cancel = nullptr) {
    return RunJob(spec, Options(out), sink, cancel);
  }

  std::string root_, model_, data_;
};

TEST_F(JobRunnerTest, EventsArriveInStageAndReferenceOrder) {
  JobSpec spec = Spec("CRB");
  spec.eval_datasets = {"wikitext2", "ptb"};
  RecordingSink sink;
  BINQ_ASSERT_OK_AND_ASSIGN(const RunResult result, Run(spec, root_ + "/out", sink));
  const std::vector<Event>& events = sink.events();
  ASSERT_FALSE(events.empty());

  // Stages enter in pipeline order, each at least once, never going back.
  std::vector<std::string> stages;
  for (const Event& e : events) {
    const std::string k = Kind(e);
    if (absl::StartsWith(k, "stage:") && (stages.empty() || stages.back() != k)) stages.push_back(k);
  }
  EXPECT_THAT(stages, ElementsAre("stage:loading", "stage:calibrating", "stage:quantizing",
                                  "stage:evaluating", "stage:saving"));
  EXPECT_EQ(Kind(events.front()), "stage:loading");

  // Within quantizing: per block its six linears in reference order, then
  // its BlockEvent; progress events name the stage they are in.
  std::vector<std::string> expected;
  for (int b = 0; b < kBlocks; ++b) {
    for (const std::string& l : kLinears) expected.push_back(absl::StrCat("layer ", b, " ", l));
    expected.push_back(absl::StrCat("block ", b));
  }
  std::vector<std::string> got;
  Stage current = Stage::kLoading;
  for (const Event& e : events) {
    if (const auto* s = std::get_if<StageEvent>(&e.body)) current = s->stage;
    if (const auto* p = std::get_if<ProgressEvent>(&e.body)) {
      EXPECT_EQ(p->stage, current) << "progress '" << p->unit << "' outside its stage";
      EXPECT_LE(p->done, p->total);
    }
    if (const auto* l = std::get_if<LayerEvent>(&e.body)) {
      EXPECT_EQ(current, Stage::kQuantizing);
      got.push_back(absl::StrCat("layer ", l->block, " ", l->name));
      EXPECT_EQ(l->num_blocks, kBlocks);
      EXPECT_EQ(l->technique, "CRB");
      const bool up = l->name == "fc1", down = l->name == "fc2";
      EXPECT_EQ(l->rows, up ? 256 : 64) << l->name;
      EXPECT_EQ(l->cols, down ? 256 : 64) << l->name;
      EXPECT_GT(l->relative_error, 0) << l->name;
      EXPECT_LT(l->relative_error, 1) << l->name;
      EXPECT_GT(l->wbits, 1) << l->name;
      EXPECT_GT(l->storage_bits, 1) << l->name;
    }
    if (const auto* b = std::get_if<BlockEvent>(&e.body)) {
      EXPECT_EQ(current, Stage::kQuantizing);
      got.push_back(absl::StrCat("block ", b->block));
      EXPECT_EQ(b->num_blocks, kBlocks);
      EXPECT_GE(b->eta_seconds, 0);
    }
    if (std::holds_alternative<EvalProgressEvent>(e.body) || std::holds_alternative<PerplexityEvent>(e.body)) {
      EXPECT_EQ(current, Stage::kEvaluating);
    }
  }
  EXPECT_THAT(got, ElementsAreArray(expected));

  // One perplexity per evaluation dataset, in the order given.
  const auto ppl = EventsOf<PerplexityEvent>(events);
  ASSERT_EQ(ppl.size(), 2u);
  EXPECT_EQ(ppl[0].dataset, "wikitext2");
  EXPECT_EQ(ppl[1].dataset, "ptb");
  for (const PerplexityEvent& p : ppl) {
    EXPECT_TRUE(std::isfinite(p.perplexity) && p.perplexity > 1) << p.dataset << " " << p.perplexity;
    EXPECT_GT(p.windows, 0);
    EXPECT_EQ(p.tokens, p.windows * 64);
  }

  // The tail: the artifacts, after everything is committed, then the summary.
  ASSERT_GE(events.size(), 4u);
  std::vector<std::string> tail;
  for (size_t i = events.size() - 4; i < events.size(); ++i) tail.push_back(Kind(events[i]));
  EXPECT_THAT(tail, ElementsAre("artifact", "artifact", "artifact", "summary"));
  std::vector<std::string> artifact_kinds;
  for (const ArtifactEvent& a : EventsOf<ArtifactEvent>(events)) {
    artifact_kinds.push_back(a.kind);
    EXPECT_TRUE(PathExists(a.path)) << a.path;
    EXPECT_GT(a.bytes, 0) << a.kind;
    EXPECT_TRUE(absl::StartsWith(a.path, root_ + "/out/")) << a.path;
  }
  EXPECT_THAT(artifact_kinds, ElementsAre("model", "packed", "metrics"));
  EXPECT_EQ(EventsOf<SummaryEvent>(events).size(), 1u);

  const SummaryEvent& summary = result.summary;
  EXPECT_EQ(summary.technique, "CRB");
  EXPECT_EQ(summary.layers, kBlocks * 6);
  EXPECT_EQ(summary.output_dir, root_ + "/out");
  EXPECT_EQ(result.output_dir, root_ + "/out");
  EXPECT_EQ(summary.perplexity.at("wikitext2"), ppl[0].perplexity);
  EXPECT_EQ(summary.perplexity.at("ptb"), ppl[1].perplexity);
  // The papers' bits: 1 bit plus the salient columns' extra, a little above 1.
  EXPECT_GT(summary.wbits, 1.0);
  EXPECT_LT(summary.wbits, 2.0);
  double mean_error = 0;
  for (const LayerEvent& l : EventsOf<LayerEvent>(events)) mean_error += l.relative_error / (kBlocks * 6);
  EXPECT_NEAR(summary.mean_relative_error, mean_error, 1e-12);
}

TEST_F(JobRunnerTest, WritesTheOutputFolder) {
  const std::string out = root_ + "/results/crb";  // missing parents are created
  RecordingSink sink;
  BINQ_ASSERT_OK_AND_ASSIGN(const RunResult result, Run(Spec("crb"), out, sink));
  EXPECT_TRUE(IsDirectory(out + "/model"));
  for (const char* f : {"config.json", "model.safetensors", "vocab.json", "merges.txt", "tokenizer_config.json",
                        "special_tokens_map.json"}) {
    EXPECT_TRUE(IsRegularFile(absl::StrCat(out, "/model/", f))) << f;
  }
  EXPECT_EQ(ReadFileOrEmpty(out + "/model/config.json"), ReadFileOrEmpty(model_ + "/config.json"));
  EXPECT_TRUE(IsRegularFile(out + "/binq.safetensors"));
  EXPECT_THAT(Siblings(out, ".partial-"), IsEmpty());
  EXPECT_THAT(Siblings(out, ".old-"), IsEmpty());

  const Json metrics = Json::parse(ReadFileOrEmpty(out + "/metrics.json"));
  EXPECT_EQ(metrics["spec"]["technique"], "CRB");  // canonical spelling
  EXPECT_EQ(metrics["spec"]["seqlen"], 64);
  EXPECT_EQ(metrics["spec"]["nsamples"], 8);
  EXPECT_EQ(metrics["spec"]["model"], model_);
  EXPECT_EQ(metrics["model"]["blocks"], kBlocks);
  EXPECT_EQ(metrics["model"]["source"], "local");
  EXPECT_EQ(metrics["device"], "cpu");
  EXPECT_EQ(metrics["calibration"]["windows"], 8);
  EXPECT_EQ(metrics["calibration"]["starts"].size(), 8u);

  const auto layer_events = EventsOf<LayerEvent>(sink.events());
  ASSERT_EQ(metrics["layers"].size(), layer_events.size());
  for (size_t i = 0; i < layer_events.size(); ++i) {
    EXPECT_EQ(metrics["layers"][i]["block"], layer_events[i].block);
    EXPECT_EQ(metrics["layers"][i]["name"], layer_events[i].name);
    EXPECT_EQ(metrics["layers"][i]["relative_error"].get<double>(), layer_events[i].relative_error);
  }
  EXPECT_EQ(metrics["blocks"].size(), static_cast<size_t>(kBlocks));
  EXPECT_EQ(metrics["perplexity"]["wikitext2"]["perplexity"].get<double>(),
            result.summary.perplexity.at("wikitext2"));
  EXPECT_GT(metrics["perplexity"]["wikitext2"]["windows"].get<int64_t>(), 0);
  for (const char* stage : {"loading", "calibrating", "quantizing", "evaluating", "saving", "total"}) {
    EXPECT_TRUE(metrics["timings"].contains(stage)) << stage;
    EXPECT_GE(metrics["timings"][stage].get<double>(), 0) << stage;
  }
  EXPECT_EQ(metrics["summary"]["type"], "summary");
  EXPECT_EQ(metrics["summary"]["layers"], kBlocks * 6);
  EXPECT_EQ(metrics["storage"]["quantized_weights"], kBlocks * (4 * 64 * 64 + 2 * 64 * 256));
  EXPECT_EQ(metrics["outputs"].size(), 2u);  // model, packed (metrics.json cannot list its own size)
  // The events up to saving, as the sink saw them (the artifacts and the
  // summary come after metrics.json is written).
  const Json& recorded = metrics["events"];
  ASSERT_EQ(recorded.size(), sink.events().size() - 4);
  for (size_t i = 0; i < recorded.size(); ++i) {
    EXPECT_EQ(recorded[i], EventToJson(sink.events()[i])) << "event " << i;
  }

  // layers.csv: a header and one row per LayerEvent, in order.
  const std::vector<std::string> lines =
      absl::StrSplit(ReadFileOrEmpty(out + "/layers.csv"), '\n', absl::SkipEmpty());
  ASSERT_EQ(lines.size(), layer_events.size() + 1);
  EXPECT_TRUE(absl::StartsWith(lines[0], "block,layer,rows,cols,technique,")) << lines[0];
  for (size_t i = 0; i < layer_events.size(); ++i) {
    EXPECT_TRUE(absl::StartsWith(lines[i + 1], absl::StrCat(layer_events[i].block, ",", layer_events[i].name, ",",
                                                            layer_events[i].rows, ",", layer_events[i].cols,
                                                            ",CRB,")))
        << lines[i + 1];
  }
}

// binq.safetensors rebuilds model/ bit for bit, every tensor, for each
// technique (their packings differ); the quantized linears differ from the
// original weights and everything else is the original.
class TechniqueTest : public JobRunnerTest, public ::testing::WithParamInterface<const char*> {};

TEST_P(TechniqueTest, RunsAndPackedModelRebuildsTheCheckpoint) {
  const std::string out = root_ + "/out";
  RecordingSink sink;
  BINQ_ASSERT_OK_AND_ASSIGN(const RunResult result, Run(Spec(GetParam()), out, sink));
  const auto layers = EventsOf<LayerEvent>(sink.events());
  ASSERT_EQ(layers.size(), static_cast<size_t>(kBlocks * 6));
  for (const LayerEvent& l : layers) {
    EXPECT_EQ(l.technique, GetParam());
    EXPECT_GT(l.relative_error, 0) << l.name;
    EXPECT_TRUE(std::isfinite(l.relative_error)) << l.name;
  }
  EXPECT_TRUE(std::isfinite(result.summary.perplexity.at("wikitext2")));

  const auto checkpoint = ReadCheckpoint(out + "/model");
  BINQ_ASSERT_OK_AND_ASSIGN(const auto packed, LoadPackedModel(out + "/binq.safetensors"));
  std::vector<std::string> checkpoint_names, packed_names;
  for (const auto& [name, t] : checkpoint) checkpoint_names.push_back(name);
  for (const auto& [name, t] : packed) packed_names.push_back(name);
  ASSERT_EQ(packed_names, checkpoint_names);
  for (size_t i = 0; i < packed.size(); ++i) {
    EXPECT_TRUE(BitEqual(packed[i].second, checkpoint[i].second))
        << checkpoint[i].first << ": " << packed[i].second.scalar_type() << packed[i].second.sizes() << " vs "
        << checkpoint[i].second.scalar_type() << checkpoint[i].second.sizes();
  }

  const auto original = ReadCheckpoint(model_);
  ASSERT_EQ(original.size(), checkpoint.size());
  std::set<std::string> quantized;
  for (int b = 0; b < kBlocks; ++b) {
    for (const std::string& l : kLinears) quantized.insert(absl::StrCat("model.decoder.layers.", b, ".", l, ".weight"));
  }
  int changed = 0;
  for (size_t i = 0; i < original.size(); ++i) {
    ASSERT_EQ(original[i].first, checkpoint[i].first);
    const bool same = BitEqual(original[i].second, checkpoint[i].second);
    if (quantized.count(original[i].first) > 0) {
      EXPECT_FALSE(same) << original[i].first << " was not quantized";
      changed += same ? 0 : 1;
    } else {
      EXPECT_TRUE(same) << original[i].first << " changed but is not a block linear";
    }
  }
  EXPECT_EQ(changed, kBlocks * 6);
}

INSTANTIATE_TEST_SUITE_P(All, TechniqueTest, ::testing::Values("braq", "CRBOG", "CRB", "sign", "rtn"),
                         [](const auto& info) { return std::string(info.param); });

// "fp16" is the old name of none, kept as its alias.
TEST_F(JobRunnerTest, Fp16EvaluatesOnlyAndWritesNoModel) {
  const std::string out = root_ + "/fp16";
  RecordingSink sink;
  BINQ_ASSERT_OK_AND_ASSIGN(const RunResult result, Run(Spec("FP16"), out, sink));
  EXPECT_EQ(result.summary.technique, "none");
  EXPECT_EQ(result.summary.layers, 0);
  std::set<std::string> kinds;
  for (const Event& e : sink.events()) kinds.insert(Kind(e));
  EXPECT_EQ(kinds.count("stage:calibrating"), 0u);
  EXPECT_EQ(kinds.count("stage:quantizing"), 0u);
  EXPECT_EQ(kinds.count("layer"), 0u);
  EXPECT_EQ(kinds.count("block"), 0u);
  EXPECT_EQ(kinds.count("stage:evaluating"), 1u);
  EXPECT_EQ(EventsOf<PerplexityEvent>(sink.events()).size(), 1u);
  std::vector<std::string> artifact_kinds;
  for (const ArtifactEvent& a : EventsOf<ArtifactEvent>(sink.events())) artifact_kinds.push_back(a.kind);
  EXPECT_THAT(artifact_kinds, ElementsAre("metrics"));

  EXPECT_FALSE(PathExists(out + "/model"));
  EXPECT_FALSE(PathExists(out + "/binq.safetensors"));
  EXPECT_FALSE(PathExists(out + "/layers.csv"));
  const Json metrics = Json::parse(ReadFileOrEmpty(out + "/metrics.json"));
  EXPECT_EQ(metrics["spec"]["technique"], "none");
  EXPECT_TRUE(metrics["calibration"].is_null());
  EXPECT_EQ(metrics["layers"].size(), 0u);
  EXPECT_EQ(metrics["perplexity"]["wikitext2"]["perplexity"].get<double>(),
            result.summary.perplexity.at("wikitext2"));
  // A random model knows nothing: its perplexity is of the order of the
  // vocabulary (50,272).
  EXPECT_GT(result.summary.perplexity.at("wikitext2"), 1000);
}

TEST_F(JobRunnerTest, CancelledAtTheSecondLayerLeavesNoOutput) {
  const std::string out = root_ + "/cancelled";
  CancelToken cancel;
  int layers = 0;
  CancellingSink sink(cancel, [&](const Event& e) {
    return std::holds_alternative<LayerEvent>(e.body) && ++layers == 2;
  });
  EXPECT_THAT(Run(Spec("CRB"), out, sink, &cancel), StatusIs(absl::StatusCode::kCancelled, HasSubstr("cancel")));
  EXPECT_EQ(layers, 2) << "a layer was quantized after the cancellation";
  EXPECT_TRUE(EventsOf<SummaryEvent>(sink.events()).empty());
  EXPECT_TRUE(EventsOf<ArtifactEvent>(sink.events()).empty());
  EXPECT_FALSE(PathExists(out));
  EXPECT_THAT(Siblings(out, ".partial-"), IsEmpty());
}

TEST_F(JobRunnerTest, EarlierResultIsReplacedOnlyOnSuccess) {
  const std::string out = root_ + "/out";
  BINQ_ASSERT_OK(MakeDirs(out));
  std::ofstream(out + "/metrics.json") << "{}\n";  // what makes it an earlier result
  std::ofstream(out + "/earlier.txt") << "an earlier result\n";

  // A run that fails late (cancelled after its last perplexity, before saving).
  {
    CancelToken cancel;
    CancellingSink sink(cancel, [](const Event& e) { return std::holds_alternative<PerplexityEvent>(e.body); });
    EXPECT_THAT(Run(Spec("braq"), out, sink, &cancel), StatusIs(absl::StatusCode::kCancelled, HasSubstr("saving")));
    EXPECT_EQ(ReadFileOrEmpty(out + "/earlier.txt"), "an earlier result\n");
    EXPECT_EQ(ReadFileOrEmpty(out + "/metrics.json"), "{}\n");
    EXPECT_THAT(Siblings(out, ".partial-"), IsEmpty());
  }
  // A run that fails early (bad dataset) does not touch it either.
  {
    JobSpec spec = Spec("braq");
    spec.dataset = root_ + "/no-such-corpus.txt";
    RecordingSink sink;
    EXPECT_THAT(Run(spec, out, sink), StatusIs(absl::StatusCode::kNotFound, HasSubstr("no-such-corpus.txt")));
    EXPECT_EQ(ReadFileOrEmpty(out + "/earlier.txt"), "an earlier result\n");
  }
  // A run that succeeds replaces it whole.
  RecordingSink sink;
  BINQ_ASSERT_OK(Run(Spec("braq"), out, sink).status());
  EXPECT_FALSE(PathExists(out + "/earlier.txt"));
  EXPECT_NE(ReadFileOrEmpty(out + "/metrics.json"), "{}\n");
  EXPECT_THAT(Siblings(out, ".partial-"), IsEmpty());
  EXPECT_THAT(Siblings(out, ".old-"), IsEmpty());
}

// Only an empty folder or an earlier result is replaced: a mistyped output
// path (the model's folder, a folder of other results, a file) is refused
// before any work and left as it was.
TEST_F(JobRunnerTest, OutputPathThatIsNoEarlierResultIsRefused) {
  const std::string others = root_ + "/results";
  BINQ_ASSERT_OK(MakeDirs(others + "/opt-1.3b-CRB"));
  std::ofstream(others + "/notes.txt") << "mine\n";
  const std::string file = root_ + "/a-file";
  std::ofstream(file) << "mine\n";
  for (const std::string& out : {model_, others, file}) {
    SCOPED_TRACE(out);
    RecordingSink sink;
    EXPECT_THAT(Run(Spec("CRB"), out, sink),
                StatusIs(absl::StatusCode::kInvalidArgument, AllOf(HasSubstr(out), HasSubstr("metrics.json"))));
    EXPECT_TRUE(sink.events().empty());
    EXPECT_THAT(Siblings(out, ".partial-"), IsEmpty());
  }
  EXPECT_TRUE(IsRegularFile(model_ + "/model.safetensors"));
  EXPECT_EQ(ReadFileOrEmpty(others + "/notes.txt"), "mine\n");
  EXPECT_TRUE(IsDirectory(others + "/opt-1.3b-CRB"));
  EXPECT_EQ(ReadFileOrEmpty(file), "mine\n");

  // An empty folder is fine (a scheduler may create it for the job).
  const std::string empty = root_ + "/empty";
  BINQ_ASSERT_OK(MakeDirs(empty));
  RecordingSink sink;
  BINQ_ASSERT_OK(Run(Spec("sign"), empty, sink).status());
  EXPECT_TRUE(IsRegularFile(empty + "/metrics.json"));
}

TEST_F(JobRunnerTest, SeqlenBeyondThePositionsIsRejected) {
  JobSpec spec = Spec("CRB");
  spec.seqlen = 129;  // make-tiny: 128 positions
  RecordingSink sink;
  EXPECT_THAT(Run(spec, root_ + "/out", sink),
              StatusIs(absl::StatusCode::kInvalidArgument, AllOf(HasSubstr("seqlen"), HasSubstr("129"),
                                                                 HasSubstr("128"))));
  EXPECT_TRUE(EventsOf<LayerEvent>(sink.events()).empty());
  EXPECT_FALSE(PathExists(root_ + "/out"));
}

TEST_F(JobRunnerTest, MissingDatasetFileIsNamedBeforeAnyQuantization) {
  const std::string missing = data_ + "/ptb/ptb.test.txt";
  ASSERT_EQ(::unlink(missing.c_str()), 0) << missing;
  JobSpec spec = Spec("CRB");
  spec.eval_datasets = {"wikitext2", "ptb"};  // calibration data is there; an evaluation file is not
  RecordingSink sink;
  EXPECT_THAT(Run(spec, root_ + "/out", sink),
              StatusIs(absl::StatusCode::kNotFound, AllOf(HasSubstr(missing), HasSubstr("BINQ_DATA_DIR"))));
  for (const Event& e : sink.events()) {  // nothing but loading happened
    if (const auto* s = std::get_if<StageEvent>(&e.body)) {
      EXPECT_EQ(s->stage, Stage::kLoading) << s->detail;
    } else if (const auto* p = std::get_if<ProgressEvent>(&e.body)) {
      EXPECT_EQ(p->stage, Stage::kLoading) << p->unit;
    } else {
      ADD_FAILURE() << "unexpected " << Kind(e) << " event";
    }
  }
  EXPECT_TRUE(EventsOf<LayerEvent>(sink.events()).empty());
  EXPECT_FALSE(PathExists(root_ + "/out"));
}

TEST_F(JobRunnerTest, UnknownTechniqueIsRejected) {
  RecordingSink sink;
  EXPECT_THAT(Run(Spec("crb2"), root_ + "/out", sink),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       AllOf(HasSubstr("technique"), HasSubstr("crb2"), HasSubstr("CRBOG"))));
  EXPECT_TRUE(sink.events().empty());
}

TEST_F(JobRunnerTest, MissingModelIsNotFound) {
  JobSpec spec = Spec("CRB");
  spec.model = root_ + "/no-such-model";
  RecordingSink sink;
  EXPECT_THAT(Run(spec, root_ + "/out", sink),
              StatusIs(absl::StatusCode::kNotFound, HasSubstr(root_ + "/no-such-model")));
  EXPECT_TRUE(EventsOf<LayerEvent>(sink.events()).empty());
  EXPECT_FALSE(PathExists(root_ + "/out"));
}

TEST_F(JobRunnerTest, SameSeedSameWindowsAndResults) {
  auto run = [&](uint64_t seed, const std::string& out) {
    JobSpec spec = Spec("CRB");
    spec.seed = seed;
    RecordingSink sink;
    auto r = Run(spec, out, sink);
    EXPECT_TRUE(r.ok()) << r.status();
    return Json::parse(ReadFileOrEmpty(out + "/metrics.json"));
  };
  const Json a = run(0, root_ + "/a"), b = run(0, root_ + "/b"), c = run(1, root_ + "/c");
  EXPECT_EQ(a["calibration"]["starts"], b["calibration"]["starts"]);
  EXPECT_NE(a["calibration"]["starts"], c["calibration"]["starts"]);
  EXPECT_EQ(a["perplexity"], b["perplexity"]);
  ASSERT_EQ(a["layers"].size(), b["layers"].size());
  for (size_t i = 0; i < a["layers"].size(); ++i) {
    for (const char* f : {"relative_error", "loss", "salient_columns", "wbits", "storage_bits"}) {
      EXPECT_EQ(a["layers"][i][f], b["layers"][i][f]) << "layer " << i << " " << f;
    }
  }
  EXPECT_EQ(ReadFileOrEmpty(root_ + "/a/model/model.safetensors"), ReadFileOrEmpty(root_ + "/b/model/model.safetensors"));
  EXPECT_EQ(ReadFileOrEmpty(root_ + "/a/binq.safetensors"), ReadFileOrEmpty(root_ + "/b/binq.safetensors"));
}

}  // namespace
}  // namespace binq::core
