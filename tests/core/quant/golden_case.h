// Loads a golden case (tests/data/golden/*.safetensors) as CPU tensors.
#ifndef BINQ_TESTS_CORE_QUANT_GOLDEN_CASE_H_
#define BINQ_TESTS_CORE_QUANT_GOLDEN_CASE_H_

#include <map>
#include <memory>
#include <string>

#include <ATen/ATen.h>
#include <gtest/gtest.h>

#include "core/io/safetensors.h"
#include "core/torch/safetensors_torch.h"

namespace binq::testing {

class GoldenCase {
 public:
  explicit GoldenCase(const std::string& file_name) {
    const std::string path = std::string(BINQ_TEST_DATA_DIR) + "/golden/" + file_name;
    auto file = core::SafetensorsFile::Open(path);
    if (!file.ok()) ADD_FAILURE() << file.status();
    else file_ = std::move(file).value();
  }
  bool ok() const { return file_ != nullptr; }
  at::Tensor Get(const std::string& name) const {
    auto t = core::ReadTensor(*file_, name);
    EXPECT_TRUE(t.ok()) << t.status();
    return t.ok() ? *t : at::Tensor();
  }
  bool Has(const std::string& name) const { return file_->Has(name); }
  std::string Meta(const std::string& key) const {
    auto it = file_->metadata().find(key);
    return it == file_->metadata().end() ? "" : it->second;
  }

 private:
  std::unique_ptr<core::SafetensorsFile> file_;
};

// Number of entries where a != b (== semantics: −0 equals +0).
inline int64_t CountDifferent(const at::Tensor& a, const at::Tensor& b) {
  return (a != b).sum().item<int64_t>();
}

}  // namespace binq::testing

#endif  // BINQ_TESTS_CORE_QUANT_GOLDEN_CASE_H_
