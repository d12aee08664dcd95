// Unit tests for http_head: the in-place head parser (views into the raw head, RFC 9112
// strictness), the body framing it implies, body bytes handed out as views, and the head
// writers.
#include <doctest/doctest.h>

#include <boost/beast/http/error.hpp>
#include <string>
#include <vector>

#include "head_test_support.hpp"
#include "holdon/http_head.hpp"

using namespace holdon;
using namespace head_test;
namespace http = boost::beast::http;

namespace {

bool inside(std::string_view part, const std::string& raw) {
  return part.data() >= raw.data() && part.data() + part.size() <= raw.data() + raw.size();
}

std::string all_body(const std::vector<std::string_view>& parts) {
  std::string s;
  for (auto p : parts) s += p;
  return s;
}

// Parses a request head and returns the error (empty on success).
boost::system::error_code request_error(const std::string& raw) {
  request_parser p;
  boost::system::error_code ec;
  p.parse_head(raw, ec);
  return ec;
}

boost::system::error_code response_error(const std::string& raw) {
  response_parser p;
  boost::system::error_code ec;
  p.parse_head(raw, ec);
  return ec;
}

}  // namespace

TEST_CASE("http_head: a request head is parsed into views of the raw bytes, fields in order") {
  std::string raw = "\r\nPROPFIND /dav/a%20b?x=1 HTTP/1.1\r\nHost: dav.test\r\nDepth:1\r\nX-Empty:\r\n"
                    "User-Agent:  cadaver/0.23  \r\n\r\n";
  request_parser p;
  boost::system::error_code ec;
  CHECK(p.parse_head(raw, ec) == raw.size());
  REQUIRE_FALSE(ec);
  const auto& h = p.head();
  CHECK(h.method == "PROPFIND");
  CHECK(h.target == "/dav/a%20b?x=1");
  CHECK(h.version == 11);
  CHECK(inside(h.method, raw));
  CHECK(inside(h.target, raw));
  std::vector<std::pair<std::string, std::string>> got;
  for (const auto& f : h.fields) {
    CHECK(inside(f.name, raw));
    got.emplace_back(f.name, f.value);
  }
  CHECK(got == std::vector<std::pair<std::string, std::string>>{
                   {"Host", "dav.test"}, {"Depth", "1"}, {"X-Empty", ""}, {"User-Agent", "cadaver/0.23"}});
  CHECK(h.fields.find("user-agent")->kind == field_kind::user_agent);
  CHECK(p.is_done());  // no body
  CHECK(p.keep_alive());
}

TEST_CASE("http_head: what a proxy must refuse in a request head") {
  CHECK(request_error("GET / HTTP/1.1\r\nHost : a\r\n\r\n") == http::error::bad_field);   // space before colon
  CHECK(request_error("GET / HTTP/1.1\r\nHost: a\r\n b\r\n\r\n") == http::error::bad_field);  // obs-fold
  CHECK(request_error("GET / HTTP/1.1\r\nX: a\nY: b\r\n\r\n") == http::error::bad_value);  // bare LF
  CHECK(request_error(std::string("GET / HTTP/1.1\r\nX: a\0b\r\n\r\n", 27)) == http::error::bad_value);
  CHECK(request_error("GET / HTTP/1.1\r\nX: a\rb\r\n\r\n") == http::error::bad_value);  // bare CR
  CHECK(request_error("GET / HTTP/1.1\r\n: a\r\n\r\n") == http::error::bad_field);      // no name
  CHECK(request_error("GET / HTTP/1.1\r\nBad Name: a\r\n\r\n") == http::error::bad_field);
  CHECK(request_error("GE(T / HTTP/1.1\r\n\r\n") == http::error::bad_method);
  CHECK(request_error("GET /a\x01 HTTP/1.1\r\n\r\n") == http::error::bad_target);
  CHECK(request_error("GET  / HTTP/1.1\r\n\r\n") == http::error::bad_target);  // two spaces
  CHECK(request_error("GET / http/1.1\r\n\r\n") == http::error::bad_version);
  CHECK(request_error("GET / HTTP/1.1 \r\n\r\n") == http::error::bad_line_ending);
  CHECK(request_error("GET /\r\n\r\n") == http::error::bad_target);
  // Accepted: obs-text in values and targets, tabs in values, an empty value.
  CHECK_FALSE(request_error("GET /\xc3\xa9 HTTP/1.1\r\nX: caf\xc3\xa9\t!\r\nY:\r\n\r\n"));
}

