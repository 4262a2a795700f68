// Small file helpers shared by the test suites.
#ifndef BINQ_TESTS_TESTING_FILES_H_
#define BINQ_TESTS_TESTING_FILES_H_

#include <string>

namespace binq::testing {

// The whole file, or "" when it cannot be read (tests then fail on content).
std::string ReadFileOrEmpty(const std::string& path);

// Whether anything is at `path` (a dangling symlink included). Not
// std::filesystem: in processes linking LibTorch its exported copy may be
// called instead of libstdc++'s.
bool PathExists(const std::string& path);

}  // namespace binq::testing

#endif  // BINQ_TESTS_TESTING_FILES_H_
