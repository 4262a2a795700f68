#include "tools/binq_run/make_layer_command.h"

#include <algorithm>
#include <cmath>
#include <map>

#include "absl/strings/str_cat.h"
#include "core/base/status_macros.h"
#include "core/torch/safetensors_torch.h"
#include "core/torch/torch_call.h"

namespace binq::tools {
namespace {

// Multiplies `count` random columns of `t` by factors drawn from U(lo, hi).
void ScaleRandomColumns(at::Tensor& t, int64_t count, double lo, double hi, at::Generator& gen) {
  const at::Tensor cols = at::randperm(t.size(1), gen).slice(0, 0, count);
  const at::Tensor factors = at::empty({count}).uniform_(lo, hi, gen);
  t.index_put_({at::indexing::Slice(), cols}, t.index({at::indexing::Slice(), cols}) * factors);
}

}  // namespace

absl::Status RunMakeLayerCommand(const MakeLayerCommand& c) {
  if (c.rows < 1 || c.cols < 1) {
    return absl::InvalidArgumentError("--rows and --cols must be >= 1");
  }
  return core::TorchCall("make-layer", [&]() -> absl::Status {
    at::Generator gen = at::detail::createCPUGenerator(c.seed);
    const int64_t n = c.tokens > 0 ? c.tokens : 4 * c.cols;
    at::Tensor w = at::normal(0.0, 0.02, {c.rows, c.cols}, gen);
    ScaleRandomColumns(w, std::max<int64_t>(2, c.cols / 32), 4, 10, gen);
    const int64_t outliers = std::max<int64_t>(1, c.rows * c.cols / 200);
    const at::Tensor flat = at::randperm(c.rows * c.cols, gen).slice(0, 0, outliers);
    w.view({-1}).index_put_({flat}, w.view({-1}).index({flat}) *
                                        at::empty({outliers}).uniform_(3, 8, gen));
    const int64_t rank = std::max<int64_t>(4, c.cols / 16);
    const at::Tensor z = at::randn({n, c.cols}, gen);
    const at::Tensor l = at::randn({n, rank}, gen);
    const at::Tensor a = at::randn({c.cols, rank}, gen) / std::sqrt(static_cast<double>(rank));
    at::Tensor x = 0.6 * z + 0.8 * l.matmul(a.t());
    ScaleRandomColumns(x, std::max<int64_t>(2, c.cols / 64), 10, 40, gen);
    const std::map<std::string, std::string> metadata = {
        {"format", "binq.layer-case.v1"}, {"generator", "binq-run make-layer"},
        {"seed", std::to_string(c.seed)}, {"seqlen", "32"}};
    return core::WriteTensors(c.output, {{"W", w}, {"X", x}}, metadata);
  });
}

}  // namespace binq::tools
