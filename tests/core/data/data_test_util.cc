#include "tests/core/data/data_test_util.h"

#include <zlib.h>

#include <fstream>
#include <sstream>

#include <gtest/gtest.h>

#include "tests/testing/subprocess.h"

namespace binq::core::testing {

absl::StatusOr<std::vector<int32_t>> ByteTokenizer::Encode(absl::string_view text) const {
  ++calls_;
  std::vector<int32_t> ids;
  ids.reserve(text.size());
  for (const char c : text) ids.push_back(static_cast<unsigned char>(c) + 3);
  return ids;
}

std::string ByteTokenizer::Decode(absl::Span<const int32_t> ids) const {
  std::string text;
  for (const int32_t id : ids) {
    if (id >= 3) text.push_back(static_cast<char>(id - 3));
  }
  return text;
}

void WriteFile(const std::string& path, absl::string_view bytes) {
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  out.write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
  ASSERT_TRUE(out.good()) << path;
}

std::string ReadFile(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream s;
  s << in.rdbuf();
  return s.str();
}

std::string Gzip(absl::string_view data, int level, int mem_level) {
  z_stream strm{};
  EXPECT_EQ(deflateInit2(&strm, level, Z_DEFLATED, 15 + 16, mem_level, Z_DEFAULT_STRATEGY), Z_OK);
  std::string out(deflateBound(&strm, data.size()) + 64, '\0');
  strm.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(data.data()));
  strm.avail_in = static_cast<uInt>(data.size());
  strm.next_out = reinterpret_cast<Bytef*>(out.data());
  strm.avail_out = static_cast<uInt>(out.size());
  EXPECT_EQ(deflate(&strm, Z_FINISH), Z_STREAM_END);
  out.resize(strm.total_out);
  deflateEnd(&strm);
  return out;
}

std::string RunOrFail(const std::vector<std::string>& argv) {
  const binq::testing::ProcessResult r = binq::testing::RunProcess(argv);
  EXPECT_EQ(r.exit_code, 0) << argv[0] << " failed:\n" << r.err;
  return r.out;
}

std::string RunPython(const std::string& code) { return RunOrFail({BINQ_PYTHON, "-c", code}); }

nlohmann::json RunReferenceLoader(const std::string& dataset, const std::string& train,
                                  const std::string& test, int64_t nsamples, int64_t seqlen,
                                  uint64_t seed) {
  const std::string out =
      RunOrFail({BINQ_PYTHON, BINQ_REFERENCE_LOADER, dataset, train, test,
                 std::to_string(nsamples), std::to_string(seqlen), std::to_string(seed)});
  return nlohmann::json::parse(out, nullptr, /*allow_exceptions=*/false);
}

uint64_t TextMaker::Next() {
  // splitmix64
  uint64_t z = (state_ += 0x9e3779b97f4a7c15ULL);
  z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
  z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
  return z ^ (z >> 31);
}

std::string TextMaker::Words(int64_t count) {
  static const char* const kWords[] = {
      "the", "of", "and", "quantization", "model", "bit", "café", "naïve", "Ünïcödé", "日本語",
      "😀", "@-@", ",", ".", "\"quoted\"", "back\\slash", "tab\there", "Ωmega", "x", "1,234"};
  std::string text;
  for (int64_t i = 0; i < count; ++i) {
    if (i > 0) text.push_back(' ');
    text += kWords[Uniform(sizeof(kWords) / sizeof(kWords[0]))];
  }
  return text;
}

}  // namespace binq::core::testing
