#include "core/base/model_locator.h"

#include <cstdlib>
#include <fstream>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_replace.h"
#include "absl/strings/strip.h"
#include "core/base/hf_folder_layout.h"
#include "core/base/path_util.h"

namespace binq {
namespace {

std::string Env(const char* name) {
  const char* v = std::getenv(name);
  return v == nullptr ? "" : v;
}

absl::StatusOr<ModelLocation> WithConfig(ModelLocation location) {
  if (!IsRegularFile(JoinPath(location.dir, "config.json"))) {
    return absl::NotFoundError(absl::StrCat("model: ", location.dir,
                                            " has no config.json (not a Hugging Face checkpoint)"));
  }
  return location;
}

}  // namespace

absl::Status CheckModelFiles(const ModelLocation& location) {
  bool has_weights = false;
  for (const char* name : kHfWeightFiles) has_weights = has_weights || IsRegularFile(JoinPath(location.dir, name));
  if (!has_weights) {
    return absl::NotFoundError(absl::StrCat(
        "model: ", location.dir,
        " has no weights (model.safetensors, pytorch_model.bin, or a sharded index of either)"));
  }
  if (!PresentTokenizerFileSets(location.dir).empty()) return absl::OkStatus();
  constexpr char kForms[] = "tokenizer.model, tokenizer.json, or vocab.json + merges.txt";
  // Half a set is named: the other half is what is missing.
  for (const HfTokenizerFileSet& set : kHfTokenizerFileSets) {
    if (set.files[1] == nullptr) continue;
    for (int k = 0; k < 2; ++k) {
      if (IsRegularFile(JoinPath(location.dir, set.files[k]))) {
        return absl::NotFoundError(absl::StrCat("model: ", location.dir, " has no ", set.files[1 - k],
                                                " beside its ", set.files[k], " (a tokenizer is ", kForms, ")"));
      }
    }
  }
  return absl::NotFoundError(absl::StrCat("model: ", location.dir, " has no tokenizer files (", kForms,
                                          " beside config.json)"));
}

std::string DefaultHubCacheDir() {
  if (std::string v = Env("HF_HUB_CACHE"); !v.empty()) return v;
  if (std::string v = Env("HUGGINGFACE_HUB_CACHE"); !v.empty()) return v;
  if (std::string v = Env("HF_HOME"); !v.empty()) return JoinPath(v, "hub");
  if (std::string v = Env("XDG_CACHE_HOME"); !v.empty()) return JoinPath(v, "huggingface/hub");
  return JoinPath(Env("HOME"), ".cache/huggingface/hub");
}

absl::StatusOr<ModelLocation> LocateModel(absl::string_view ref) {
  return LocateModel(ref, DefaultHubCacheDir());
}

absl::StatusOr<ModelLocation> LocateModel(absl::string_view ref,
                                          const std::string& hub_cache_dir) {
  if (ref.empty()) return absl::InvalidArgumentError("model: must name a directory or hub id");
  if (IsDirectory(std::string(ref))) {
    return WithConfig({std::string(ref), "local", ""});
  }
  const bool looks_like_path = absl::StartsWith(ref, "/") || absl::StartsWith(ref, ".") ||
                               absl::StartsWith(ref, "~");
  if (looks_like_path) {
    return absl::NotFoundError(absl::StrCat("model: no directory ", ref));
  }

  std::string id(ref);
  std::string revision;
  if (const size_t at = id.find('@'); at != std::string::npos) {
    revision = id.substr(at + 1);
    id.resize(at);
  }
  const std::string repo =
      JoinPath(hub_cache_dir, absl::StrCat("models--", absl::StrReplaceAll(id, {{"/", "--"}})));
  const std::string how =
      absl::StrCat(" (binq reads the cache offline: download it with `huggingface-cli download ",
                   id, "`, set HF_HUB_CACHE/HF_HOME to the cache that has it, or pass a "
                   "local checkpoint directory)");
  if (!IsDirectory(repo)) {
    return absl::NotFoundError(absl::StrCat("model '", ref, "': not a local directory, and not in the "
                                            "Hugging Face cache at ", repo, how));
  }

  std::string rev = revision;
  const std::string ref_name = revision.empty() ? "main" : revision;
  if (std::ifstream in(JoinPath(repo, JoinPath("refs", ref_name))); in) {
    std::getline(in, rev);
    rev = std::string(absl::StripAsciiWhitespace(rev));
  }
  if (rev.empty()) {  // no refs/main: accept a lone snapshot
    const std::vector<std::string> snapshots = ListSubdirectories(JoinPath(repo, "snapshots"));
    if (snapshots.size() == 1) rev = snapshots[0];
    if (rev.empty()) {
      return absl::NotFoundError(absl::StrCat("model '", ref, "': ", repo,
                                              " has no refs/main and ", snapshots.size(),
                                              " snapshots; name one with ", id, "@<revision>"));
    }
  }
  const std::string snapshot = JoinPath(repo, JoinPath("snapshots", rev));
  if (!IsDirectory(snapshot)) {
    return absl::NotFoundError(absl::StrCat("model '", ref, "': snapshot ", snapshot,
                                            " is missing", how));
  }
  return WithConfig({snapshot, "hub-cache", rev});
}

}  // namespace binq
