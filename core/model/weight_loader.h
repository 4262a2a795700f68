// WeightLoader: what every model family does with a WeightSource — fetch a
// named tensor, check its shape, cast it to the model dtype on the CPU — with
// errors that name the tensor. Used by the family implementations only.
//
// Ownership: borrows the WeightSource, which must outlive it.
// Thread-safety: none (the source's loader is called on the caller's thread).
#ifndef BINQ_CORE_MODEL_WEIGHT_LOADER_H_
#define BINQ_CORE_MODEL_WEIGHT_LOADER_H_

#include <cstdint>
#include <set>
#include <string>
#include <vector>

#include <ATen/ATen.h>

#include "absl/status/statusor.h"
#include "core/model/causal_lm.h"

namespace binq::core {

// "[768, 3072]".
std::string ShapeString(at::IntArrayRef shape);

class WeightLoader {
 public:
  WeightLoader(const WeightSource& source, at::ScalarType dtype);

  bool Has(const std::string& name) const { return names_.count(name) > 0; }

  // The tensor `name`, checked to have `shape`, as a contiguous CPU tensor of
  // the model dtype. NOT_FOUND "weight 'name' is missing" when the source does
  // not list it; INVALID_ARGUMENT naming it and both shapes when the shape
  // differs, or when its dtype is not a floating type; the source's own error
  // prefixed with the name.
  [[nodiscard]] absl::StatusOr<at::Tensor> Load(const std::string& name, std::vector<int64_t> shape) const;
  // The tensor as stored (any dtype, on the CPU), shape unchecked; errors as Load.
  [[nodiscard]] absl::StatusOr<at::Tensor> LoadRaw(const std::string& name) const;

 private:
  const WeightSource& source_;
  const at::ScalarType dtype_;
  std::set<std::string> names_;
};

}  // namespace binq::core

#endif  // BINQ_CORE_MODEL_WEIGHT_LOADER_H_
