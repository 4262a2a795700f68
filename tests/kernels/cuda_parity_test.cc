// GPU vs CPU twin on odd sizes (label `gpu`; skipped without a device).
//
// Tolerance: none. Both sides run kernels/row_math.h with the same fp32
// element operations (no FMA on either side) and the same double summation
// tree (32 strided lanes, then a pairwise tree), so every output — values,
// and the search errors that decide k* and the break-point — must be
// bit-identical; comparisons use ==.
#include <cstdint>
#include <string>
#include <vector>

#include "binq/kernels/config.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "kernels/binarize.h"
#include "kernels/block_search.h"
#include "tests/kernels/kernel_test_util.h"
#include "tests/testing/status_matchers.h"

#if BINQ_HAVE_CUDA
#include <cuda_runtime.h>
#endif

namespace binq::kernels {
namespace {

using ::binq::testing::Compare;
using ::binq::testing::IsOk;
using ::binq::testing::Variant;

const std::vector<int64_t> kSizes = {1, 2, 3, 5, 7, 8, 15, 16, 17, 31, 33, 63, 127, 129};

#define BINQ_SKIP_WITHOUT_CUDA_DEVICE()                                                      \
  do {                                                                                       \
    if (!CudaDeviceAvailable()) {                                                            \
      GTEST_SKIP() << "no CUDA device: "                                                     \
                   << (BINQ_HAVE_CUDA ? "none visible to this process"                       \
                                      : "binq was built without CUDA (BINQ_HAVE_CUDA=0)");   \
    }                                                                                        \
  } while (false)

#if BINQ_HAVE_CUDA

// A device copy of a host vector; Host() copies it back.
template <typename T>
class DeviceArray {
 public:
  explicit DeviceArray(const std::vector<T>& host) : size_(host.size()) {
    EXPECT_EQ(cudaMalloc(reinterpret_cast<void**>(&ptr_), std::max<size_t>(size_, 1) * sizeof(T)),
              cudaSuccess);
    if (size_ > 0) {
      EXPECT_EQ(cudaMemcpy(ptr_, host.data(), size_ * sizeof(T), cudaMemcpyHostToDevice),
                cudaSuccess);
    }
  }
  ~DeviceArray() { cudaFree(ptr_); }
  DeviceArray(const DeviceArray&) = delete;
  DeviceArray& operator=(const DeviceArray&) = delete;

  T* get() const { return ptr_; }
  std::vector<T> Host() const {
    std::vector<T> host(size_);
    if (size_ > 0) {
      EXPECT_EQ(cudaMemcpy(host.data(), ptr_, size_ * sizeof(T), cudaMemcpyDeviceToHost),
                cudaSuccess);
    }
    return host;
  }

