#include "core/quant/residual_binarization.h"

#include <algorithm>

#include "core/base/status_macros.h"
#include "core/quant/block_search.h"
#include "core/quant/inverse_hessian.h"
#include "core/quant/kernel_dispatch.h"
#include "core/quant/layer_checks.h"
#include "core/quant/stopwatch.h"
#include "core/torch/torch_call.h"

namespace binq::core {
namespace {

using at::indexing::Slice;

}  // namespace

absl::StatusOr<LayerResult> QuantizeBlockwise(const LayerProblem& problem,
                                              const QuantOptions& options,
                                              const std::string& name,
                                              const BlockQuantizer& quantize_block) {
  return TorchCall(name, [&]() -> absl::StatusOr<LayerResult> {
    BINQ_RETURN_IF_ERROR(CheckLayerProblem(problem, /*needs_hessian=*/true));
    const at::Device device = problem.weight.device();
    Stopwatch total(device);
    Stopwatch stage(device);
    LayerResult result;

    at::Tensor w = problem.weight.to(at::kFloat, /*non_blocking=*/false, /*copy=*/true);
    const int64_t rows = w.size(0);
    const int64_t cols = w.size(1);
    InverseHessianFactor factor;
    if (problem.inverse_factor.defined()) {
      const at::Tensor dead = problem.hessian.diagonal() == 0;
      w.index_put_({Slice(), dead}, 0);
      factor.u = problem.inverse_factor.to(w.device(), at::kFloat);
      factor.dead_columns = dead.sum().item<int64_t>();
    } else {
      BINQ_ASSIGN_OR_RETURN(factor, FactorInverseHessian(problem.hessian, w, options.percdamp,
                                                         options.max_damping_retries));
    }
    const at::Tensor& u = factor.u;
    const at::Tensor u_diag = u.diagonal().contiguous();
    result.dead_columns = factor.dead_columns;
    result.damping_retries = factor.damping_retries;
    result.factor_seconds = stage.Lap();

    at::Tensor losses = at::zeros({rows}, w.options());
    at::Tensor partition = at::zeros({rows, cols}, w.options().dtype(at::kByte));
    for (int64_t start = 0; start < cols; start += options.blocksize) {
      const int64_t end = std::min(start + options.blocksize, cols);
      const at::Tensor block = w.index({Slice(), Slice(start, end)}).clone();
      const at::Tensor d = u_diag.index({Slice(start, end)});

      stage.Lap();
      BINQ_ASSIGN_OR_RETURN(BlockOutcome outcome, quantize_block(BlockInput{block, d, start, end}));
      stage.Lap();
      result.search_seconds += outcome.search_seconds;
      result.binarize_seconds += outcome.binarize_seconds;
      const at::Tensor& q = outcome.quantized;

      w.index_put_({Slice(), Slice(start, end)}, q);
      if (!options.disable_gptq) {
        const at::Tensor diff = block - q;
        losses += (diff.pow(2) / d.pow(2)).sum(1) / 2;
        if (end < cols) {
          const at::Tensor err = diff / d;
          w.index({Slice(), Slice(end, cols)}) -=
              err.matmul(u.index({Slice(start, end), Slice(end, cols)}));
        }
      }
      result.solver_seconds += stage.Lap();

      partition.index_put_({Slice(), Slice(start, end)}, outcome.partition);
      result.salient_per_block.push_back(outcome.n_salient);
      result.split_per_block.push_back(outcome.split);
      result.salient_columns += outcome.n_salient;
      result.search_fallbacks += outcome.fallback ? 1 : 0;
      for (auto& [key, values] : outcome.diagnostics) {
        std::vector<double>& all = result.block_diagnostics[key];
        all.insert(all.end(), values.begin(), values.end());
      }
    }

    result.loss = losses.sum().item<double>();
    result.quantized = w;
    result.partition = partition;
    result.relative_output_error = RelativeOutputError(problem.weight, w, problem.hessian);
    result.wbits_paper = 1.0 + static_cast<double>(result.salient_columns) / cols;
    result.total_seconds = total.Lap();
    return result;
  });
}

absl::StatusOr<LayerResult> ResidualBinarizationTechnique::Quantize(
    const LayerProblem& problem, const QuantOptions& options) const {
  BINQ_RETURN_IF_ERROR(ValidateOptions(options, name()));
  if (!problem.weight.defined()) {
    return absl::InvalidArgumentError("weight: expected a 2-D [rows, cols] tensor, got 0 dims");
  }
  const std::optional<kernels::BinarizeMethod> method = KernelMethod(options);
  const at::Device device = problem.weight.device();
  const KernelPath path = ResolveKernelPath(options.backend, device, method.has_value());
  const SearchErrorFunctions& search_errors =
      path.use_kernels ? KernelSearchErrors() : AtenSearchErrors();
  auto binarize = [&](const at::Tensor& x, const at::Tensor& mask,
                      int64_t order) -> absl::StatusOr<at::Tensor> {
    if (path.use_kernels) return KernelBinarize(*method, x, mask, order, options);
    return BinarizeAten(x, mask, order, options);
  };

  auto quantize_block = [&](const BlockInput& in) -> absl::StatusOr<BlockOutcome> {
    Stopwatch stage(device);
    BlockOutcome outcome;
    const at::Tensor target = SaliencyTarget(in.block, in.u_diag, options.salient_metric);
    BINQ_ASSIGN_OR_RETURN(BlockMasks masks, SearchBlockMasks(target, options.up_lim, search_errors));
    outcome.search_seconds = stage.Lap();

    // Partitions from the block-start values, summed from zeros in order.
    at::Tensor q = at::zeros_like(in.block);
    const at::Tensor* partition_masks[3] = {&masks.low, &masks.high, &masks.salient};
    const int64_t orders[3] = {1, 1, 2};
    for (int k = 0; k < 3; ++k) {
      BINQ_ASSIGN_OR_RETURN(at::Tensor values, binarize(in.block, *partition_masks[k], orders[k]));
      q = q + values * *partition_masks[k];
    }
    outcome.binarize_seconds = stage.Lap();
    outcome.quantized = q;
    outcome.partition = masks.high.to(at::kByte) + masks.salient.to(at::kByte) * 2;
    outcome.n_salient = masks.n_salient;
    outcome.split = masks.split;
    outcome.fallback = masks.fallback;
    return outcome;
  };

  BINQ_ASSIGN_OR_RETURN(LayerResult result,
                        QuantizeBlockwise(problem, options, name(), quantize_block));
  result.backend = path.name;
  result.packing = {PackingScheme::Kind::kResidual, options.blocksize, 2};
  result.storage_bits =
      PackedBitsPerWeight(result.packing, result.quantized.size(0), result.quantized.size(1));
  return result;
}

}  // namespace binq::core
