// CancelToken: a flag that long-running work polls between steps.
// Thread-safe: any thread may Cancel(); the worker thread polls IsCancelled().
#ifndef BINQ_CORE_BASE_CANCEL_TOKEN_H_
#define BINQ_CORE_BASE_CANCEL_TOKEN_H_

#include <atomic>

#include "absl/status/status.h"

namespace binq {

class CancelToken {
 public:
  void Cancel() { cancelled_.store(true, std::memory_order_relaxed); }
  bool IsCancelled() const { return cancelled_.load(std::memory_order_relaxed); }
  // CANCELLED naming `where`, or OK.
  absl::Status Check(const char* where) const {
    return IsCancelled() ? absl::CancelledError(where) : absl::OkStatus();
  }

 private:
  std::atomic<bool> cancelled_{false};
};

}  // namespace binq

// Returns CANCELLED from the enclosing function when `token` (a pointer, may be
// null) has been cancelled.
#define BINQ_RETURN_IF_CANCELLED(token, where)                                 \
  do {                                                                         \
    if ((token) != nullptr && (token)->IsCancelled())                          \
      return ::absl::CancelledError(where);                                    \
  } while (false)

#endif  // BINQ_CORE_BASE_CANCEL_TOKEN_H_