 private:
  size_t size_;
  T* ptr_ = nullptr;
};

// CPU and GPU outputs of one variant on one block, strides ld ≥ cols.
void ExpectBinarizeParity(const Variant& v, int64_t rows, int64_t cols, int64_t ld,
                          void* stream, uint32_t seed) {
  SCOPED_TRACE(v.name + " " + std::to_string(rows) + "x" + std::to_string(cols) +
               " ld=" + std::to_string(ld));
  const std::vector<float> x = testing::RandomWeights(rows, ld, seed);
  const std::vector<uint8_t> mask = testing::RandomMask(rows, ld, 0.4, seed + 1);
  std::vector<float> cpu(rows * ld, -3.0f);
  BinarizeParams p = testing::MakeParams(v, x.data(), mask.data(), cpu.data(), rows, cols);
  p.ldx = p.ldm = p.ldo = ld;
  ASSERT_THAT(BinarizeRowsCpu(p), IsOk());

  const DeviceArray<float> dx(x), dout(std::vector<float>(rows * ld, -3.0f));
  const DeviceArray<uint8_t> dmask(mask);
  p.x = dx.get();
  p.mask = dmask.get();
  p.out = dout.get();
  p.stream = stream;
  ASSERT_TRUE(CudaSupports(p));
  ASSERT_THAT(BinarizeRowsCuda(p), IsOk());
  const std::vector<float> gpu = dout.Host();
  const testing::DiffStats d = Compare(gpu, cpu);
  EXPECT_EQ(d.identical, d.count) << "max|diff| = " << d.max_abs;
}

TEST(KernelsCudaParityTest, BinarizeRowsOddSizes) {
  BINQ_SKIP_WITHOUT_CUDA_DEVICE();
  uint32_t seed = 100;
  for (const Variant& v : testing::AllVariants()) {
    for (int64_t rows : kSizes) {
      for (int64_t cols : kSizes) {
        ExpectBinarizeParity(v, rows, cols, cols, nullptr, seed += 2);
        if (HasFailure()) return;  // one report is enough
      }
    }
  }
}

TEST(KernelsCudaParityTest, BinarizeRowsStridedOnAStream) {
  BINQ_SKIP_WITHOUT_CUDA_DEVICE();
  cudaStream_t stream = nullptr;
  ASSERT_EQ(cudaStreamCreateWithFlags(&stream, cudaStreamNonBlocking), cudaSuccess);
  for (const Variant& v : testing::AllVariants()) {
    ExpectBinarizeParity(v, 129, 128, 133, stream, 7);
    ExpectBinarizeParity(v, 33, 257, 257, stream, 9);
  }
  cudaStreamDestroy(stream);
}

// Saliency-like targets: squares of weights over a column scale.
std::vector<float> Target(int64_t rows, int64_t cols, uint32_t seed) {
  const std::vector<float> w = testing::RandomWeights(rows, cols, seed);
  std::vector<float> d(cols);
  for (int64_t j = 0; j < cols; ++j) d[j] = 0.3f + 0.05f * static_cast<float>((j * 7) % 11);
  return testing::HessianSaliency(w, d, rows, cols);
}

void ExpectSearchParity(int64_t rows, int64_t cols, uint32_t seed) {
  SCOPED_TRACE(std::to_string(rows) + "x" + std::to_string(cols));
  const std::vector<float> t = Target(rows, cols, seed);
  const DeviceArray<float> dt(t);

  // Salient counts.
  const int64_t up_lim = std::min<int64_t>(cols, 50);
  const std::vector<int64_t> order = testing::TopColumns(t, rows, cols, up_lim);
  std::vector<float> cpu(std::max<int64_t>(up_lim - 1, 1), -1.0f);
  SalientSearchParams sp;
  sp.target = t.data();
  sp.ld = sp.cols = cols;
  sp.rows = rows;
  sp.column_order = order.data();
  sp.up_lim = up_lim;
  sp.errors = cpu.data();
  ASSERT_THAT(SalientSearchErrorsCpu(sp), IsOk());
  const DeviceArray<int64_t> dorder(order);
  const DeviceArray<float> derrors(std::vector<float>(cpu.size(), -1.0f));
  sp.target = dt.get();
  sp.column_order = dorder.get();
  sp.errors = derrors.get();
  ASSERT_TRUE(CudaSupports(sp));
  ASSERT_THAT(SalientSearchErrorsCuda(sp), IsOk());
  EXPECT_EQ(derrors.Host(), cpu) << "salient-count errors";

  // Break-points, with the first third of the ordered columns salient.
  std::vector<uint8_t> salient(cols, 0);
  for (int64_t i = 0; i < std::max<int64_t>(1, up_lim / 3); ++i) salient[order[i]] = 1;
  const std::vector<float> thresholds = testing::QuantileThresholds(t, salient, rows, cols);
  std::vector<float> cpu_split(thresholds.size(), -1.0f);
  SplitSearchParams pp;
  pp.target = t.data();
  pp.ld = pp.cols = cols;
  pp.rows = rows;
  pp.salient_columns = salient.data();
  pp.thresholds = thresholds.data();
  pp.n_thresholds = static_cast<int64_t>(thresholds.size());
  pp.errors = cpu_split.data();
  ASSERT_THAT(SplitSearchErrorsCpu(pp), IsOk());
  const DeviceArray<uint8_t> dsalient(salient);
  const DeviceArray<float> dthresholds(thresholds);
  const DeviceArray<float> dsplit(std::vector<float>(thresholds.size(), -1.0f));
  pp.target = dt.get();
  pp.salient_columns = dsalient.get();
  pp.thresholds = dthresholds.get();
  pp.errors = dsplit.get();
  ASSERT_TRUE(CudaSupports(pp));
  ASSERT_THAT(SplitSearchErrorsCuda(pp), IsOk());
  EXPECT_EQ(dsplit.Host(), cpu_split) << "break-point errors";
}

TEST(KernelsCudaParityTest, SearchErrorsOddSizes) {
  BINQ_SKIP_WITHOUT_CUDA_DEVICE();
  uint32_t seed = 500;
  for (int64_t rows : kSizes) {
    for (int64_t cols : kSizes) {
      ExpectSearchParity(rows, cols, seed += 3);
      if (HasFailure()) return;
    }
  }
}

TEST(KernelsCudaParityTest, SearchErrorsFullBlock) {
  // The shape the searches really run on: a 128-column block, many rows.
  BINQ_SKIP_WITHOUT_CUDA_DEVICE();
  ExpectSearchParity(1031, 128, 77);
}

TEST(KernelsCudaParityTest, SalientSearchRejectsBadColumnOrder) {
  BINQ_SKIP_WITHOUT_CUDA_DEVICE();
  const DeviceArray<float> dt(std::vector<float>(12, 1.0f));
  const DeviceArray<int64_t> dorder(std::vector<int64_t>{0, 7});
  const DeviceArray<float> derrors(std::vector<float>(1, 0.0f));
  SalientSearchParams sp;
  sp.target = dt.get();
  sp.ld = sp.cols = 4;
  sp.rows = 3;
  sp.column_order = dorder.get();
  sp.up_lim = 2;
  sp.errors = derrors.get();
  EXPECT_THAT(SalientSearchErrorsCuda(sp),
              testing::StatusIs(absl::StatusCode::kInvalidArgument,
                                ::testing::HasSubstr("SalientSearchErrorsCuda: column_order[1]")));
}

#else  // !BINQ_HAVE_CUDA

// The same test names exist in every build, so the `gpu` label always lists
// them; without CUDA they report why they cannot run.
TEST(KernelsCudaParityTest, BinarizeRowsOddSizes) { BINQ_SKIP_WITHOUT_CUDA_DEVICE(); }
TEST(KernelsCudaParityTest, BinarizeRowsStridedOnAStream) { BINQ_SKIP_WITHOUT_CUDA_DEVICE(); }
TEST(KernelsCudaParityTest, SearchErrorsOddSizes) { BINQ_SKIP_WITHOUT_CUDA_DEVICE(); }
TEST(KernelsCudaParityTest, SearchErrorsFullBlock) { BINQ_SKIP_WITHOUT_CUDA_DEVICE(); }
TEST(KernelsCudaParityTest, SalientSearchRejectsBadColumnOrder) {
  BINQ_SKIP_WITHOUT_CUDA_DEVICE();
}

#endif  // BINQ_HAVE_CUDA

}  // namespace
}  // namespace binq::kernels
