#include "core/base/dataset_files.h"

#include <cstdlib>

#include "absl/strings/str_cat.h"
#include "core/base/job_spec.h"
#include "core/base/path_util.h"

namespace binq {
namespace {

absl::Status CheckFile(absl::string_view dataset, const std::string& path,
                       absl::string_view how) {
  if (IsRegularFile(path)) return absl::OkStatus();
  return absl::NotFoundError(absl::StrCat("dataset ", dataset, ": expected ", path, " (", how,
                                          "; set BINQ_DATA_DIR or --data-dir to the data root)"));
}

}  // namespace

std::string DefaultDataDir() {
  if (const char* v = std::getenv("BINQ_DATA_DIR"); v != nullptr && *v != '\0') return v;
  const char* home = std::getenv("HOME");
  return JoinPath(home == nullptr ? "." : home, ".cache/binq/data");
}

absl::StatusOr<DatasetFiles> LocateDataset(absl::string_view name, const std::string& data_dir) {
  DatasetFiles files;
  files.name = std::string(name);
  const std::string& root = data_dir;
  std::string how;
  if (name == "wikitext2") {
    files.train = JoinPath(root, "wikitext-2-raw/wiki.train.raw");
    files.test = JoinPath(root, "wikitext-2-raw/wiki.test.raw");
    how = "unzip wikitext-2-raw-v1.zip from the WikiText publishers into the data root";
  } else if (name == "ptb") {
    files.train = JoinPath(root, "ptb/ptb.train.txt");
    files.test = JoinPath(root, "ptb/ptb.test.txt");
    how = "copy ptb.train.txt and ptb.test.txt (Mikolov's simple-examples, data/) into <root>/ptb";
  } else if (name == "c4") {
    files.train = JoinPath(root, "c4/c4-train.00000-of-01024.json.gz");
    files.test = JoinPath(root, "c4/c4-validation.00000-of-00008.json.gz");
    how = "download en/c4-train.00000-of-01024.json.gz and en/c4-validation.00000-of-00008.json.gz "
          "from allenai/c4 into <root>/c4";
  } else if (!IsBuiltinDataset(name)) {
    files.custom = true;
    files.train = files.test = std::string(name);
    how = "a custom dataset is a plain UTF-8 text file";
  }
  if (absl::Status s = CheckFile(name, files.train, how); !s.ok()) return s;
  if (absl::Status s = CheckFile(name, files.test, how); !s.ok()) return s;
  return files;
}

}  // namespace binq