// Framing that could smuggle a second request is refused by request_guard (check_framing),
// the one place that refuses a request's framing; the parser marks it and reads no body.
TEST_CASE("http_head: a request head whose framing cannot be told parses, but its body is never read") {
  for (std::string fields : {"Content-Length: 5\r\nTransfer-Encoding: chunked\r\n",
                             "Transfer-Encoding: chunked\r\nContent-Length: 5\r\n",
                             "Content-Length: 5\r\nContent-Length: 5\r\n", "Content-Length: 5, 5\r\n",
                             "Content-Length: +5\r\n", "Content-Length: 99999999999999999999999\r\n",
                             "Transfer-Encoding: chunked, gzip\r\n", "Transfer-Encoding: gzip\r\n",
                             "Transfer-Encoding: chunked, chunked\r\n"}) {
    CAPTURE(fields);
    std::string raw = post_head(fields);
    request_parser p;
    p.body_limit(1);  // not reached: an unknown length is no length over the limit
    boost::system::error_code ec;
    CHECK(p.parse_head(raw, ec) == raw.size());
    REQUIRE_FALSE(ec);
    CHECK_FALSE(p.framing_known());
    CHECK_FALSE(p.is_done());
    CHECK_FALSE(p.keep_alive());
    CHECK_FALSE(p.content_length());
    CHECK(p.put_body("0\r\n\r\nhello", ec) == 0);
    CHECK(ec);
    CHECK(p.body().empty());
  }
  request_parser p;
  parse_accepted(p, "POST / HTTP/1.0\r\nTransfer-Encoding: chunked\r\n\r\n");
  CHECK_FALSE(p.framing_known());
  for (std::string ok : {"", "Content-Length: 5\r\n", "Transfer-Encoding: chunked\r\n"}) {
    CAPTURE(ok);
    std::string raw = post_head(ok);
    request_parser q;
    parse_accepted(q, raw);
    CHECK(q.framing_known());
  }
}

TEST_CASE("http_head: a Content-Length body comes out as views of the given bytes, nothing beyond it") {
  std::string raw = "PUT /f HTTP/1.1\r\nHost: a\r\nContent-Length: 10\r\n\r\n";
  request_parser p;
  parse_accepted(p, raw);
  boost::system::error_code ec;
  CHECK_FALSE(p.is_done());
  CHECK(p.content_length() == 10u);
  std::string in1 = "0123", in2 = "456789GET / HTTP/1.1\r\n";
  CHECK(p.put_body(in1, ec) == 4);
  CHECK(p.put_body(in2, ec) == 6);  // the next request is not body
  REQUIRE_FALSE(ec);
  CHECK(p.is_done());
  REQUIRE(p.body().size() == 2);
  CHECK(p.body()[0].data() == in1.data());
  CHECK(p.body()[1].data() == in2.data());
  CHECK(all_body(p.body()) == "0123456789");
}

