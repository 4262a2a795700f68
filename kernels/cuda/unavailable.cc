// The CUDA entry points of a build without CUDA (BINQ_HAVE_CUDA = 0): each
// returns UNIMPLEMENTED naming the op, and nothing claims GPU support.
#include <string>

#include "absl/status/status.h"
#include "kernels/binarize.h"
#include "kernels/block_search.h"
#include "kernels/device.h"

namespace binq::kernels {
namespace {

absl::Status NoCuda(const char* op) {
  return absl::UnimplementedError(std::string(op) +
                                  ": binq was built without CUDA kernels (BINQ_HAVE_CUDA=0; "
                                  "see BINQ_WITH_CUDA); use the CPU twin");
}

}  // namespace

absl::Status BinarizeRowsCuda(const BinarizeParams&) { return NoCuda("BinarizeRowsCuda"); }
absl::Status SalientSearchErrorsCuda(const SalientSearchParams&) {
  return NoCuda("SalientSearchErrorsCuda");
}
absl::Status SplitSearchErrorsCuda(const SplitSearchParams&) {
  return NoCuda("SplitSearchErrorsCuda");
}
bool CudaSupports(const BinarizeParams&) { return false; }
bool CudaSupports(const SalientSearchParams&) { return false; }
bool CudaSupports(const SplitSearchParams&) { return false; }
bool CudaDeviceAvailable() { return false; }

}  // namespace binq::kernels
