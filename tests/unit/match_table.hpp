// Tables of a matcher's answers, shared by the unit tests of route prefixes and hosts
// (route_table_test.cpp), address ranges (front_test.cpp) and User-Agent patterns
// (interim_policy_test.cpp): rows {pattern, subject, matches}, each checked with CAPTURE.
#pragma once

#include <doctest/doctest.h>

#include <initializer_list>
#include <string_view>

namespace match_table {

struct match_row {
  std::string_view pattern, subject;
  bool matches;
};

// `matcher(pattern, subject)` must answer `matches` for every row.
template <class Matcher>
void check_matches(Matcher&& matcher, std::initializer_list<match_row> rows) {
  for (const auto& [pattern, subject, matches] : rows) {
    CAPTURE(pattern);
    CAPTURE(subject);
    const bool got = matcher(pattern, subject);
    CHECK(got == matches);
  }
}

}  // namespace match_table
