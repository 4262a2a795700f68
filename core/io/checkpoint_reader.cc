#include "core/io/checkpoint_reader.h"

#include <sys/stat.h>

#include <algorithm>
#include <cerrno>
#include <utility>

#include "absl/strings/str_cat.h"
#include "core/base/hf_folder_layout.h"
#include "core/base/status_macros.h"
#include "core/io/posix_file.h"
#include "nlohmann/json.hpp"

namespace binq::core {
namespace {

using Json = nlohmann::json;

constexpr const char* kSafetensorsIndex = kHfSafetensorsIndex;
constexpr const char* kSafetensorsSingle = kHfSafetensorsSingle;
constexpr const char* kTorchIndex = kHfTorchIndex;
constexpr const char* kTorchSingle = kHfTorchSingle;
// Indexes are a few hundred KB even for 100B-parameter models.
constexpr uint64_t kMaxIndexBytes = 64ull << 20;

bool Exists(const std::string& path) {
  struct stat st;
  return ::stat(path.c_str(), &st) == 0;
}

absl::Status CorruptIndex(const std::string& path, absl::string_view what) {
  return absl::DataLossError(
      absl::StrCat(path, ": corrupt checkpoint index: ", what));
}

// A shard named by an index must be a plain file name in the model folder.
bool IsPlainFileName(const std::string& name) {
  return !name.empty() && name != "." && name != ".." &&
         name.find('/') == std::string::npos &&
         name.find('\0') == std::string::npos;
}

}  // namespace

const char* CheckpointFormatName(CheckpointFormat format) {
  switch (format) {
    case CheckpointFormat::kSafetensors:
      return "safetensors";
    case CheckpointFormat::kShardedSafetensors:
      return "sharded safetensors";
    case CheckpointFormat::kTorch:
      return "torch";
    case CheckpointFormat::kShardedTorch:
      return "sharded torch";
  }
  return "?";
}

absl::StatusOr<std::unique_ptr<CheckpointReader>> CheckpointReader::Open(
    const std::string& dir) {
  struct stat st;
  if (::stat(dir.c_str(), &st) != 0) {
    return ErrnoStatus(errno, dir, "cannot open model folder");
  }
  if (!S_ISDIR(st.st_mode)) {
    return absl::NotFoundError(absl::StrCat(dir, ": not a folder"));
  }
  // transformers' order of preference.
  const std::pair<const char*, CheckpointFormat> kCandidates[] = {
      {kSafetensorsIndex, CheckpointFormat::kShardedSafetensors},
      {kSafetensorsSingle, CheckpointFormat::kSafetensors},
      {kTorchIndex, CheckpointFormat::kShardedTorch},
      {kTorchSingle, CheckpointFormat::kTorch},
  };
  for (const auto& [file, format] : kCandidates) {
    if (!Exists(absl::StrCat(dir, "/", file))) continue;
    std::unique_ptr<CheckpointReader> reader(new CheckpointReader(dir, format));
    const bool sharded = format == CheckpointFormat::kShardedSafetensors ||
                         format == CheckpointFormat::kShardedTorch;
    BINQ_RETURN_IF_ERROR(sharded ? reader->OpenSharded(file)
                                 : reader->OpenSingle(file));
    return reader;
  }
  return absl::NotFoundError(absl::StrCat(
      dir, ": no model weights: looked for ", kSafetensorsIndex, ", ",
      kSafetensorsSingle, ", ", kTorchIndex, " and ", kTorchSingle));
}

absl::StatusOr<CheckpointReader::Source> CheckpointReader::OpenShard(
    const std::string& file) {
  const std::string path = absl::StrCat(dir_, "/", file);
  Source source;
  if (format_ == CheckpointFormat::kSafetensors ||
      format_ == CheckpointFormat::kShardedSafetensors) {
    BINQ_ASSIGN_OR_RETURN(std::unique_ptr<SafetensorsFile> f,
                          SafetensorsFile::Open(path));
    source.safetensors = f.get();
    safetensors_.push_back(std::move(f));
  } else {
    BINQ_ASSIGN_OR_RETURN(std::unique_ptr<TorchZipFile> f,
                          TorchZipFile::Open(path));
    source.torch = f.get();
    torch_.push_back(std::move(f));
  }
  return source;
}

absl::Status CheckpointReader::OpenSingle(const std::string& file) {
  BINQ_ASSIGN_OR_RETURN(const Source source, OpenShard(file));
  for (const std::string& name : source.safetensors != nullptr
                                     ? source.safetensors->TensorNames()
                                     : source.torch->TensorNames()) {
    tensors_.emplace(name, source);
  }
  return absl::OkStatus();
}

absl::Status CheckpointReader::OpenSharded(const std::string& index_file) {
  const std::string index_path = absl::StrCat(dir_, "/", index_file);
  BINQ_ASSIGN_OR_RETURN(const std::unique_ptr<MappedFile> bytes,
                        MappedFile::Open(index_path));
  if (bytes->size() > kMaxIndexBytes) {
    return CorruptIndex(index_path,
                        absl::StrCat(bytes->size(), " bytes is over the ",
                                     kMaxIndexBytes, "-byte limit"));
  }
  Json index;
  try {  // nlohmann reports malformed input only by throwing
    index = Json::parse(bytes->data(), bytes->data() + bytes->size());
  } catch (const Json::exception& e) {
    return CorruptIndex(index_path, absl::StrCat("not valid JSON: ", e.what()));
  }
  if (!index.is_object() || !index.contains("weight_map") ||
      !index.at("weight_map").is_object()) {
    return CorruptIndex(index_path, "no \"weight_map\" object");
  }
  // Open each shard once, in sorted order (deterministic errors).
  std::map<std::string, std::vector<std::string>> names_by_shard;
  for (const auto& [name, file] : index.at("weight_map").items()) {
    if (!file.is_string()) {
      return CorruptIndex(index_path,
                          absl::StrCat("weight_map entry '", name,
                                       "' is not a file name string"));
    }
    const std::string shard = file.get<std::string>();
    if (!IsPlainFileName(shard)) {
      return CorruptIndex(index_path,
                          absl::StrCat("weight_map entry '", name, "' names '",
                                       shard, "', not a file in the folder"));
    }
    names_by_shard[shard].push_back(name);
  }
  for (const auto& [shard, names] : names_by_shard) {
    const std::string shard_path = absl::StrCat(dir_, "/", shard);
    if (!Exists(shard_path)) {
      return absl::DataLossError(
          absl::StrCat(index_path, ": lists shard ", shard, " (for tensor '",
                       names[0], "' and ", names.size() - 1, " more), but ",
                       shard_path, " does not exist (incomplete download?)"));
    }
    BINQ_ASSIGN_OR_RETURN(const Source source, OpenShard(shard));
    for (const std::string& name : names) {
      const bool present = source.safetensors != nullptr
                               ? source.safetensors->Has(name)
                               : source.torch->Has(name);
      if (!present) {
        return absl::DataLossError(absl::StrCat(shard_path, ": no tensor '",
                                                name, "', which ", index_path,
                                                " says it holds"));
      }
      tensors_.emplace(name, source);
    }
  }
  return absl::OkStatus();
}

std::vector<std::string> CheckpointReader::files() const {
  std::vector<std::string> out;
  for (const auto& f : safetensors_) out.push_back(f->path());
  for (const auto& f : torch_) out.push_back(f->path());
  std::sort(out.begin(), out.end());
  return out;
}

std::vector<std::string> CheckpointReader::TensorNames() const {
  std::vector<std::string> names;
  names.reserve(tensors_.size());
  for (const auto& [name, source] : tensors_) names.push_back(name);
  return names;
}

bool CheckpointReader::Has(absl::string_view name) const {
  return tensors_.find(name) != tensors_.end();
}

absl::StatusOr<std::string> CheckpointReader::FileOf(
    absl::string_view name) const {
  const auto it = tensors_.find(name);
  if (it == tensors_.end()) {
    return absl::NotFoundError(
        absl::StrCat(dir_, ": no tensor '", name, "' in the checkpoint"));
  }
  return it->second.safetensors != nullptr ? it->second.safetensors->path()
                                           : it->second.torch->path();
}

absl::StatusOr<TensorView> CheckpointReader::Get(absl::string_view name) const {
  const auto it = tensors_.find(name);
  if (it == tensors_.end()) {
    return absl::NotFoundError(
        absl::StrCat(dir_, ": no tensor '", name, "' in the checkpoint"));
  }
  return it->second.safetensors != nullptr ? it->second.safetensors->Get(name)
                                           : it->second.torch->Get(name);
}

}  // namespace binq::core
