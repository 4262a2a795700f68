#include "core/quant/kernel_dispatch.h"

#include "absl/strings/str_cat.h"
#include "binq/kernels/config.h"
#include "core/base/status_macros.h"
#include "kernels/block_search.h"

namespace binq::core {
namespace {

using at::indexing::Slice;

// Host copy of a small device result.
std::vector<float> ToVector(const at::Tensor& t) {
  const at::Tensor cpu = t.to(at::kCPU).contiguous();
  return std::vector<float>(cpu.data_ptr<float>(), cpu.data_ptr<float>() + cpu.numel());
}

class KernelErrors final : public SearchErrorFunctions {
 public:
  absl::StatusOr<std::vector<float>> SalientErrors(const at::Tensor& target,
                                                   const at::Tensor& order) const override {
    const at::Tensor t = target.contiguous();
    const at::Tensor idx = order.to(at::kLong).contiguous();
    at::Tensor errors = at::empty({std::max<int64_t>(idx.numel() - 1, 0)}, t.options());
    kernels::SalientSearchParams p;
    p.target = t.data_ptr<float>();
    p.ld = t.size(1);
    p.rows = t.size(0);
    p.cols = t.size(1);
    p.column_order = idx.data_ptr<int64_t>();
    p.up_lim = idx.numel();
    p.errors = errors.data_ptr<float>();
    BINQ_RETURN_IF_ERROR(t.is_cuda() ? kernels::SalientSearchErrorsCuda(p)
                                     : kernels::SalientSearchErrorsCpu(p));
    return ToVector(errors);
  }

  absl::StatusOr<std::vector<float>> SplitErrors(
      const at::Tensor& target, const at::Tensor& salient,
      const std::vector<float>& thresholds) const override {
    const at::Tensor t = target.contiguous();
    const at::Tensor columns = salient.index({0}).to(at::kByte).contiguous();
    const at::Tensor levels =
        at::tensor(thresholds, at::TensorOptions().dtype(at::kFloat)).to(t.device());
    at::Tensor errors = at::empty({static_cast<int64_t>(thresholds.size())}, t.options());
    kernels::SplitSearchParams p;
    p.target = t.data_ptr<float>();
    p.ld = t.size(1);
    p.rows = t.size(0);
    p.cols = t.size(1);
    p.salient_columns = columns.data_ptr<uint8_t>();
    p.thresholds = levels.data_ptr<float>();
    p.n_thresholds = levels.numel();
    p.errors = errors.data_ptr<float>();
    BINQ_RETURN_IF_ERROR(t.is_cuda() ? kernels::SplitSearchErrorsCuda(p)
                                     : kernels::SplitSearchErrorsCpu(p));
    return ToVector(errors);
  }
};

}  // namespace

KernelPath ResolveKernelPath(Backend backend, at::Device device, bool has_kernel) {
  const bool cuda = device.is_cuda();
  bool use = false;
  switch (backend) {
    case Backend::kAten: use = false; break;
    case Backend::kKernels: use = has_kernel; break;
    case Backend::kAuto: use = has_kernel && cuda && BINQ_HAVE_CUDA; break;
  }
  if (!use) return {false, "aten"};
  return {true, cuda ? "kernels-cuda" : "kernels-cpu"};
}

const SearchErrorFunctions& KernelSearchErrors() {
  static const KernelErrors* const kErrors = new KernelErrors();
  return *kErrors;
}

absl::StatusOr<at::Tensor> KernelBinarize(kernels::BinarizeMethod method, const at::Tensor& x,
                                          const at::Tensor& mask, int64_t order,
                                          const QuantOptions& options) {
  const at::Tensor xc = x.contiguous();
  const at::Tensor mc = mask.to(at::kByte).contiguous();
  at::Tensor out = at::empty_like(xc);
  kernels::BinarizeParams p;
  p.x = xc.data_ptr<float>();
  p.ldx = xc.size(1);
  p.mask = mc.data_ptr<uint8_t>();
  p.ldm = mc.size(1);
  p.out = out.data_ptr<float>();
  p.ldo = out.size(1);
  p.rows = xc.size(0);
  p.cols = xc.size(1);
  p.method = method;
  p.order = static_cast<int>(order);
  p.lam = options.lam;
  p.corr_damp = options.corr_damp;
  p.skip_refinement = options.skip_refinement;
  p.symmetric_damp = options.symmetric_damp;
  BINQ_RETURN_IF_ERROR(xc.is_cuda() ? kernels::BinarizeRowsCuda(p) : kernels::BinarizeRowsCpu(p));
  return out;
}

}  // namespace binq::core
