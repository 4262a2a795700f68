// Time to quantize one linear layer (default 4096×4096 from 2048 calibration
// rows) per technique and backend, with the stages separated: Hessian, factor
// (damping + Cholesky inverse), search, binarize, solver. Backends run side by
// side in one process; the last column is the ratio to the first backend.
//   binq-bench-layer [--rows 4096] [--cols 4096] [--tokens 2048]
//                    [--techniques braq,CRBOG,CRB] [--backends aten,kernels]
//                    [--device cpu|cuda] [--threads N]
#include <iostream>
#include <map>
#include <string>
#include <vector>

#include <ATen/ATen.h>
#include <ATen/Parallel.h>
#include <CLI/CLI.hpp>

#include "absl/strings/str_format.h"
#include "absl/strings/str_split.h"
#include "core/pipeline/device.h"
#include "core/quant/calibration.h"
#include "core/quant/stopwatch.h"
#include "core/quant/technique.h"

namespace {

int Main(int argc, char** argv) {
  CLI::App app{"binq layer-quantization benchmark"};
  int64_t rows = 4096, cols = 4096, tokens = 2048;
  int threads = 0;
  std::string techniques = "braq,CRBOG,CRB", backends = "aten,kernels", device_name = "cpu";
  app.add_option("--rows", rows)->capture_default_str();
  app.add_option("--cols", cols)->capture_default_str();
  app.add_option("--tokens", tokens, "calibration rows (one sequence)")->capture_default_str();
  app.add_option("--techniques", techniques)->capture_default_str();
  app.add_option("--backends", backends)->capture_default_str();
  app.add_option("--device", device_name, "cpu or cuda")->capture_default_str();
  app.add_option("--threads", threads, "LibTorch CPU threads (0: all)");
  CLI11_PARSE(app, argc, argv);
  if (threads > 0) at::set_num_threads(threads);
  const absl::StatusOr<at::Device> resolved = binq::core::ResolveDevice(device_name);
  if (!resolved.ok()) {
    std::cerr << "binq-bench-layer: " << resolved.status().message() << "\n";
    return 2;
  }
  const at::Device device = *resolved;
  binq::core::UseReferenceNumerics();  // no TF32, as in real runs

  at::manual_seed(0);
  const at::Tensor w = (at::randn({rows, cols}) * 0.02).to(device);
  const at::Tensor basis = at::randn({cols / 16, cols}) / 4.0;
  const at::Tensor x = (0.6 * at::randn({tokens, cols}) + 0.8 * at::randn({tokens, cols / 16}).matmul(basis)).to(device);

  binq::core::Stopwatch stopwatch(device);  // waits for queued GPU work
  const absl::StatusOr<at::Tensor> hessian = binq::core::HessianFromInputs(x, tokens);
  const double hessian_seconds = stopwatch.Lap();
  if (!hessian.ok()) {
    std::cerr << "binq-bench-layer: " << hessian.status() << "\n";
    return 1;
  }

  std::cout << absl::StrFormat("layer %dx%d, %d calibration rows, device %s, %d threads\n", rows,
                               cols, tokens, device_name, at::get_num_threads());
  std::cout << absl::StrFormat("%-7s %-13s %8s %8s %8s %9s %8s %8s %7s\n", "tech", "backend",
                               "hessian", "factor", "search", "binarize", "solver", "total",
                               "ratio");
  for (const std::string& name : std::vector<std::string>(absl::StrSplit(techniques, ','))) {
    auto technique = binq::core::TechniqueRegistry::Global().Find(name);
    if (!technique.ok()) {
      std::cerr << technique.status() << "\n";
      return 2;
    }
    double baseline = 0;
    for (const std::string& backend : std::vector<std::string>(absl::StrSplit(backends, ','))) {
      // The technique's catalog defaults, so every technique reads its own options.
      auto made = binq::core::MakeQuantOptions((*technique)->name(), {});
      if (!made.ok()) {
        std::cerr << "binq-bench-layer: " << made.status() << "\n";
        return 2;
      }
      binq::core::QuantOptions options = *std::move(made);
      const auto parsed = binq::core::ParseBackend(backend);
      if (!parsed.ok()) {
        std::cerr << "binq-bench-layer: " << parsed.status() << "\n";
        return 2;
      }
      options.backend = *parsed;
      auto r = (*technique)->Quantize(binq::core::LayerProblem{w, *hessian}, options);
      if (!r.ok()) {
        std::cerr << name << "/" << backend << ": " << r.status() << "\n";
        return 1;
      }
      const double total = hessian_seconds + r->total_seconds;
      if (baseline == 0) baseline = total;
      std::cout << absl::StrFormat("%-7s %-13s %8.2f %8.2f %8.2f %9.2f %8.2f %8.2f %7.2f\n",
                                   (*technique)->name(),
                                   r->backend, hessian_seconds, r->factor_seconds, r->search_seconds,
                                   r->binarize_seconds, r->solver_seconds, total, total / baseline);
    }
  }
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  try {
    return Main(argc, argv);
  } catch (const std::exception& e) {
    std::cerr << "binq-bench-layer: " << e.what() << "\n";
    return 1;
  }
}
