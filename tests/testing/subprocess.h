// Runs a program (no shell) and captures its exit code, stdout and stderr.
// For CLI tests of the real binaries.
#ifndef BINQ_TESTS_TESTING_SUBPROCESS_H_
#define BINQ_TESTS_TESTING_SUBPROCESS_H_

#include <string>
#include <vector>

namespace binq::testing {

struct ProcessResult {
  int exit_code = -1;  // -1: did not exit normally (signal)
  std::string out;
  std::string err;
};

// argv[0] is the program path. Output is collected through temp files.
// stdin is empty (/dev/null) unless `stdin_data` is given.
ProcessResult RunProcess(const std::vector<std::string>& argv);
ProcessResult RunProcess(const std::vector<std::string>& argv, const std::string& stdin_data);

// A fresh directory under the test's temp dir.
std::string MakeTempDir();

}  // namespace binq::testing

#endif  // BINQ_TESTS_TESTING_SUBPROCESS_H_
