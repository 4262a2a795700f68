#include "core/quant/minmax_quantizer.h"

#include <algorithm>
#include <vector>

#include "absl/strings/str_cat.h"

namespace binq::core {

using at::indexing::Slice;

RowRange MinMaxRowRange(const at::Tensor& x, bool sym) {
  const at::Tensor zeros = at::zeros({x.size(0)}, x.options());
  at::Tensor xmin = at::minimum(std::get<0>(x.min(1)), zeros);
  at::Tensor xmax = at::maximum(std::get<0>(x.max(1)), zeros);
  if (sym) {
    xmax = at::maximum(at::abs(xmin), xmax);
    xmin = at::where(xmin < 0, -xmax, xmin);
  }
  const at::Tensor flat = (xmin == 0) & (xmax == 0);
  xmin = at::where(flat, at::full_like(xmin, -1), xmin);
  xmax = at::where(flat, at::full_like(xmax, 1), xmax);
  return {xmin, xmax};
}

MinMaxParams FindMinMaxParams(const at::Tensor& x, int64_t maxq, bool sym) {
  const RowRange range = MinMaxRowRange(x, sym);
  // quant.py keeps maxq as a fp32 tensor: (xmax − xmin) / maxq is a fp32 division.
  const at::Tensor scale = (range.xmax - range.xmin) / static_cast<double>(maxq);
  const at::Tensor zero = sym ? at::full_like(scale, static_cast<double>(maxq + 1) / 2)
                              : at::round(-range.xmin / scale);
  return {scale.reshape({-1, 1}), zero.reshape({-1, 1}), maxq};
}

at::Tensor MinMaxCodes(const at::Tensor& x, const MinMaxParams& params) {
  return at::clamp(at::round(x / params.scale) + params.zero, 0, static_cast<double>(params.maxq));
}

at::Tensor MinMaxDequantize(const at::Tensor& codes, const MinMaxParams& params) {
  return params.scale * (codes - params.zero);
}

absl::Status ValidateRtnParams(const RtnParams& params) {
  if (params.wbits < 1 || params.wbits > 8) {
    return absl::InvalidArgumentError(
        absl::StrCat("wbits: must be in 1..8, got ", params.wbits));
  }
  if (params.groupsize == 0 || params.groupsize < -1) {
    return absl::InvalidArgumentError(absl::StrCat(
        "groupsize: must be -1 (one group per row) or >= 1, got ", params.groupsize));
  }
  return absl::OkStatus();
}

absl::StatusOr<RtnOutput> RoundToNearest(const at::Tensor& weight, const RtnParams& params) {
  if (absl::Status valid = ValidateRtnParams(params); !valid.ok()) return valid;
  const at::Tensor w = weight.to(at::kFloat);
  const int64_t cols = w.size(1);
  const int64_t groupsize = params.groupsize == -1 ? cols : params.groupsize;
  const int64_t maxq = (int64_t{1} << params.wbits) - 1;
  at::Tensor codes = at::empty_like(w);
  RtnOutput out;
  out.quantized = at::empty_like(w);
  std::vector<at::Tensor> scales, zeros;
  for (int64_t start = 0; start < cols; start += groupsize) {
    const Slice group(start, std::min(start + groupsize, cols));
    const at::Tensor x = w.index({Slice(), group});
    const MinMaxParams p = FindMinMaxParams(x, maxq, params.sym);
    const at::Tensor c = MinMaxCodes(x, p);
    codes.index_put_({Slice(), group}, c);
    out.quantized.index_put_({Slice(), group}, MinMaxDequantize(c, p));
    scales.push_back(p.scale.flatten());
    zeros.push_back(p.zero.flatten());
  }
  out.scale = at::stack(scales);
  out.zero = at::stack(zeros);
  out.codes = codes.to(at::kByte);
  return out;
}

}  // namespace binq::core
