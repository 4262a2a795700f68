// The smallest model folder and data root that pass binqd's submit
// validation (names only: config, weights, tokenizer; WikiText-2's files),
// for tests of the job logic that never run a real worker.
#ifndef BINQ_TESTS_SERVER_JOBS_JOB_INPUTS_H_
#define BINQ_TESTS_SERVER_JOBS_JOB_INPUTS_H_

#include <filesystem>
#include <fstream>
#include <string>

namespace binq::server::testing {

inline void TouchFile(const std::string& path) {
  std::filesystem::create_directories(std::filesystem::path(path).parent_path());
  std::ofstream(path) << "x";
}

// `root`/model (the model folder) and `root`/data (the data root).
inline void WriteMinimalJobInputs(const std::string& root) {
  for (const char* f : {"model.safetensors", "vocab.json", "merges.txt"}) {
    TouchFile(root + "/model/" + f);
  }
  // binqd checks the model_type (and nothing else of the config) at submit.
  std::ofstream(root + "/model/config.json") << R"({"model_type": "opt"})";
  TouchFile(root + "/data/wikitext-2-raw/wiki.train.raw");
  TouchFile(root + "/data/wikitext-2-raw/wiki.test.raw");
}

}  // namespace binq::server::testing

#endif  // BINQ_TESTS_SERVER_JOBS_JOB_INPUTS_H_