TEST_CASE("http_head: a chunked body is decoded across any split into views of the input") {
  std::string wire = "5;ext=1\r\nhello\r\n1\r\n \r\n5\r\nworld\r\n0\r\nTrailer: x\r\n\r\nNEXT";
  for (std::size_t split = 0; split <= wire.size(); ++split) {
    CAPTURE(split);
    std::string raw = post_head("Transfer-Encoding: chunked\r\n");
    request_parser p;
    parse_accepted(p, raw);
    REQUIRE(p.chunked());
    boost::system::error_code ec;
    // The caller's buffer: what put_body did not consume stays and more is appended.
    std::string buffer = wire.substr(0, split), got;
    std::size_t fed = split;
    for (int rounds = 0; rounds < 20 && !p.is_done(); ++rounds) {
      p.body().clear();
      auto n = p.put_body(buffer, ec);
      REQUIRE_FALSE(ec);
      for (auto b : p.body()) {
        CHECK(inside(b, buffer));
        got += b;
      }
      buffer.erase(0, n);
      if (fed < wire.size() && !p.is_done()) buffer += wire.substr(fed), fed = wire.size();
    }
    CHECK(p.is_done());
    CHECK(got == "hello world");
    CHECK(buffer + wire.substr(fed) == "NEXT");
  }
}

TEST_CASE("http_head: bad chunks and oversized bodies are errors") {
  for (std::string bad : {"zz\r\nhello\r\n0\r\n\r\n", "-5\r\nhello\r\n0\r\n\r\n", "5\r\nhelloEXTRA\r\n0\r\n\r\n",
                          "ffffffffffffffffffff\r\nhello\r\n0\r\n\r\n"}) {
    CAPTURE(bad);
    std::string raw = "POST / HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n";
    request_parser p;
    boost::system::error_code ec;
    p.parse_head(raw, ec);
    p.put_body(bad, ec);
    CHECK(ec);
    CHECK_FALSE(p.is_done());
  }
  std::string raw = "POST / HTTP/1.1\r\nContent-Length: 11\r\n\r\n";
  request_parser limited;
  limited.body_limit(10);
  boost::system::error_code ec;
  limited.parse_head(raw, ec);
  CHECK(ec == http::error::body_limit);
  std::string chunked = "POST / HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n";
  request_parser limited2;
  limited2.body_limit(10);
  parse_accepted(limited2, chunked);
  limited2.put_body("6\r\nabcdef\r\n6\r\nghijkl\r\n0\r\n\r\n", ec);
  CHECK(ec == http::error::body_limit);
}

TEST_CASE("http_head: response framing follows RFC 9112 §6.3") {
  auto framing = [](const std::string& raw, bool head_request = false) {
    response_parser p;
    p.skip(head_request);
    boost::system::error_code ec;
    p.parse_head(raw, ec);
    std::string r = ec ? "error" : p.is_done() ? "none" : p.chunked() ? "chunked" : p.need_eof() ? "close" : "length";
    return r;
  };
  CHECK(framing("HTTP/1.1 200 OK\r\nContent-Length: 3\r\n\r\n") == "length");
  CHECK(framing("HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n") == "none");
  CHECK(framing("HTTP/1.1 200 OK\r\nContent-Length: 3, 3\r\n\r\n") == "length");
  CHECK(framing("HTTP/1.1 200 OK\r\nContent-Length: 3, 4\r\n\r\n") == "error");
  CHECK(framing("HTTP/1.1 200 OK\r\nTransfer-Encoding: gzip, chunked\r\n\r\n") == "chunked");
  CHECK(framing("HTTP/1.1 200 OK\r\nTransfer-Encoding: gzip\r\n\r\n") == "close");
  CHECK(framing("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\nContent-Length: 3\r\n\r\n") == "error");
  CHECK(framing("HTTP/1.1 200 OK\r\n\r\n") == "close");
  CHECK(framing("HTTP/1.1 204 No Content\r\n\r\n") == "none");
  CHECK(framing("HTTP/1.1 304 Not Modified\r\nContent-Length: 50\r\n\r\n") == "none");
  CHECK(framing("HTTP/1.1 102 Processing\r\n\r\n") == "none");
  CHECK(framing("HTTP/1.1 200 OK\r\nContent-Length: 50\r\n\r\n", true) == "none");  // to HEAD
  CHECK(framing("HTTP/1.1 200 OK\r\nX: a\r\n  folded\r\n\r\n") == "error");  // obs-fold: 502
  CHECK(framing("HTTP/1.1 20 OK\r\n\r\n") == "error");
  CHECK(framing("HTTP/1.1 200\r\n\r\n") == "error");
  CHECK(framing("HTTP/1.1 200 \r\n\r\n") == "close");  // an empty reason is fine
  CHECK(response_error("HTTP/1.1 200 OK\r\nX: \x7f\r\n\r\n") == http::error::bad_value);
}

