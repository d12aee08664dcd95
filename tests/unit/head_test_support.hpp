// Helpers shared by http_head_test.cpp and request_guard_test.cpp: request heads that must parse.
#pragma once

#include <doctest/doctest.h>

#include <boost/system/error_code.hpp>
#include <string>
#include <string_view>

#include "holdon/http_head.hpp"

namespace head_test {

// A POST head to host a with `fields` (each line ending in CRLF) after Host.
inline std::string post_head(std::string_view fields) {
  return "POST / HTTP/1.1\r\nHost: a\r\n" + std::string(fields) + "\r\n";
}

// Parses `raw` into `p` and requires that it parses without error. The head views `raw`:
// it must outlive the use of p.head().
inline void parse_accepted(holdon::request_parser& p, std::string_view raw) {
  boost::system::error_code ec;
  p.parse_head(raw, ec);
  REQUIRE_FALSE(ec);
}

}  // namespace head_test
