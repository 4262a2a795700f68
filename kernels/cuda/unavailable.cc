// The CUDA entry points in a build without CUDA: every call says so.
#include "absl/status/status.h"
#include "kernels/binarize.h"
#include "kernels/block_search.h"

namespace binq::kernels {
namespace {
absl::Status NoCuda(const char* op) {
  return absl::UnimplementedError(
      std::string(op) + ": binq was built without CUDA kernels (see BINQ_WITH_CUDA)");
}
}  // namespace

absl::Status BinarizeRowsCuda(const BinarizeParams&) { return NoCuda("BinarizeRowsCuda"); }
absl::Status SalientSearchErrorsCuda(const SalientSearchParams&) { return NoCuda("SalientSearchErrorsCuda"); }
absl::Status SplitSearchErrorsCuda(const SplitSearchParams&) { return NoCuda("SplitSearchErrorsCuda"); }
bool CudaSupports(const BinarizeParams&) { return false; }
bool CudaDeviceAvailable() { return false; }

}  // namespace binq::kernels
