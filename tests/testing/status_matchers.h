// GoogleTest matchers for absl::Status / StatusOr, in the shape of abseil's later
// ones: EXPECT_THAT(s, StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("x")));
// EXPECT_THAT(v, IsOkAndHolds(Eq(3)));  BINQ_ASSERT_OK_AND_ASSIGN(auto x, F());
#ifndef BINQ_TESTS_TESTING_STATUS_MATCHERS_H_
#define BINQ_TESTS_TESTING_STATUS_MATCHERS_H_

#include <string>
#include <utility>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace binq::testing {

inline const absl::Status& GetStatus(const absl::Status& s) { return s; }
template <typename T>
const absl::Status& GetStatus(const absl::StatusOr<T>& s) { return s.status(); }

MATCHER_P2(StatusIs, code, message_matcher,
           "has code " + ::testing::PrintToString(code) + " and a message that " +
               ::testing::DescribeMatcher<std::string>(message_matcher)) {
  const absl::Status& s = ::binq::testing::GetStatus(arg);
  *result_listener << "whose status is " << s;
  return s.code() == code &&
         ::testing::Matches(message_matcher)(std::string(s.message()));
}

MATCHER(IsOk, "is OK") {
  const absl::Status& s = ::binq::testing::GetStatus(arg);
  *result_listener << "whose status is " << s;
  return s.ok();
}

MATCHER_P(IsOkAndHolds, value_matcher, "is OK and holds a matching value") {
  if (!arg.ok()) {
    *result_listener << "whose status is " << arg.status();
    return false;
  }
  return ::testing::ExplainMatchResult(value_matcher, *arg, result_listener);
}

}  // namespace binq::testing

#define BINQ_ASSERT_OK(expr) ASSERT_THAT((expr), ::binq::testing::IsOk())
#define BINQ_EXPECT_OK(expr) EXPECT_THAT((expr), ::binq::testing::IsOk())
#define BINQ_ASSERT_OK_AND_ASSIGN(lhs, expr)                                    \
  BINQ_ASSERT_OK_AND_ASSIGN_IMPL_(BINQ_STATUS_CONCAT_(binq_test_so_, __LINE__), \
                                  lhs, expr)
#define BINQ_ASSERT_OK_AND_ASSIGN_IMPL_(tmp, lhs, expr) \
  auto tmp = (expr);                                    \
  ASSERT_TRUE(tmp.ok()) << tmp.status();                \
  lhs = std::move(tmp).value()

#include "core/base/status_macros.h"  // BINQ_STATUS_CONCAT_

#endif  // BINQ_TESTS_TESTING_STATUS_MATCHERS_H_
