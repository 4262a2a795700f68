// The one boundary where LibTorch exceptions become absl::Status.
// TorchCall runs `fn` and maps what it throws: CUDA out-of-memory →
// RESOURCE_EXHAUSTED, other c10::Error → INTERNAL (or INVALID_ARGUMENT for
// c10::ValueError/TypeError/IndexError), std::exception → INTERNAL. The
// message is prefixed with `what`.
#ifndef BINQ_CORE_TORCH_TORCH_CALL_H_
#define BINQ_CORE_TORCH_TORCH_CALL_H_

#include <exception>
#include <type_traits>
#include <utility>

#include <c10/util/Exception.h>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/string_view.h"

namespace binq::core {

namespace torch_call_internal {
absl::Status FromCurrentException(absl::string_view what);
template <typename T>
struct AsStatusOr { using type = absl::StatusOr<T>; };
template <typename T>
struct AsStatusOr<absl::StatusOr<T>> { using type = absl::StatusOr<T>; };
}  // namespace torch_call_internal

// `fn` returns void, absl::Status, T or absl::StatusOr<T>; TorchCall returns
// absl::Status for the first two and absl::StatusOr<T> for the others.
template <typename Fn>
auto TorchCall(absl::string_view what, Fn&& fn) {
  using R = std::invoke_result_t<Fn>;
  if constexpr (std::is_void_v<R>) {
    try {
      fn();
      return absl::OkStatus();
    } catch (...) {
      return torch_call_internal::FromCurrentException(what);
    }
  } else if constexpr (std::is_same_v<R, absl::Status>) {
    try {
      return fn();
    } catch (...) {
      return torch_call_internal::FromCurrentException(what);
    }
  } else {
    using Out = typename torch_call_internal::AsStatusOr<R>::type;
    try {
      return Out(fn());
    } catch (...) {
      return Out(torch_call_internal::FromCurrentException(what));
    }
  }
}

}  // namespace binq::core

#endif  // BINQ_CORE_TORCH_TORCH_CALL_H_
