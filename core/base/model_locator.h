// Finds a model's checkpoint directory from what a user typed: a local
// directory, or a hub id ("facebook/opt-13b", optionally "@revision") looked
// up in the Hugging Face cache layout, as `transformers` would offline.
// No LibTorch: the daemon resolves models at submit time with this too.
#ifndef BINQ_CORE_BASE_MODEL_LOCATOR_H_
#define BINQ_CORE_BASE_MODEL_LOCATOR_H_

#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"

namespace binq {

struct ModelLocation {
  std::string dir;       // the folder holding config.json and the weights
  std::string source;    // "local" or "hub-cache"
  std::string revision;  // the snapshot's revision (hub-cache only)
};

// The Hugging Face hub cache folder: $HF_HUB_CACHE, else $HF_HOME/hub, else
// $HOME/.cache/huggingface/hub (XDG_CACHE_HOME is honoured like HF does).
std::string DefaultHubCacheDir();

// Resolves `ref`:
//  * an existing directory (absolute or relative) → used as is;
//  * otherwise a hub id `owner/name[@revision]` → `<cache>/models--owner--name/`
//    `snapshots/<rev>/`, where <rev> is `revision` if given (a commit hash or
//    a ref name under refs/), else the commit in `refs/main`, else the only
//    snapshot present.
// The chosen folder must hold a config.json.
// NOT_FOUND saying every place it looked, and how to get the model there;
// INVALID_ARGUMENT for an empty ref.
[[nodiscard]] absl::StatusOr<ModelLocation> LocateModel(absl::string_view ref,
                                                        const std::string& hub_cache_dir);
[[nodiscard]] absl::StatusOr<ModelLocation> LocateModel(absl::string_view ref);

// The files a run will read are there (names only, nothing is parsed): the
// weights (model.safetensors, pytorch_model.bin or their sharded index) and
// one complete tokenizer set (tokenizer.model, tokenizer.json, or vocab.json
// + merges.txt; the table in hf_folder_layout.h). NOT_FOUND naming the folder
// and what is missing: the daemon's pre-flight check, so that a job does not
// fail only once it reaches a worker.
[[nodiscard]] absl::Status CheckModelFiles(const ModelLocation& location);

}  // namespace binq

#endif  // BINQ_CORE_BASE_MODEL_LOCATOR_H_
