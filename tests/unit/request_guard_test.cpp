#include <doctest/doctest.h>

#include "holdon/request_guard.hpp"

using namespace holdon;

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
