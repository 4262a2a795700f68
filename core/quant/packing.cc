#include "core/quant/packing.h"

#include <algorithm>
#include <cmath>
#include <vector>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "core/base/status_macros.h"
#include "core/torch/torch_call.h"

namespace binq::core {
namespace {

constexpr int kResidualLevels = 8;  // low−, low+, high−, high+, s0…s3

int64_t CeilDiv(int64_t a, int64_t b) { return (a + b - 1) / b; }

int LevelsPerGroup(const PackingScheme& scheme) {
  return scheme.kind == PackingScheme::Kind::kResidual ? kResidualLevels : 1 << scheme.code_bits;
}

absl::Status CheckScheme(const PackingScheme& scheme) {
  if (scheme.kind == PackingScheme::Kind::kNone) {
    return absl::InvalidArgumentError("packing: the technique's output has no packed form");
  }
  if (scheme.group_columns < 1) {
    return absl::InvalidArgumentError(
        absl::StrCat("packing: group_columns must be ≥ 1, got ", scheme.group_columns));
  }
  const int want_bits = scheme.kind == PackingScheme::Kind::kResidual ? 2 : scheme.code_bits;
  if (scheme.code_bits != want_bits || scheme.code_bits < 1 || scheme.code_bits > 8) {
    return absl::InvalidArgumentError(
        absl::StrCat("packing: code_bits ", scheme.code_bits, " is not valid for ",
                     PackingKindName(scheme.kind)));
  }
  return absl::OkStatus();
}

// Up to `k` distinct values of `values` (NaN ignored), the most frequent
// first chosen (ties: the smaller value), returned in ascending order and
// padded with the last one (or 0 when there is none) to exactly k.
std::vector<float> TopLevels(std::vector<float> values, int k) {
  values.erase(std::remove_if(values.begin(), values.end(), [](float v) { return std::isnan(v); }),
               values.end());
  std::sort(values.begin(), values.end());
  std::vector<std::pair<int64_t, float>> runs;  // (count, value)
  for (size_t i = 0; i < values.size();) {
    size_t j = i;
    while (j < values.size() && values[j] == values[i]) ++j;
    runs.emplace_back(static_cast<int64_t>(j - i), values[i]);
    i = j;
  }
  std::stable_sort(runs.begin(), runs.end(),
                   [](const auto& a, const auto& b) { return a.first > b.first; });
  std::vector<float> levels;
  for (size_t i = 0; i < runs.size() && static_cast<int>(levels.size()) < k; ++i) {
    levels.push_back(runs[i].second);
  }
  std::sort(levels.begin(), levels.end());
  while (static_cast<int>(levels.size()) < k) levels.push_back(levels.empty() ? 0.f : levels.back());
  return levels;
}

// Index of `v` in `levels` (exact equality), or -1.
int FindLevel(const float* levels, int n, float v) {
  for (int i = 0; i < n; ++i) {
    if (levels[i] == v) return i;
  }
  return -1;
}

void PutCode(uint8_t* row, int64_t col, int bits, uint32_t code) {
  const int64_t bit = col * bits;
  for (int b = 0; b < bits; ++b) {
    if ((code >> b) & 1u) row[(bit + b) / 8] |= static_cast<uint8_t>(1u << ((bit + b) % 8));
  }
}

uint32_t GetCode(const uint8_t* row, int64_t col, int bits) {
  const int64_t bit = col * bits;
  uint32_t code = 0;
  for (int b = 0; b < bits; ++b) {
    code |= static_cast<uint32_t>((row[(bit + b) / 8] >> ((bit + b) % 8)) & 1u) << b;
  }
  return code;
}

bool IsSalient(const uint8_t* bitmap, int64_t col) { return (bitmap[col / 8] >> (col % 8)) & 1u; }

absl::StatusOr<int64_t> MetaInt(const std::map<std::string, std::string>& metadata,
                                const std::string& key) {
  const auto it = metadata.find(key);
  int64_t v = 0;
  if (it == metadata.end() || !absl::SimpleAtoi(it->second, &v)) {
    return absl::DataLossError(absl::StrCat("packed layer: metadata '", key, "' missing or not an integer"));
  }
  return v;
}

}  // namespace

const char* PackingKindName(PackingScheme::Kind kind) {
  switch (kind) {
    case PackingScheme::Kind::kNone: return "none";
    case PackingScheme::Kind::kResidual: return "residual";
    case PackingScheme::Kind::kCodebook: return "codebook";
  }
  return "none";
}

double PackedBitsPerWeight(const PackingScheme& scheme, int64_t rows, int64_t cols,
                           int level_bits) {
  if (scheme.kind == PackingScheme::Kind::kNone || rows <= 0 || cols <= 0) return 0;
  double bits = 8.0 * rows * CeilDiv(cols * scheme.code_bits, 8);
  if (scheme.kind == PackingScheme::Kind::kResidual) bits += 8.0 * CeilDiv(cols, 8);
  bits += static_cast<double>(rows) * CeilDiv(cols, scheme.group_columns) *
          LevelsPerGroup(scheme) * level_bits;
  return bits / (static_cast<double>(rows) * cols);
}

int64_t PackedLayer::bytes() const {
  int64_t total = 0;
  for (const at::Tensor* t :
       {&codes, &salient_columns, &levels, &exception_index, &exception_value}) {
    if (t->defined()) total += t->numel() * t->element_size();
  }
  return total;
}

std::map<std::string, at::Tensor> PackedLayer::Tensors(const std::string& prefix) const {
  std::map<std::string, at::Tensor> out = {{prefix + ".codes", codes},
                                           {prefix + ".levels", levels},
                                           {prefix + ".exception_index", exception_index},
                                           {prefix + ".exception_value", exception_value}};
  if (salient_columns.defined()) out[prefix + ".salient_columns"] = salient_columns;
  return out;
}

std::map<std::string, std::string> PackedLayer::Metadata() const {
  return {{"scheme", PackingKindName(scheme.kind)},
          {"group_columns", absl::StrCat(scheme.group_columns)},
          {"code_bits", absl::StrCat(scheme.code_bits)},
          {"rows", absl::StrCat(rows)},
          {"cols", absl::StrCat(cols)}};
}

absl::StatusOr<PackedLayer> PackLayer(const at::Tensor& quantized, const at::Tensor& partition,
                                      const PackingScheme& scheme, at::ScalarType dtype) {
  BINQ_RETURN_IF_ERROR(CheckScheme(scheme));
  const bool residual = scheme.kind == PackingScheme::Kind::kResidual;
  return TorchCall("packing", [&]() -> absl::StatusOr<PackedLayer> {
    if (quantized.dim() != 2) {
      return absl::InvalidArgumentError("packing: the quantized weight must be 2-D");
    }
    const at::Tensor q = quantized.to(at::kCPU, at::kFloat).contiguous();
    const int64_t rows = q.size(0), cols = q.size(1);
    at::Tensor part;
    if (residual) {
      if (!partition.defined() || partition.sizes() != q.sizes()) {
        return absl::InvalidArgumentError("packing: residual layout needs a partition of the weight's shape");
      }
      part = partition.to(at::kCPU, at::kByte).contiguous();
    }
    const int bits = scheme.code_bits;
    const int levels_per_group = LevelsPerGroup(scheme);
    const int64_t groups = CeilDiv(cols, scheme.group_columns);
    const int64_t row_bytes = CeilDiv(cols * bits, 8);

    PackedLayer out;
    out.scheme = scheme;
    out.rows = rows;
    out.cols = cols;
    out.codes = at::zeros({rows, row_bytes}, at::kByte);
    at::Tensor levels = at::zeros({rows, groups, levels_per_group}, at::kFloat);
    std::vector<uint8_t> salient(residual ? CeilDiv(cols, 8) : 0, 0);
    const float* qp = q.data_ptr<float>();
    const uint8_t* pp = residual ? part.data_ptr<uint8_t>() : nullptr;

    if (residual) {  // salient columns from row 0; every row must agree
      for (int64_t c = 0; c < cols; ++c) {
        if (rows > 0 && pp[c] == 2) salient[c / 8] |= static_cast<uint8_t>(1u << (c % 8));
      }
      for (int64_t r = 0; r < rows; ++r) {
        for (int64_t c = 0; c < cols; ++c) {
          if ((pp[r * cols + c] == 2) != IsSalient(salient.data(), c)) {
            return absl::InternalError(
                absl::StrCat("packing: partition is not column-wise at row ", r, ", column ", c));
          }
        }
      }
    }

    std::vector<int64_t> exception_index;
    std::vector<float> exception_value;
    float* lp = levels.data_ptr<float>();
    uint8_t* cp = out.codes.data_ptr<uint8_t>();
    std::vector<float> members;
    for (int64_t r = 0; r < rows; ++r) {
      const float* qrow = qp + r * cols;
      uint8_t* crow = cp + r * row_bytes;
      for (int64_t g = 0; g < groups; ++g) {
        const int64_t c0 = g * scheme.group_columns;
        const int64_t c1 = std::min(cols, c0 + scheme.group_columns);
        float* lv = lp + (r * groups + g) * levels_per_group;
        // Build the group's codebook.
        if (residual) {
          for (int p = 0; p < 2; ++p) {  // low and high groups: their min and max
            float lo = 0, hi = 0;
            bool any = false;
            for (int64_t c = c0; c < c1; ++c) {
              const float v = qrow[c];
              if (pp[r * cols + c] != p || std::isnan(v)) continue;
              lo = any ? std::min(lo, v) : v;
              hi = any ? std::max(hi, v) : v;
              any = true;
            }
            lv[2 * p] = lo;
            lv[2 * p + 1] = hi;
          }
          members.clear();
          for (int64_t c = c0; c < c1; ++c) {
            if (IsSalient(salient.data(), c)) members.push_back(qrow[c]);
          }
          const std::vector<float> top = TopLevels(members, 4);
          std::copy(top.begin(), top.end(), lv + 4);
        } else {
          members.assign(qrow + c0, qrow + c1);
          const std::vector<float> top = TopLevels(members, levels_per_group);
          std::copy(top.begin(), top.end(), lv);
        }
        // Encode every weight of the group.
        for (int64_t c = c0; c < c1; ++c) {
          const float v = qrow[c];
          int code = -1;
          uint32_t fallback = 0;
          if (!residual) {
            code = FindLevel(lv, levels_per_group, v);
          } else if (IsSalient(salient.data(), c)) {
            code = FindLevel(lv + 4, 4, v);
          } else {
            const int p = pp[r * cols + c];
            fallback = static_cast<uint32_t>(p << 1);
            if (v == lv[2 * p]) {
              code = 2 * p;
            } else if (v == lv[2 * p + 1]) {
              code = 2 * p + 1;
            }
          }
          if (code < 0) {
            exception_index.push_back(r * cols + c);
            exception_value.push_back(v);
            PutCode(crow, c, bits, fallback);
          } else {
            PutCode(crow, c, bits, static_cast<uint32_t>(code));
          }
        }
      }
    }
    out.levels = levels.to(dtype).contiguous();
    if (residual) {
      out.salient_columns = at::from_blob(salient.data(), {static_cast<int64_t>(salient.size())},
                                          at::kByte).clone();
    }
    out.exception_index =
        at::from_blob(exception_index.data(), {static_cast<int64_t>(exception_index.size())},
                      at::kLong).clone();
    out.exception_value =
        at::from_blob(exception_value.data(), {static_cast<int64_t>(exception_value.size())},
                      at::kFloat).clone().to(dtype);  // clone: from_blob aliases the vector
    return out;
  });
}

absl::StatusOr<at::Tensor> UnpackLayer(const PackedLayer& p) {
  BINQ_RETURN_IF_ERROR(CheckScheme(p.scheme));
  return TorchCall("unpacking", [&]() -> absl::StatusOr<at::Tensor> {
    const bool residual = p.scheme.kind == PackingScheme::Kind::kResidual;
    const int bits = p.scheme.code_bits;
    const int levels_per_group = LevelsPerGroup(p.scheme);
    const int64_t groups = CeilDiv(p.cols, p.scheme.group_columns);
    const int64_t row_bytes = CeilDiv(p.cols * bits, 8);
    auto corrupt = [](absl::string_view what) {
      return absl::DataLossError(absl::StrCat("packed layer: ", what));
    };
    if (p.rows < 0 || p.cols < 0) return corrupt("negative shape");
    if (!p.codes.defined() || p.codes.scalar_type() != at::kByte ||
        p.codes.sizes() != at::IntArrayRef({p.rows, row_bytes})) {
      return corrupt(absl::StrCat("codes must be uint8 [", p.rows, ", ", row_bytes, "]"));
    }
    if (!p.levels.defined() ||
        p.levels.sizes() != at::IntArrayRef({p.rows, groups, levels_per_group})) {
      return corrupt(absl::StrCat("levels must be [", p.rows, ", ", groups, ", ", levels_per_group, "]"));
    }
    if (residual && (!p.salient_columns.defined() || p.salient_columns.scalar_type() != at::kByte ||
                     p.salient_columns.numel() != CeilDiv(p.cols, 8))) {
      return corrupt(absl::StrCat("salient_columns must be uint8 [", CeilDiv(p.cols, 8), "]"));
    }
    if (!p.exception_index.defined() || !p.exception_value.defined() ||
        p.exception_index.scalar_type() != at::kLong ||
        p.exception_index.numel() != p.exception_value.numel()) {
      return corrupt("exception_index (int64) and exception_value must have the same length");
    }
    const at::Tensor codes = p.codes.to(at::kCPU).contiguous();
    const at::Tensor levels = p.levels.to(at::kCPU, at::kFloat).contiguous();
    const at::Tensor salient = residual ? p.salient_columns.to(at::kCPU).contiguous() : at::Tensor();
    at::Tensor out = at::empty({p.rows, p.cols}, at::kFloat);
    const uint8_t* cp = codes.data_ptr<uint8_t>();
    const float* lp = levels.data_ptr<float>();
    const uint8_t* sp = residual ? salient.data_ptr<uint8_t>() : nullptr;
    float* op = out.data_ptr<float>();
    for (int64_t r = 0; r < p.rows; ++r) {
      for (int64_t c = 0; c < p.cols; ++c) {
        const int64_t g = c / p.scheme.group_columns;
        uint32_t code = GetCode(cp + r * row_bytes, c, bits);
        if (residual && IsSalient(sp, c)) code += 4;
        op[r * p.cols + c] = lp[(r * groups + g) * levels_per_group + code];
      }
    }
    const at::Tensor idx = p.exception_index.to(at::kCPU).contiguous();
    const at::Tensor val = p.exception_value.to(at::kCPU, at::kFloat).contiguous();
    const int64_t* ip = idx.data_ptr<int64_t>();
    const float* vp = val.data_ptr<float>();
    for (int64_t e = 0; e < idx.numel(); ++e) {
      if (ip[e] < 0 || ip[e] >= p.rows * p.cols) {
        return corrupt(absl::StrCat("exception index ", ip[e], " outside the ", p.rows, "x", p.cols,
                                    " weight"));
      }
      op[ip[e]] = vp[e];
    }
    return out.to(p.levels.scalar_type());
  });
}

absl::StatusOr<PackedLayer> PackedLayerFromTensors(
    const std::string& prefix, const std::map<std::string, std::string>& metadata,
    const std::function<at::Tensor(const std::string&)>& get) {
  PackedLayer p;
  const auto scheme = metadata.find("scheme");
  if (scheme == metadata.end()) {
    return absl::DataLossError(absl::StrCat(prefix, ": packed layer metadata has no scheme"));
  }
  if (scheme->second == "residual") {
    p.scheme.kind = PackingScheme::Kind::kResidual;
  } else if (scheme->second == "codebook") {
    p.scheme.kind = PackingScheme::Kind::kCodebook;
  } else {
    return absl::DataLossError(absl::StrCat(prefix, ": unknown packing scheme '", scheme->second, "'"));
  }
  auto with_prefix = [&](const absl::Status& s) { return WithContext(s, prefix); };
  auto group = MetaInt(metadata, "group_columns");
  auto bits = MetaInt(metadata, "code_bits");
  auto rows = MetaInt(metadata, "rows");
  auto cols = MetaInt(metadata, "cols");
  for (const auto* v : {&group, &bits, &rows, &cols}) {
    if (!v->ok()) return with_prefix(v->status());
  }
  p.scheme.group_columns = *group;
  p.scheme.code_bits = static_cast<int>(*bits);
  p.rows = *rows;
  p.cols = *cols;
  p.codes = get(prefix + ".codes");
  p.levels = get(prefix + ".levels");
  p.exception_index = get(prefix + ".exception_index");
  p.exception_value = get(prefix + ".exception_value");
  if (p.scheme.kind == PackingScheme::Kind::kResidual) p.salient_columns = get(prefix + ".salient_columns");
  if (absl::Status s = CheckScheme(p.scheme); !s.ok()) {
    return absl::DataLossError(absl::StrCat(prefix, ": ", s.message()));
  }
  return p;
}

}  // namespace binq::core
