#include "kernels/binarize.h"

#include "absl/strings/str_cat.h"
#include "kernels/cpu/row_binarizers.h"

namespace binq::kernels {

absl::Status BinarizeRowsCpu(const BinarizeParams& p) {
  if (p.x == nullptr || p.mask == nullptr || p.out == nullptr || p.rows < 0 || p.cols < 0 ||
      p.ldx < p.cols || p.ldm < p.cols || p.ldo < p.cols) {
    return absl::InvalidArgumentError("BinarizeRows: null pointer or inconsistent sizes/strides");
  }
  if (p.order != 1 && p.order != 2) {
    return absl::InvalidArgumentError(absl::StrCat("BinarizeRows: order must be 1 or 2, got ", p.order));
  }
  for (int64_t r = 0; r < p.rows; ++r) {
    const float* x = p.x + r * p.ldx;
    const uint8_t* m = p.mask + r * p.ldm;
    float* out = p.out + r * p.ldo;
    const bool first_order = p.order == 1;
    switch (p.method) {
      case BinarizeMethod::kBraq:
        cpu::ResidualRow(x, m, p.cols, p.order, out);
        break;
      case BinarizeMethod::kCrbog:
        first_order ? cpu::ResidualRow(x, m, p.cols, 1, out) : cpu::CoupledRow(x, m, p.cols, out);
        break;
      case BinarizeMethod::kCrb:
        cpu::CoupledStableRow(x, m, p.cols, p.order, p.lam, p.corr_damp, p.skip_refinement,
                              p.symmetric_damp, out);
        break;
      case BinarizeMethod::kCrbPaper2025:
        first_order ? cpu::ResidualRow(x, m, p.cols, 1, out)
                    : cpu::CoupledPaper2025Row(x, m, p.cols, p.lam, p.corr_damp, out);
        break;
    }
  }
  return absl::OkStatus();
}

}  // namespace binq::kernels
