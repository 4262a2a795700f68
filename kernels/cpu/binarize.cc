// BinarizeRowsCpu: the specification of the binarizers (kernels/row_math.h
// with the lanes of one warp run one after the other).
#include "kernels/binarize.h"

#include "core/base/status_macros.h"
#include "kernels/row_math.h"
#include "kernels/validate.h"

namespace binq::kernels {

absl::Status BinarizeRowsCpu(const BinarizeParams& params) {
  BINQ_RETURN_IF_ERROR(ValidateBinarizeParams(params, "BinarizeRowsCpu"));
  const row::SerialLanes lanes(params.cols);
  for (int64_t r = 0; r < params.rows; ++r) row::BinarizeRow(lanes, params, r);
  return absl::OkStatus();
}

}  // namespace binq::kernels