TEST_CASE("http_head: a close-delimited body ends at EOF; a short one is a partial message") {
  std::string raw = "HTTP/1.0 200 OK\r\n\r\n";
  response_parser p;
  boost::system::error_code ec;
  p.parse_head(raw, ec);
  CHECK(p.need_eof());
  CHECK_FALSE(p.keep_alive());
  CHECK(p.put_body("abc", ec) == 3);
  p.put_eof(ec);
  CHECK_FALSE(ec);
  CHECK(p.is_done());
  std::string raw2 = "HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\n";
  response_parser q;
  q.parse_head(raw2, ec);
  q.put_body("ab", ec);
  q.put_eof(ec);
  CHECK(ec == http::error::partial_message);
}

TEST_CASE("http_head: keep-alive per version and Connection tokens") {
  auto keep = [](const std::string& raw) {
    request_parser p;
    boost::system::error_code ec;
    p.parse_head(raw, ec);
    return p.keep_alive();
  };
  CHECK(keep("GET / HTTP/1.1\r\nHost: a\r\n\r\n"));
  CHECK_FALSE(keep("GET / HTTP/1.1\r\nHost: a\r\nConnection: foo, Close\r\n\r\n"));
  CHECK_FALSE(keep("GET / HTTP/1.0\r\n\r\n"));
  CHECK(keep("GET / HTTP/1.0\r\nConnection: Keep-Alive\r\n\r\n"));
}

TEST_CASE("http_head: fields keep Beast's semantics: set appends at the end, erase removes all") {
  header_fields f;
  f.insert("A", "1");
  f.insert("Via", "x");
  f.insert("b", "2");
  f.insert("via", "y");
  CHECK(f.count("VIA") == 2);
  CHECK(f["Via"] == "x");
  CHECK(f[field_kind::via] == "x");
  f.set("Via", f.own("z"));
  std::string order;
  for (const auto& h : f) order += std::string(h.name) + "=" + std::string(h.value) + " ";
  CHECK(order == "A=1 b=2 Via=z ");
  f.erase("a");
  CHECK(f.size() == 2);
  CHECK(f.find("A") == f.end());
}

TEST_CASE("http_head: heads are written back exactly") {
  header_fields f;
  f.insert("Host", "a");
  f.insert("Via", "1.1 holdon");
  std::string out;
  write_request_head(out, "MOVE", "/x", f);
  CHECK(out == "MOVE /x HTTP/1.1\r\nHost: a\r\nVia: 1.1 holdon\r\n\r\n");
  out.clear();
  write_response_head(out, 207, "", f);
  CHECK(out == "HTTP/1.1 207 Multi-Status\r\nHost: a\r\nVia: 1.1 holdon\r\n\r\n");
  out.clear();
  write_response_head(out, 299, "", header_fields{});
  CHECK(out == "HTTP/1.1 299 \r\n\r\n");  // no "<unknown-status>"
}

TEST_CASE("http_head: storage given back keeps its capacity for the next message") {
  header_fields fields;
  std::vector<std::string_view> body;
  std::string raw = "GET / HTTP/1.1\r\nA: 1\r\nB: 2\r\nC: 3\r\n\r\n";
  {
    request_parser p(std::move(fields), std::move(body));
    boost::system::error_code ec;
    p.parse_head(raw, ec);
    p.give_back(fields, body);
  }
  CHECK(fields.size() == 3);
  request_parser again(std::move(fields), std::move(body));
  CHECK(again.head().fields.empty());
}
