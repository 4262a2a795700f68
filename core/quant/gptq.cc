#include "core/quant/gptq.h"

#include <algorithm>
#include <cmath>
#include <vector>

#include "absl/strings/str_cat.h"
#include "core/base/status_macros.h"
#include "core/quant/gptq_solver.h"
#include "core/quant/inverse_hessian.h"
#include "core/quant/layer_checks.h"
#include "core/quant/minmax_quantizer.h"
#include "core/quant/stopwatch.h"
#include "core/torch/torch_call.h"

namespace binq::core {
namespace {

using at::indexing::Slice;

// The working state of one fasterquant call, in the processing order.
struct Workspace {
  at::Tensor w;       // fp32 [rows, cols], compensated as the loop goes
  at::Tensor perm;    // int64 [cols] or undefined
  std::vector<int64_t> perm_host;     // the same on the host (static groups look it up)
  at::Tensor u;       // upper factor of the damped inverse Hessian
  MinMaxParams whole_row;             // groupsize −1: find_params before the dead fix
  std::vector<MinMaxParams> static_groups;
  std::vector<MinMaxParams> used;     // parameters per group, in the order first used
};

// Dead columns (H_jj = 0 → H_jj = 1, W[:, j] = 0), static groups, act-order
// permutation: §9.1 steps 1–3, in the reference's order.
at::Tensor PrepareColumns(const LayerProblem& problem, const GptqParams& params, int64_t maxq,
                          Workspace& ws, int64_t& dead_columns) {
  ws.w = problem.weight.to(at::kFloat, /*non_blocking=*/false, /*copy=*/true);
  const int64_t cols = ws.w.size(1);
  if (params.groupsize == -1) ws.whole_row = FindMinMaxParams(ws.w, maxq, params.sym);
  at::Tensor h = problem.hessian.to(at::kFloat, /*non_blocking=*/false, /*copy=*/true);
  const at::Tensor dead = h.diagonal() == 0;
  dead_columns = dead.sum().item<int64_t>();
  if (dead_columns > 0) {
    h.diagonal().masked_fill_(dead, 1);
    ws.w.index_put_({Slice(), dead}, 0);
  }
  if (params.static_groups && params.groupsize != -1) {
    for (int64_t start = 0; start < cols; start += params.groupsize) {
      ws.static_groups.push_back(FindMinMaxParams(
          ws.w.index({Slice(), Slice(start, start + params.groupsize)}), maxq, params.sym));
    }
  }
  if (params.act_order) {
    ws.perm = at::argsort(h.diagonal(), /*dim=*/0, /*descending=*/true);
    ws.w = ws.w.index_select(1, ws.perm);
    h = h.index_select(0, ws.perm).index_select(1, ws.perm);
    const at::Tensor host = ws.perm.cpu().contiguous();
    ws.perm_host.assign(host.data_ptr<int64_t>(), host.data_ptr<int64_t>() + cols);
  }
  return h;
}

// The quantizer parameters for processing position `j` (§9.1 step 5): a
// dynamic group's find_params reads the global W (block-start values of the
// current block), not the intra-block-updated copy.
const MinMaxParams& ParamsFor(int64_t j, const GptqParams& params, int64_t maxq, Workspace& ws) {
  if (params.groupsize == -1) {
    if (ws.used.empty()) ws.used.push_back(ws.whole_row);
    return ws.used.back();
  }
  if (params.static_groups) {
    const int64_t original = ws.perm_host.empty() ? j : ws.perm_host[j];
    return ws.static_groups[original / params.groupsize];
  }
  if (j % params.groupsize == 0) {
    ws.used.push_back(FindMinMaxParams(
        ws.w.index({Slice(), Slice(j, j + params.groupsize)}), maxq, params.sym));
  }
  return ws.used.back();
}

at::Tensor StackParams(const std::vector<MinMaxParams>& groups, bool scale) {
  std::vector<at::Tensor> rows;
  for (const MinMaxParams& p : groups) rows.push_back((scale ? p.scale : p.zero).flatten());
  return at::stack(rows);
}

}  // namespace

absl::Status ValidateGptqParams(const GptqParams& p) {
  if (p.wbits != 2 && p.wbits != 3 && p.wbits != 4 && p.wbits != 8) {
    return absl::InvalidArgumentError(
        absl::StrCat("wbits: must be one of 2, 3, 4, 8, got ", p.wbits));
  }
  if (p.groupsize == 0 || p.groupsize < -1) {
    return absl::InvalidArgumentError(absl::StrCat(
        "groupsize: must be -1 (one group per row) or >= 1, got ", p.groupsize));
  }
  return ValidateSolverParams(p.blocksize, p.percdamp, p.max_damping_retries);
}

absl::StatusOr<GptqOutput> QuantizeGptq(const LayerProblem& problem, const GptqParams& params) {
  BINQ_RETURN_IF_ERROR(ValidateGptqParams(params));
  return TorchCall("gptq", [&]() -> absl::StatusOr<GptqOutput> {
    BINQ_RETURN_IF_ERROR(CheckLayerProblem(problem, /*needs_hessian=*/true));
    Stopwatch total(problem.weight.device());
    GptqOutput out;
    LayerResult& r = out.layer;
    const int64_t maxq = (int64_t{1} << params.wbits) - 1;
    Workspace ws;
    const at::Tensor h = PrepareColumns(problem, params, maxq, ws, r.dead_columns);
    if (problem.inverse_factor.defined()) {
      ws.u = problem.inverse_factor.to(ws.w.device(), at::kFloat);
    } else {
      // Dead columns are already fixed, so the factorization finds none.
      BINQ_ASSIGN_OR_RETURN(InverseHessianFactor factor,
                            FactorInverseHessian(h, ws.w, params.percdamp,
                                                 params.max_damping_retries));
      ws.u = factor.u;
      r.damping_retries = factor.damping_retries;
    }
    r.factor_seconds = total.Lap();
    at::Tensor codes = at::zeros_like(ws.w);
    ColumnSolve loop = SolveColumnwise(
        ws.w, ws.u, params.blocksize, [&](int64_t j, const at::Tensor& column) {
          const MinMaxParams& p = ParamsFor(j, params, maxq, ws);
          const at::Tensor levels = MinMaxCodes(column.unsqueeze(1), p);
          codes.select(1, j).copy_(levels.flatten());
          return MinMaxDequantize(levels, p).flatten();
        });
    r.binarize_seconds = loop.quantize_seconds;
    r.solver_seconds = loop.solver_seconds;
    r.loss = loop.losses.sum().item<double>();
    if (ws.perm.defined()) {
      const at::Tensor inverse = at::argsort(ws.perm);
      loop.quantized = loop.quantized.index_select(1, inverse);
      codes = codes.index_select(1, inverse);
      loop.handed = loop.handed.index_select(1, inverse);
      out.perm = ws.perm;
    }
    out.scale = StackParams(params.static_groups && params.groupsize != -1 ? ws.static_groups
                                                                          : ws.used, true);
    out.zero = StackParams(params.static_groups && params.groupsize != -1 ? ws.static_groups
                                                                         : ws.used, false);
    out.codes = codes.to(at::kByte);
    out.handed = loop.handed;
    r.quantized = loop.quantized;
    r.backend = "aten";
    r.relative_output_error = RelativeOutputError(problem.weight, r.quantized, problem.hessian);
    r.wbits_paper = params.wbits;  // GPTQ's "n bits": group scales and zeros not counted
    // 2^b levels per row and group of consecutive columns; act-order groups are
    // not consecutive in the stored order, so that layout does not apply.
    const int64_t cols = r.quantized.size(1);
    if (!(params.act_order && params.groupsize != -1)) {
      r.packing = {PackingScheme::Kind::kCodebook,
                   params.groupsize == -1 ? cols : params.groupsize, params.wbits};
    }
    r.storage_bits = PackedBitsPerWeight(r.packing, r.quantized.size(0), cols);
    r.total_seconds = r.factor_seconds + r.binarize_seconds + r.solver_seconds + total.Lap();
    return out;
  });
}

}  // namespace binq::core
