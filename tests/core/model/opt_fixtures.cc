#include "tests/testing/files.h"
#include "tests/core/model/opt_fixtures.h"

#include <fcntl.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cstdio>
#include <fstream>
#include <map>
#include <sstream>

#include "absl/strings/str_cat.h"
#include "core/base/status_macros.h"
#include "core/model_config/model_config.h"
#include "core/io/checkpoint_reader.h"
#include "core/torch/checkpoint_torch.h"
#include "core/torch/safetensors_torch.h"
#include "tests/testing/subprocess.h"

namespace binq::testing {
namespace {

// FNV-1a, 64 bit: names the cache folder after the generator's content.
std::string HashHex(const std::string& text) {
  uint64_t h = 1469598103934665603ULL;
  for (unsigned char c : text) {
    h ^= c;
    h *= 1099511628211ULL;
  }
  char buf[17];
  std::snprintf(buf, sizeof(buf), "%016llx", static_cast<unsigned long long>(h));
  return buf;
}

// Runs tests/core/model/<script> once into <build>/tests/generated/<name>-<hash>.
absl::StatusOr<std::string> Generate(const std::string& script_name, const std::string& name) {
  const std::string script = std::string(BINQ_SOURCE_DIR) + "/tests/core/model/" + script_name;
  const std::string content = ReadFileOrEmpty(script);
  if (content.empty()) return absl::NotFoundError(absl::StrCat(script, ": missing or empty"));
  const std::string root = std::string(BINQ_BINARY_DIR) + "/tests/generated";
  ::mkdir((std::string(BINQ_BINARY_DIR) + "/tests").c_str(), 0755);
  ::mkdir(root.c_str(), 0755);
  const std::string dir = absl::StrCat(root, "/", name, "-", HashHex(content + BINQ_PYTHON));
  const std::string done = dir + "/cases.json";  // written last by the script

  const std::string lock_path = dir + ".lock";
  const int lock = ::open(lock_path.c_str(), O_CREAT | O_RDWR, 0644);
  if (lock < 0) return absl::UnavailableError(absl::StrCat("cannot open ", lock_path));
  ::flock(lock, LOCK_EX);
  absl::Status status;
  if (!PathExists(done)) {
    const std::string tmp = absl::StrCat(dir, ".tmp-", ::getpid());
    const ProcessResult r = RunProcess({BINQ_PYTHON, script, tmp});
    if (r.exit_code != 0) {
      status = absl::InternalError(absl::StrCat(BINQ_PYTHON, " ", script, " failed (exit ", r.exit_code,
                                                "):\n", r.err));
    } else if (std::rename(tmp.c_str(), dir.c_str()) != 0) {
      status = absl::InternalError(absl::StrCat("cannot rename ", tmp, " to ", dir));
    }
  }
  ::flock(lock, LOCK_UN);
  ::close(lock);
  if (!status.ok()) return status;
  return dir;
}

}  // namespace

absl::StatusOr<std::string> OptFixturesDir() {
  static const absl::StatusOr<std::string>* const kDir =
      new absl::StatusOr<std::string>(Generate("make_opt_fixtures.py", "opt-fixtures"));
  return *kDir;
}

absl::StatusOr<std::string> LlamaFixturesDir() {
  static const absl::StatusOr<std::string>* const kDir =
      new absl::StatusOr<std::string>(Generate("make_llama_fixtures.py", "llama-fixtures"));
  return *kDir;
}

absl::StatusOr<std::unique_ptr<core::CausalLM>> LoadCheckpointModel(const std::string& dir,
                                                                    const core::ModelLoadOptions& options) {
  BINQ_ASSIGN_OR_RETURN(const core::ModelConfig config, core::ReadModelConfig(dir));
  BINQ_ASSIGN_OR_RETURN(const std::shared_ptr<core::CheckpointReader> reader, core::CheckpointReader::Open(dir));
  core::WeightSource source;
  source.names = reader->TensorNames();
  source.load = [reader](const std::string& name) { return core::LoadTensor(*reader, name); };
  return core::LoadCausalLM(config, source, options);
}

absl::StatusOr<std::unique_ptr<SafetensorsWeights>> OpenSafetensorsWeights(
    const std::string& path, std::function<std::string(const std::string&)> rename) {
  auto w = std::make_unique<SafetensorsWeights>();
  BINQ_ASSIGN_OR_RETURN(w->file, core::SafetensorsFile::Open(path));
  std::map<std::string, std::string> to_file;  // model name → file name
  for (const std::string& name : w->file->TensorNames()) {
    const std::string model_name = rename ? rename(name) : name;
    to_file[model_name] = name;
    w->source.names.push_back(model_name);
  }
  const core::SafetensorsFile* file = w->file.get();
  w->source.load = [file, to_file](const std::string& name) -> absl::StatusOr<at::Tensor> {
    const auto it = to_file.find(name);
    if (it == to_file.end()) return absl::NotFoundError(absl::StrCat("no tensor '", name, "'"));
    return core::ReadTensor(*file, it->second);
  };
  return w;
}

absl::StatusOr<at::Tensor> ReadFixtureTensor(const std::string& path, const std::string& name) {
  BINQ_ASSIGN_OR_RETURN(const auto file, core::SafetensorsFile::Open(path));
  return core::ReadTensor(*file, name);
}

absl::StatusOr<std::unique_ptr<core::CausalLM>> LoadFixtureModel(const std::string& case_dir,
                                                                 const core::ModelLoadOptions& options) {
  BINQ_ASSIGN_OR_RETURN(const core::ModelConfig config, core::ReadModelConfig(case_dir));
  BINQ_ASSIGN_OR_RETURN(const auto weights, OpenSafetensorsWeights(case_dir + "/model.safetensors"));
  return core::LoadCausalLM(config, weights->source, options);
}

}  // namespace binq::testing
