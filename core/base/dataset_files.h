// Where a dataset's files live under the data root (BINQ_DATA_DIR), in the
// files their publishers distribute (DESIGN.md "Data a job reads"):
//
//   <root>/wikitext-2-raw/wiki.train.raw, wiki.test.raw   (wikitext-2-raw-v1.zip, unzipped)
//   <root>/ptb/ptb.train.txt, ptb.test.txt                (Mikolov's simple-examples data/)
//   <root>/c4/c4-train.00000-of-01024.json.gz             (allenai/c4, en/)
//   <root>/c4/c4-validation.00000-of-00008.json.gz
//
// A dataset that is not built in is a path to a plain UTF-8 text file, used
// for both calibration and evaluation. No LibTorch: the daemon checks the
// files at submit time with this too.
#ifndef BINQ_CORE_BASE_DATASET_FILES_H_
#define BINQ_CORE_BASE_DATASET_FILES_H_

#include <string>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"

namespace binq {

struct DatasetFiles {
  std::string name;   // "wikitext2", "ptb", "c4", or the custom file's path
  std::string train;  // calibration source
  std::string test;   // evaluation source
  bool custom = false;
};

// $BINQ_DATA_DIR, else $HOME/.cache/binq/data.
std::string DefaultDataDir();

// The files of `name` under `data_dir`, checked to exist. NOT_FOUND naming the
// path that was expected and how to obtain the file.
[[nodiscard]] absl::StatusOr<DatasetFiles> LocateDataset(absl::string_view name,
                                                         const std::string& data_dir);

}  // namespace binq

#endif  // BINQ_CORE_BASE_DATASET_FILES_H_
