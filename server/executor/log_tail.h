// The last lines a worker wrote to its log: what a failed job reports as its
// last message. Stateless; thread-safe.
#ifndef BINQ_SERVER_EXECUTOR_LOG_TAIL_H_
#define BINQ_SERVER_EXECUTOR_LOG_TAIL_H_

#include <cstdint>
#include <string>

namespace binq::server {

// The last `max_lines` non-empty lines of `path` at or after byte `offset`
// (the current attempt's part of the log), at most `max_bytes` long (cut at
// the front), joined with '\n'. "" when the file is missing or has nothing
// there.
std::string LogTail(const std::string& path, int64_t offset, int max_lines = 5,
                    size_t max_bytes = 2000);

// The end of `path`: at most `max_bytes`, starting at a line boundary when
// cut (`truncated` then says so). Empty when the file is missing.
struct LogEnd {
  std::string text;
  bool truncated = false;
};
LogEnd ReadLogEnd(const std::string& path, int64_t max_bytes);

// The size of `path` now (0 when missing): where the next attempt's output
// starts.
int64_t FileSize(const std::string& path);

}  // namespace binq::server

#endif  // BINQ_SERVER_EXECUTOR_LOG_TAIL_H_
