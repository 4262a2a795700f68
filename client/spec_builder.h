// Builds a SubmitJobRequest from a spec file (`-f job.yaml|json`) and
// command-line settings. Both speak the same keys: every field of
// binq.v1.JobSpec by its proto name (model, technique, dataset,
// eval_datasets, …), the request's priority, user and request_id, and every
// technique option of the catalog (blocksize, corr_damp, cgb, …, at the top
// level or under `technique_options:`), typed by the catalog and sent in
// technique_options; the daemon checks them against the job's technique.
// Settings given on the command line override the file's.
#ifndef BINQ_CLIENT_SPEC_BUILDER_H_
#define BINQ_CLIENT_SPEC_BUILDER_H_

#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "binq/v1/binq.pb.h"
#include "core/base/option_schema.h"

namespace binq::client {

class SpecBuilder {
 public:
  // Reads a YAML or JSON mapping. INVALID_ARGUMENT naming the file and the
  // key for unreadable files, unknown keys and values of the wrong type.
  [[nodiscard]] absl::Status AddFile(const std::string& path);
  // One setting, `value` as typed on a command line ("128", "true",
  // "wikitext2,ptb" for lists). INVALID_ARGUMENT naming the key.
  [[nodiscard]] absl::Status Set(const std::string& key, const std::string& value);
  // One technique option, already typed (technique_flags.h). INVALID_ARGUMENT
  // for a key no technique of the catalog has.
  [[nodiscard]] absl::Status SetOption(const std::string& key, const OptionValue& value);

  const binq::v1::SubmitJobRequest& request() const { return request_; }

  // Every key a file or Set accepts, sorted.
  static std::vector<std::string> Keys();

 private:
  binq::v1::SubmitJobRequest request_;
};

}  // namespace binq::client

#endif  // BINQ_CLIENT_SPEC_BUILDER_H_
