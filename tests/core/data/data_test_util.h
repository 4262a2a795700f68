// Helpers for the core/data tests: files in a temp dir, gzip writers, the
// stand-in tokenizer, and running CPython.
#ifndef BINQ_TESTS_CORE_DATA_DATA_TEST_UTIL_H_
#define BINQ_TESTS_CORE_DATA_DATA_TEST_UTIL_H_

#include <cstdint>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/types/span.h"
#include "core/text/tokenizer.h"
#include "nlohmann/json.hpp"

namespace binq::core::testing {

// Stand-in tokenizer for protocol tests: one id per UTF-8 byte (byte + 3),
// BOS = 2 prepended by EncodeForModel. The sampling protocol, not the BPE
// tokenizer, is under test, and reference_loader.py uses the same mapping.
// Counts Encode calls. Not thread-safe.
class ByteTokenizer : public Tokenizer {
 public:
  absl::StatusOr<std::vector<int32_t>> Encode(absl::string_view text) const override;
  std::string Decode(absl::Span<const int32_t> ids) const override;
  int32_t bos_id() const override { return 2; }
  bool adds_bos() const override { return true; }
  int64_t vocab_size() const override { return 259; }
  int64_t calls() const { return calls_; }

 private:
  mutable int64_t calls_ = 0;
};

void WriteFile(const std::string& path, absl::string_view bytes);
std::string ReadFile(const std::string& path);

// `data` as one gzip member. memLevel 1 makes zlib end a deflate block every
// few hundred symbols: many block boundaries at odd bit positions.
std::string Gzip(absl::string_view data, int level = 6, int mem_level = 8);

// Runs `argv` (argv[0] a program path); fails the test on a non-zero exit.
std::string RunOrFail(const std::vector<std::string>& argv);

// CPython (BINQ_PYTHON) running `code` with -c; its stdout.
std::string RunPython(const std::string& code);

// reference_loader.py on the given files; its JSON.
nlohmann::json RunReferenceLoader(const std::string& dataset, const std::string& train,
                                  const std::string& test, int64_t nsamples, int64_t seqlen,
                                  uint64_t seed);

// Deterministic pseudo-random text: words, some unicode, punctuation.
class TextMaker {
 public:
  explicit TextMaker(uint64_t seed) : state_(seed * 2654435761u + 1) {}
  uint64_t Next();
  int64_t Uniform(int64_t n) { return static_cast<int64_t>(Next() % static_cast<uint64_t>(n)); }
  std::string Words(int64_t count);

 private:
  uint64_t state_;
};

}  // namespace binq::core::testing

#endif  // BINQ_TESTS_CORE_DATA_DATA_TEST_UTIL_H_
