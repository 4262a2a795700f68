// Status propagation macros in the shape of abseil's later ones (Debian's abseil
// 2022 lacks them). Each evaluates its argument once.
#ifndef BINQ_CORE_BASE_STATUS_MACROS_H_
#define BINQ_CORE_BASE_STATUS_MACROS_H_

#include <utility>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/str_cat.h"

#define BINQ_STATUS_CONCAT_INNER_(a, b) a##b
#define BINQ_STATUS_CONCAT_(a, b) BINQ_STATUS_CONCAT_INNER_(a, b)

// Returns the status from the enclosing function if `expr` is not OK.
#define BINQ_RETURN_IF_ERROR(expr)                        \
  do {                                                    \
    ::absl::Status binq_status_ = (expr);                 \
    if (!binq_status_.ok()) return binq_status_;          \
  } while (false)

// `BINQ_ASSIGN_OR_RETURN(auto x, F());` declares/assigns x from a StatusOr, or
// returns its error.
#define BINQ_ASSIGN_OR_RETURN(lhs, expr) \
  BINQ_ASSIGN_OR_RETURN_IMPL_(BINQ_STATUS_CONCAT_(binq_statusor_, __LINE__), lhs, expr)
#define BINQ_ASSIGN_OR_RETURN_IMPL_(tmp, lhs, expr) \
  auto tmp = (expr);                                \
  if (!tmp.ok()) return std::move(tmp).status();    \
  lhs = std::move(tmp).value()

namespace binq {

// Returns `status` with `context: ` prefixed to its message, keeping the code.
inline absl::Status WithContext(const absl::Status& status, absl::string_view context) {
  if (status.ok()) return status;
  return absl::Status(status.code(), absl::StrCat(context, ": ", status.message()));
}

}  // namespace binq

#endif  // BINQ_CORE_BASE_STATUS_MACROS_H_
