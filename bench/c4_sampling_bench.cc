// Time to read a C4-sized train shard and draw the calibration windows, the
// tokenizer aside. Against a baseline in the same process: inflating the same
// file with zlib's gzread and nothing else.
//   binq-bench-c4 --make FILE     write a synthetic shard like
//                                 c4-train.00000-of-01024.json.gz (356,317
//                                 documents, ~2 KB of text each, lognormal)
//   binq-bench-c4 FILE [--nsamples 128] [--seqlen 2048] [--span BYTES]
// The stand-in tokenizer gives one id per 4 bytes (about BPE's rate on
// English), so that the share of documents long enough resembles C4's.
#include <zlib.h>

#include <chrono>
#include <cmath>
#include <ctime>
#include <cstdio>
#include <iostream>
#include <memory>
#include <random>
#include <string>
#include <vector>

#include <CLI/CLI.hpp>

#include "absl/strings/str_format.h"
#include "core/data/datasets.h"
#include "core/data/gzip_jsonl.h"
#include "core/text/tokenizer.h"
#include "nlohmann/json.hpp"

namespace {

double Seconds(std::chrono::steady_clock::time_point since) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - since).count();
}

// Process CPU seconds: on a shared machine wall time also counts the waits.
double CpuSeconds() { return static_cast<double>(std::clock()) / CLOCKS_PER_SEC; }

class QuarterByteTokenizer : public binq::core::Tokenizer {
 public:
  absl::StatusOr<std::vector<int32_t>> Encode(absl::string_view text) const override {
    std::vector<int32_t> ids((text.size() + 3) / 4);
    for (size_t i = 0; i < ids.size(); ++i) ids[i] = static_cast<unsigned char>(text[4 * i]) + 3;
    return ids;
  }
  std::string Decode(absl::Span<const int32_t>) const override { return ""; }
  int32_t bos_id() const override { return 2; }
  bool adds_bos() const override { return true; }
  int64_t vocab_size() const override { return 259; }
};

int Make(const std::string& path) {
  std::mt19937_64 rng(0);
  std::vector<std::string> vocab;
  for (int i = 0; i < 50000; ++i) {
    std::string w;
    const int len = 2 + static_cast<int>(rng() % 9);
    for (int c = 0; c < len; ++c) w.push_back(static_cast<char>('a' + rng() % 26));
    vocab.push_back(w);
  }
  std::vector<double> weights(vocab.size());
  for (size_t i = 0; i < weights.size(); ++i) weights[i] = 1.0 / static_cast<double>(i + 1);
  std::discrete_distribution<size_t> zipf(weights.begin(), weights.end());
  std::lognormal_distribution<double> length(std::log(1200.0), 1.0);

  gzFile out = gzopen(path.c_str(), "wb6");
  if (out == nullptr) {
    std::cerr << "cannot write " << path << "\n";
    return 1;
  }
  uint64_t text_bytes = 0;
  for (int d = 0; d < 356317; ++d) {
    const auto target = static_cast<size_t>(std::max(20.0, length(rng)));
    std::string text;
    while (text.size() < target) {
      text += vocab[zipf(rng)];
      text += rng() % 12 == 0 ? ".\n" : " ";
    }
    text_bytes += text.size();
    const std::string line =
        nlohmann::json{{"text", text}, {"timestamp", "2019-04-25T12:57:54Z"},
                       {"url", "https://example.com/" + std::to_string(d)}}
            .dump() +
        "\n";
    gzwrite(out, line.data(), static_cast<unsigned>(line.size()));
  }
  gzclose(out);
  std::cout << absl::StrFormat("wrote %s: 356317 documents, %.1f MB of text\n", path,
                               text_bytes / 1e6);
  return 0;
}

int Main(int argc, char** argv) {
  CLI::App app{"binq C4 reading and sampling benchmark"};
  std::string file, make;
  int64_t nsamples = 128, seqlen = 2048;
  uint64_t span = binq::core::GzipJsonlOptions().access_point_span;
  app.add_option("file", file, "a .json.gz shard");
  app.add_option("--make", make, "write a synthetic shard to this path and exit");
  app.add_option("--nsamples", nsamples)->capture_default_str();
  app.add_option("--seqlen", seqlen)->capture_default_str();
  app.add_option("--span", span, "inflated bytes between access points")->capture_default_str();
  CLI11_PARSE(app, argc, argv);
  if (!make.empty()) return Make(make);
  if (file.empty()) {
    std::cerr << app.help();
    return 2;
  }

  auto start = std::chrono::steady_clock::now();
  double cpu_start = CpuSeconds();
  gzFile in = gzopen(file.c_str(), "rb");
  if (in == nullptr) {
    std::cerr << "cannot open " << file << "\n";
    return 1;
  }
  gzbuffer(in, 1 << 20);
  std::vector<char> buffer(1 << 20);
  uint64_t inflated = 0;
  for (int n; (n = gzread(in, buffer.data(), static_cast<unsigned>(buffer.size()))) > 0;) inflated += n;
  gzclose(in);
  const double baseline = Seconds(start);
  const double baseline_cpu = CpuSeconds() - cpu_start;

  start = std::chrono::steady_clock::now();
  cpu_start = CpuSeconds();
  binq::core::GzipJsonlOptions options;
  options.access_point_span = span;
  auto docs = binq::core::GzipJsonlDocuments::Open(file, options);
  if (!docs.ok()) {
    std::cerr << docs.status() << "\n";
    return 1;
  }
  const double open = Seconds(start);
  const double open_cpu = CpuSeconds() - cpu_start;

  start = std::chrono::steady_clock::now();
  cpu_start = CpuSeconds();
  QuarterByteTokenizer tokenizer;
  binq::core::CalibrationOptions calibration;
  calibration.nsamples = nsamples;
  calibration.seqlen = seqlen;
  auto set = binq::core::SampleDocumentWindows(
      "c4", (*docs)->size(), [&](int64_t k) { return (*docs)->Text(k); }, tokenizer, calibration);
  if (!set.ok()) {
    std::cerr << set.status() << "\n";
    return 1;
  }
  const double sample = Seconds(start);
  const double sample_cpu = CpuSeconds() - cpu_start;

  std::cout << absl::StrFormat(
      "%s: %d documents, %.1f MB inflated, index %.1f MB (%d access points, span %d)\n", file,
      (*docs)->size(), inflated / 1e6, (*docs)->index_bytes() / 1e6,
      (*docs)->access_points().size(), span);
  std::cout << absl::StrFormat("%-34s %8s %8s %9s\n", "step", "wall s", "CPU s", "CPU ratio");
  std::cout << absl::StrFormat("%-34s %8.2f %8.2f %9.2f\n", "baseline: gzread the whole file",
                               baseline, baseline_cpu, 1.0);
  std::cout << absl::StrFormat("%-34s %8.2f %8.2f %9.2f\n", "open: inflate, check, index", open,
                               open_cpu, open_cpu / baseline_cpu);
  std::cout << absl::StrFormat("%-34s %8.2f %8.2f %9.2f   (%d windows, %d documents drawn)\n",
                               "sample: draw windows", sample, sample_cpu,
                               sample_cpu / baseline_cpu, nsamples, set->document_draws);
  return 0;
}

}  // namespace

int main(int argc, char** argv) { return Main(argc, argv); }
