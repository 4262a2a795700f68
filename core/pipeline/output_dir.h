// A job's output folder, written atomically: everything goes into a staging
// sibling `<dir>.partial-XXXXXX`, which Commit fsyncs and renames to `<dir>`
// (replacing an earlier result there only then). A job that fails, is
// cancelled or crashes never leaves a half-written `<dir>`; the destructor
// removes an uncommitted staging folder (a crash may leave one behind, and
// its name says what it is).
//
// Thread-safety: none. Ownership: owns the staging folder until Commit.
#ifndef BINQ_CORE_PIPELINE_OUTPUT_DIR_H_
#define BINQ_CORE_PIPELINE_OUTPUT_DIR_H_

#include <memory>
#include <string>

#include "absl/status/statusor.h"

namespace binq::core {

class OutputDir {
 public:
  // Creates the staging folder (and the missing parents of `dir`). Errors as
  // MakeDirs / mkdtemp, naming the path. With a `marker`, an existing `dir`
  // is replaced only when CheckReplaceable(dir, marker) allows it (checked
  // here and again in Commit).
  [[nodiscard]] static absl::StatusOr<std::unique_ptr<OutputDir>> Create(const std::string& dir,
                                                                         const std::string& marker = "");
  ~OutputDir();
  OutputDir(const OutputDir&) = delete;
  OutputDir& operator=(const OutputDir&) = delete;

  const std::string& final_dir() const { return dir_; }
  // Where `name` is written before Commit.
  std::string Staged(const std::string& name) const;
  // Where `name` will be after Commit.
  std::string Final(const std::string& name) const;

  // fsyncs the staging folder and renames it to final_dir(), moving an
  // existing final_dir() aside first and removing it afterwards.
  [[nodiscard]] absl::Status Commit();

 private:
  OutputDir(std::string dir, std::string staging, std::string marker)
      : dir_(std::move(dir)), staging_(std::move(staging)), marker_(std::move(marker)) {}
  const std::string dir_;
  const std::string staging_;
  const std::string marker_;
  bool committed_ = false;
};

// Whether a result may replace `dir`: OK when it does not exist, is an empty
// folder, or is a folder holding the file `marker` (what an earlier result of
// the same kind wrote, e.g. a job's metrics.json). INVALID_ARGUMENT naming
// `dir` otherwise — a file, a link, or a folder of other things — so that a
// mistyped output path never removes someone's folder.
[[nodiscard]] absl::Status CheckReplaceable(const std::string& dir, const std::string& marker);

// Writes `contents` to `path` (fsynced). Errors name the path.
[[nodiscard]] absl::Status WriteTextFile(const std::string& path, const std::string& contents);

// Bytes of a file, or of all files under a folder; 0 when missing.
int64_t DiskBytes(const std::string& path);

}  // namespace binq::core

#endif  // BINQ_CORE_PIPELINE_OUTPUT_DIR_H_
