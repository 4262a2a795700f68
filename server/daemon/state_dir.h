// The daemon's state directory: created if missing and locked (flock on
// <state-dir>/binqd.lock) for as long as the daemon runs, so two daemons
// never share one database. The kernel drops the lock when the process dies,
// however it dies.
#ifndef BINQ_SERVER_DAEMON_STATE_DIR_H_
#define BINQ_SERVER_DAEMON_STATE_DIR_H_

#include <memory>
#include <string>

#include "absl/status/statusor.h"

namespace binq::server {

class StateDirLock {
 public:
  // FAILED_PRECONDITION when another process holds the lock or the folder
  // cannot be created, naming the folder.
  [[nodiscard]] static absl::StatusOr<std::unique_ptr<StateDirLock>> Acquire(const std::string& dir);
  ~StateDirLock();  // releases the lock
  StateDirLock(const StateDirLock&) = delete;
  StateDirLock& operator=(const StateDirLock&) = delete;

 private:
  explicit StateDirLock(int fd) : fd_(fd) {}
  int fd_;
};

}  // namespace binq::server

#endif  // BINQ_SERVER_DAEMON_STATE_DIR_H_
