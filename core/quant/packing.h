// binq's packed storage of a quantized layer (ALGORITHMS.md §7.2): what the
// de-quantized weights need, bit for bit, and nothing more.
//
// Every binary technique here produces, within one row and one group of
// columns, only a handful of distinct values (μ ± α for an order-1 group,
// μ ± α₁ ± α₂ for the salient order-2 part). The packed form stores those
// values as a small per-(row, group) codebook in the model's dtype, one short
// code per weight, and an exception list for the rare entries that fall
// outside the codebook (the references' sgn(0) = 0 "third level"). Rebuilding
// is a table lookup; the result equals the de-quantized weights cast to the
// model dtype exactly, because every weight of a codebook entry had the same
// fp32 value.
//
// Layouts (PackingScheme::kind):
//  * kResidual (braq, CRBOG, CRB): per block of `group_columns` columns a
//    salient-column bitmap; 2 bits per weight — (group bit, sign) for
//    non-salient weights, (plane-1 sign, plane-2 sign) for salient ones;
//    8 levels per row and block: [low−, low+, high−, high+, s0, s1, s2, s3].
//  * kCodebook (sign, rtn): `code_bits` per weight into 2^code_bits levels per
//    row and group of `group_columns` columns.
#ifndef BINQ_CORE_QUANT_PACKING_H_
#define BINQ_CORE_QUANT_PACKING_H_

#include <cstdint>
#include <map>
#include <string>

#include <ATen/ATen.h>

#include "absl/status/statusor.h"

namespace binq::core {

struct PackingScheme {
  enum class Kind { kNone, kResidual, kCodebook };
  Kind kind = Kind::kNone;     // kNone: the technique's output is not packable (fp16)
  int64_t group_columns = 128;  // columns sharing one codebook per row
  int code_bits = 2;            // bits per weight
};

const char* PackingKindName(PackingScheme::Kind kind);  // "none", "residual", "codebook"

// Bits per weight of the layout for a rows×cols layer with `level_bits`-bit
// levels, not counting exceptions (they are data-dependent and rare).
double PackedBitsPerWeight(const PackingScheme& scheme, int64_t rows, int64_t cols,
                           int level_bits = 16);

// One layer in packed form. Tensors are CPU, contiguous.
struct PackedLayer {
  PackingScheme scheme;
  int64_t rows = 0;
  int64_t cols = 0;
  at::Tensor codes;            // uint8 [rows, ceil(cols·code_bits/8)], little-endian bit order
  at::Tensor salient_columns;  // uint8 [ceil(cols/8)] bitmap (kResidual only)
  at::Tensor levels;           // model dtype [rows, groups, levels_per_group]
  at::Tensor exception_index;  // int64 [E]: row·cols + col
  at::Tensor exception_value;  // model dtype [E]

  int64_t bytes() const;       // all tensor bytes: the exact storage cost
  double bits_per_weight() const { return 8.0 * bytes() / static_cast<double>(rows * cols); }

  // As named tensors `<prefix>.codes`, `.levels`, … (absent ones omitted),
  // and the scheme as small strings for the file's metadata.
  std::map<std::string, at::Tensor> Tensors(const std::string& prefix) const;
  std::map<std::string, std::string> Metadata() const;
};

// Packs de-quantized weights `quantized` (fp32 [rows, cols], any device) into
// `scheme`, storing levels in `dtype` (the model's). `partition` (uint8 [rows,
// cols]: 0 low, 1 high, 2 salient) is required for kResidual and must mark
// whole columns as salient. INVALID_ARGUMENT for a bad scheme or shapes,
// INTERNAL when the partition is not column-wise.
[[nodiscard]] absl::StatusOr<PackedLayer> PackLayer(const at::Tensor& quantized,
                                                    const at::Tensor& partition,
                                                    const PackingScheme& scheme,
                                                    at::ScalarType dtype);

// The weights in the levels' dtype [rows, cols] on the CPU.
// DATA_LOSS for tensors that do not fit together (a corrupt file).
[[nodiscard]] absl::StatusOr<at::Tensor> UnpackLayer(const PackedLayer& packed);

// Reads back what Tensors()/Metadata() wrote. `get` returns the named tensor
// or an undefined one. DATA_LOSS naming the layer for anything missing or
// inconsistent.
[[nodiscard]] absl::StatusOr<PackedLayer> PackedLayerFromTensors(
    const std::string& prefix, const std::map<std::string, std::string>& metadata,
    const std::function<at::Tensor(const std::string&)>& get);

}  // namespace binq::core

#endif  // BINQ_CORE_QUANT_PACKING_H_
