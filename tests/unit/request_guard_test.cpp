#include <doctest/doctest.h>

#include <boost/system/error_code.hpp>
#include <string>
#include <vector>

#include "head_test_support.hpp"
#include "holdon/request_guard.hpp"

using namespace holdon;
using namespace head_test;

TEST_CASE("request_guard: raw head limits and obs-fold") {
  bool complete = false;
  CHECK_FALSE(check_raw_head("GET / HTTP/1.1\r\nHost: a\r\n\r\n", 100, 1000, complete));
  CHECK(complete);
  CHECK_FALSE(check_raw_head("GET / HTTP/1.1\r\nHo", 100, 1000, complete));
  CHECK_FALSE(complete);
  CHECK(check_raw_head("GET /" + std::string(200, 'a'), 100, 1000, complete).status == 414);  // before its CRLF
  CHECK(check_raw_head("GET / HTTP/1.1\r\nX: " + std::string(2000, 'a'), 100, 1000, complete).status == 431);
  CHECK(check_raw_head("GET / HTTP/1.1\r\nX: a\r\n b\r\n\r\n", 100, 1000, complete).status == 400);
  CHECK(check_raw_head("GET / HTTP/1.1\r\nX: a\r\n\tb\r\n\r\n", 100, 1000, complete).status == 400);
  // Spaces inside values and a body after the head are no fold.
  CHECK_FALSE(check_raw_head("PUT / HTTP/1.1\r\nX: a b\r\n\r\n x", 100, 1000, complete));
  CHECK_FALSE(check_raw_head("\r\nGET / HTTP/1.1\r\nHost: a\r\n\r\n", 100, 1000, complete));
}

TEST_CASE("request_guard: framing and target") {
  framing_facts f;
  f.target = "/x";
  f.host = "a";
  CHECK_FALSE(check_framing(f));
  auto with = [&](auto change) {
    auto g = f;
    change(g);
    return check_framing(g).status;
  };
  CHECK(with([](auto& g) { g.connect = true; }) == 405);
  CHECK(with([](auto& g) { g.content_length_fields = 2; g.content_length = "1"; }) == 400);
  CHECK(with([](auto& g) { g.content_length_fields = 1; g.content_length = "1,1"; }) == 400);
  CHECK(with([](auto& g) { g.transfer_encoding_fields = 1; g.transfer_encoding = "chunked"; }) == 0);
  CHECK(with([](auto& g) { g.transfer_encoding_fields = 1; g.transfer_encoding = "gzip, chunked"; }) == 501);
  CHECK(with([](auto& g) { g.transfer_encoding_fields = 1; g.transfer_encoding = "chunked, gzip"; }) == 400);
  CHECK(with([](auto& g) {
          g.transfer_encoding_fields = 1;
          g.transfer_encoding = "chunked";
          g.version = 10;
        }) == 400);
  CHECK(with([](auto& g) {
          g.transfer_encoding_fields = 1;
          g.transfer_encoding = "chunked";
          g.content_length_fields = 1;
        }) == 400);
  CHECK(with([](auto& g) { g.target = "http://a/x"; }) == 0);
  CHECK(with([](auto& g) { g.target = "HTTP://A"; }) == 0);
  CHECK(with([](auto& g) { g.target = "http://b/x"; }) == 400);
  CHECK(with([](auto& g) { g.target = "http://u@a/x"; }) == 400);
  CHECK(with([](auto& g) { g.target = "gopher://a/x"; }) == 400);
  CHECK(with([](auto& g) { g.target = "x"; }) == 400);
  CHECK(with([](auto& g) { g.target = "*"; }) == 0);
}

// The guard is the one place that refuses a request's framing: each head below parses without
// error, and the status and text come from check_framing alone. It refuses every head whose
// framing the parser cannot tell, and passes every head it can.
TEST_CASE("request_guard: framing of parsed heads, one status and text each") {
  struct refusal {
    std::string fields;
    unsigned status;
    std::string why;
  };
  const std::vector<refusal> cases{
      {"Content-Length: 5\r\nTransfer-Encoding: chunked\r\n", 400, "both Content-Length and Transfer-Encoding"},
      {"Transfer-Encoding: chunked\r\nContent-Length: 5\r\n", 400, "both Content-Length and Transfer-Encoding"},
      {"Content-Length: 5\r\nContent-Length: 6\r\n", 400, "more than one Content-Length"},
      {"Content-Length: 5\r\nContent-Length: 5\r\n", 400, "more than one Content-Length"},
      {"Content-Length: 5, 5\r\n", 400, "more than one Content-Length"},
      {"Content-Length: +5\r\n", 400, "Content-Length is not a number of bytes"},
      {"Content-Length: 99999999999999999999999\r\n", 400, "Content-Length is not a number of bytes"},
      {"Content-Length: x\r\nTransfer-Encoding: chunked\r\n", 400, "Content-Length is not a number of bytes"},
      {"Transfer-Encoding: chunked, gzip\r\n", 400, "Transfer-Encoding does not end in chunked"},
      {"Transfer-Encoding: gzip\r\n", 400, "Transfer-Encoding does not end in chunked"},
      {"Transfer-Encoding:\r\n", 400, "Transfer-Encoding does not end in chunked"},
      {"Transfer-Encoding: chunked, chunked\r\n", 400, "Transfer-Encoding applies chunked more than once"},
      {"Transfer-Encoding: gzip\r\nTransfer-Encoding: chunked\r\n", 400, "more than one Transfer-Encoding field"},
      {"Transfer-Encoding: gzip, chunked\r\n", 501, "only Transfer-Encoding: chunked is accepted"},
  };
  for (const auto& c : cases) {
    CAPTURE(c.fields);
    std::string raw = post_head(c.fields);
    request_parser p;
    parse_accepted(p, raw);
    auto v = check_framing(framing_facts_of(p.head()));
    CHECK(v.status == c.status);
    CHECK(v.why == c.why);
  }
  std::string v10 = "POST / HTTP/1.0\r\nTransfer-Encoding: chunked\r\n\r\n";
  request_parser p;
  parse_accepted(p, v10);
  CHECK(check_framing(framing_facts_of(p.head())).why == "Transfer-Encoding in an HTTP/1.0 request");
  for (std::string fields : {"", "Content-Length: 0\r\n", "Content-Length:  12 \r\n", "Transfer-Encoding: Chunked\r\n"}) {
    CAPTURE(fields);
    std::string raw = post_head(fields);
    request_parser q;
    parse_accepted(q, raw);
    CHECK(q.framing_known());
    CHECK_FALSE(check_framing(framing_facts_of(q.head())));
  }
}
