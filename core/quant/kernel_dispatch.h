// Bridges LibTorch tensors to binq's fused kernels (kernels/): chooses the
// path for a backend option and device, and runs the kernels on contiguous
// fp32 data (CPU twin for CPU tensors, CUDA for CUDA tensors).
#ifndef BINQ_CORE_QUANT_KERNEL_DISPATCH_H_
#define BINQ_CORE_QUANT_KERNEL_DISPATCH_H_

#include <string>

#include <ATen/ATen.h>

#include "absl/status/statusor.h"
#include "core/quant/block_search.h"
#include "core/quant/options.h"
#include "kernels/binarize.h"

namespace binq::core {

struct KernelPath {
  bool use_kernels = false;
  std::string name;  // "aten", "kernels-cpu" or "kernels-cuda": recorded in the figures
};

// kAten → aten; kKernels → kernels (CPU twin or CUDA by device); kAuto →
// kernels on a CUDA device when binq was built with CUDA, aten otherwise.
// `has_kernel` false (no fused kernel for the technique's binarizer) → aten.
KernelPath ResolveKernelPath(Backend backend, at::Device device, bool has_kernel);

// Search errors computed by the fused kernels.
const SearchErrorFunctions& KernelSearchErrors();

// One partition's values by the fused binarizer.
[[nodiscard]] absl::StatusOr<at::Tensor> KernelBinarize(kernels::BinarizeMethod method,
                                                        const at::Tensor& x,
                                                        const at::Tensor& mask, int64_t order,
                                                        const QuantOptions& options);

}  // namespace binq::core

#endif  // BINQ_CORE_QUANT_KERNEL_DISPATCH_H_
