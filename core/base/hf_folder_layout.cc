#include "core/base/hf_folder_layout.h"

#include "core/base/path_util.h"

namespace binq {

std::vector<std::string> PresentTokenizerFileSets(const std::string& dir) {
  std::vector<std::string> present;
  for (const HfTokenizerFileSet& set : kHfTokenizerFileSets) {
    bool complete = true;
    for (const char* file : set.files) {
      if (file != nullptr && !IsRegularFile(JoinPath(dir, file)))
        complete = false;
    }
    if (complete) present.push_back(set.name);
  }
  return present;
}

}  // namespace binq
