// The CUDA entry points exist in every build. Without CUDA they return
// UNIMPLEMENTED naming the op and claim no support; with CUDA they claim
// support for valid params only, and without a device they fail cleanly.
#include <vector>

#include "binq/kernels/config.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "kernels/binarize.h"
#include "kernels/block_search.h"
#include "kernels/device.h"
#include "tests/testing/status_matchers.h"

namespace binq::kernels {
namespace {

using ::binq::testing::StatusIs;
using ::testing::HasSubstr;

// Small valid params over host buffers.
class KernelsCudaEntryPointsTest : public ::testing::Test {
 protected:
  KernelsCudaEntryPointsTest() {
    binarize_.x = x_.data();
    binarize_.mask = mask_.data();
    binarize_.out = out_.data();
    binarize_.rows = 2;
    binarize_.cols = binarize_.ldx = binarize_.ldm = binarize_.ldo = 3;
    binarize_.order = 2;

    salient_.target = x_.data();
    salient_.rows = 2;
    salient_.cols = salient_.ld = 3;
    salient_.column_order = order_.data();
    salient_.up_lim = 2;
    salient_.errors = errors_.data();

    split_.target = x_.data();
    split_.rows = 2;
    split_.cols = split_.ld = 3;
    split_.salient_columns = mask_.data();
    split_.thresholds = thresholds_.data();
    split_.n_thresholds = 1;
    split_.errors = errors_.data();
  }

  std::vector<float> x_ = {1, 2, 3, 4, 5, 6}, out_ = std::vector<float>(6);
  std::vector<uint8_t> mask_ = {1, 0, 1, 1, 1, 0};
  std::vector<int64_t> order_ = {2, 0};
  std::vector<float> thresholds_ = {2.5f}, errors_ = std::vector<float>(2);
  BinarizeParams binarize_;
  SalientSearchParams salient_;
  SplitSearchParams split_;
};

#if !BINQ_HAVE_CUDA

TEST_F(KernelsCudaEntryPointsTest, UnimplementedWithoutCuda) {
  EXPECT_THAT(BinarizeRowsCuda(binarize_),
              StatusIs(absl::StatusCode::kUnimplemented, HasSubstr("BinarizeRowsCuda")));
  EXPECT_THAT(SalientSearchErrorsCuda(salient_),
              StatusIs(absl::StatusCode::kUnimplemented, HasSubstr("SalientSearchErrorsCuda")));
  EXPECT_THAT(SplitSearchErrorsCuda(split_),
              StatusIs(absl::StatusCode::kUnimplemented, HasSubstr("SplitSearchErrorsCuda")));
  EXPECT_FALSE(CudaSupports(binarize_));
  EXPECT_FALSE(CudaSupports(salient_));
  EXPECT_FALSE(CudaSupports(split_));
  EXPECT_FALSE(CudaDeviceAvailable());
}

#else  // BINQ_HAVE_CUDA

TEST_F(KernelsCudaEntryPointsTest, SupportFollowsTheParams) {
  EXPECT_TRUE(CudaSupports(binarize_));
  EXPECT_TRUE(CudaSupports(salient_));
  EXPECT_TRUE(CudaSupports(split_));
  binarize_.order = 3;
  salient_.up_lim = 4;
  split_.rows = 0;
  EXPECT_FALSE(CudaSupports(binarize_));
  EXPECT_FALSE(CudaSupports(salient_));
  EXPECT_FALSE(CudaSupports(split_));
  EXPECT_THAT(BinarizeRowsCuda(binarize_),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("BinarizeRowsCuda: order")));
}

TEST_F(KernelsCudaEntryPointsTest, FailsCleanlyWithoutADevice) {
  if (CudaDeviceAvailable()) {
    GTEST_SKIP() << "a CUDA device is present: the gpu-labelled parity tests run the kernels";
  }
  // Host pointers are never touched: the first CUDA call already fails, with
  // no driver or no device mapped to UNAVAILABLE.
  EXPECT_THAT(BinarizeRowsCuda(binarize_),
              StatusIs(absl::StatusCode::kUnavailable, HasSubstr("BinarizeRowsCuda")));
  EXPECT_THAT(SplitSearchErrorsCuda(split_),
              StatusIs(absl::StatusCode::kUnavailable, HasSubstr("SplitSearchErrorsCuda")));
}

#endif  // BINQ_HAVE_CUDA

}  // namespace
}  // namespace binq::kernels
