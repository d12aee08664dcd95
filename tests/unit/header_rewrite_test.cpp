// Unit tests for holdon's header rewriting: hop-by-hop removal (RFC 9110 §7.6.1),
// Via / X-Forwarded-*, and the bytes of forwarded and generated interim responses.
#include <doctest/doctest.h>

#include <string>
#include <utility>
#include <vector>

#include "holdon/header_rewrite.hpp"

using namespace holdon;

namespace {

using field_list = std::vector<std::pair<std::string, std::string>>;

header_fields make(const field_list& in) {
  header_fields f;
  for (const auto& [name, value] : in) f.insert(f.own(name), f.own(value));
  return f;
}

// Every field in wire order, names as stored.
field_list dump(const header_fields& f) {
  field_list out;
  for (const auto& h : f) out.emplace_back(std::string(h.name), std::string(h.value));
  return out;
}

// All values of one field name, in order.
std::vector<std::string> values(const header_fields& f, std::string_view name) {
  std::vector<std::string> out;
  for (const auto& h : f)
    if (iequals_ascii(h.name, name)) out.emplace_back(h.value);
  return out;
}

using strings = std::vector<std::string>;

}  // namespace

// ---------------------------------------------------------------- strip_hop_by_hop

// Each row was a test case of its own; `what` keeps its name.
TEST_CASE("headers: strip_hop_by_hop removes hop-by-hop fields and those Connection names, keeping the rest in order") {
  struct row {
    const char* what;
    field_list in;
    field_list out;
  };
  const row rows[] = {
      {"hop-by-hop fields are removed, end-to-end fields keep their order",
       {{"Host", "dav.example"}, {"Connection", "keep-alive"}, {"Accept", "*/*"}, {"Keep-Alive", "timeout=5"},
        {"Proxy-Connection", "keep-alive"}, {"TE", "trailers"}, {"Depth", "1"}, {"Transfer-Encoding", "chunked"},
        {"Upgrade", "websocket"}, {"Content-Type", "application/xml"}},
       {{"Host", "dav.example"}, {"Accept", "*/*"}, {"Depth", "1"}, {"Content-Type", "application/xml"}}},
      {"fields named by Connection are removed, case-insensitively, several tokens",
       {{"Connection", "X-Trace ,  x-session-hint,close"}, {"x-trace", "abc"}, {"X-SESSION-HINT", "1"}, {"X-Keep", "yes"}},
       {{"X-Keep", "yes"}}},
      {"tokens from adjacent Connection fields are all honoured",
       {{"Connection", "X-A"}, {"Connection", "X-B"}, {"X-A", "1"}, {"X-B", "2"}, {"X-C", "3"}},
       {{"X-C", "3"}}},
      // A sender may put the Connection lines anywhere in the head.
      {"tokens from Connection fields separated by other fields are all honoured",
       {{"Connection", "close"}, {"X-A", "1"}, {"Accept", "*/*"}, {"Connection", "X-A"}, {"X-B", "2"},
        {"connection", "X-B"}},
       {{"Accept", "*/*"}}},
      {"Content-Length and Host survive even when Connection names them",
       {{"Host", "dav.example"}, {"Content-Length", "42"}, {"Connection", "Content-Length, host, X-Drop"}, {"X-Drop", "x"}},
       {{"Host", "dav.example"}, {"Content-Length", "42"}}},
      {"a head without hop-by-hop fields is left exactly as it was",
       {{"Host", "h"}, {"Destination", "http://h/b"}, {"Overwrite", "F"}, {"Content-Length", "0"}},
       {{"Host", "h"}, {"Destination", "http://h/b"}, {"Overwrite", "F"}, {"Content-Length", "0"}}},
  };
  for (const auto& r : rows) {
    CAPTURE(r.what);
    auto f = make(r.in);
    strip_hop_by_hop(f);
    CHECK(dump(f) == r.out);
  }
}

// ---------------------------------------------------------------- requests

TEST_CASE("headers: a request gets Via, X-Forwarded-For/Proto/Host and keeps Host") {
  auto f = make({{"Host", "dav.example:8080"}, {"Connection", "keep-alive"}, {"Depth", "1"}});
  rewrite_request_headers(f, {.client_ip = "203.0.113.7", .scheme = "http", .version = 11});
  CHECK(values(f, "Host") == strings{"dav.example:8080"});
  CHECK(values(f, "Via") == strings{"1.1 holdon"});
  CHECK(values(f, "X-Forwarded-For") == strings{"203.0.113.7"});
  CHECK(values(f, "X-Forwarded-Proto") == strings{"http"});
  CHECK(values(f, "X-Forwarded-Host") == strings{"dav.example:8080"});
  CHECK(values(f, "Depth") == strings{"1"});
  CHECK(values(f, "Connection").empty());
}

TEST_CASE("headers: an HTTP/1.0 request gets Via 1.0 and the configured pseudonym") {
  auto f = make({{"Host", "h"}});
  rewrite_request_headers(f, {.client_ip = "10.0.0.1", .scheme = "http", .version = 10, .via = "edge-7"});
  CHECK(values(f, "Via") == strings{"1.0 edge-7"});
}

TEST_CASE("headers: Via is appended to an existing Via as a list") {
  auto f = make({{"Host", "h"}, {"Via", "1.1 cdn, 1.0 fred"}});
  rewrite_request_headers(f, {.client_ip = "10.0.0.1"});
  CHECK(values(f, "Via") == strings{"1.1 cdn, 1.0 fred, 1.1 holdon"});
}

TEST_CASE("headers: from a declared front, X-Forwarded-For and Forwarded get its address appended") {
  auto f = make({{"Host", "h"}, {"X-Forwarded-For", "198.51.100.1"}, {"Forwarded", "for=198.51.100.1;proto=https"},
                 {"X-Forwarded-Proto", "https"}, {"X-Forwarded-Host", "files.example.com"}});
  rewrite_request_headers(f, {.client_ip = "10.0.0.9", .trusted = true});
  CHECK(values(f, "X-Forwarded-For") == strings{"198.51.100.1, 10.0.0.9"});
  CHECK(values(f, "Forwarded") == strings{"for=198.51.100.1;proto=https, for=10.0.0.9"});
  CHECK(values(f, "X-Forwarded-Proto") == strings{"https"});  // the front terminated TLS
  CHECK(values(f, "X-Forwarded-Host") == strings{"files.example.com"});
  auto v6 = make({{"Host", "h"}, {"Forwarded", "for=198.51.100.1"}});
  rewrite_request_headers(v6, {.client_ip = "::1", .trusted = true});
  CHECK(values(v6, "Forwarded") == strings{"for=198.51.100.1, for=\"[::1]\""});
}

TEST_CASE("headers: from anyone else, forwarding fields are replaced by what holdon saw") {
  auto f = make({{"Host", "h"}, {"X-Forwarded-For", "198.51.100.1"}, {"Forwarded", "for=198.51.100.1"},
                 {"X-Real-IP", "198.51.100.1"}, {"X-Forwarded-Proto", "https"}, {"X-Forwarded-Host", "evil"}});
  rewrite_request_headers(f, {.client_ip = "10.0.0.9"});
  CHECK(values(f, "X-Forwarded-For") == strings{"10.0.0.9"});
  CHECK(values(f, "Forwarded").empty());
  CHECK(values(f, "X-Real-IP").empty());
  CHECK(values(f, "X-Forwarded-Proto") == strings{"http"});
  CHECK(values(f, "X-Forwarded-Host") == strings{"h"});
}

// Two test cases once: "two adjacent X-Forwarded-For fields ..." and "two X-Forwarded-For
// fields apart from each other are folded into one list".
TEST_CASE("headers: two X-Forwarded-For fields, adjacent or apart, are folded into one list") {
  struct row {
    const char* what;
    field_list head;
  };
  const row rows[] = {
      {"adjacent", {{"Host", "h"}, {"X-Forwarded-For", "198.51.100.1"}, {"x-forwarded-for", "198.51.100.2"}}},
      {"apart",
       {{"X-Forwarded-For", "198.51.100.1"}, {"Host", "h"}, {"Accept", "*/*"}, {"X-Forwarded-For", "198.51.100.2"}}},
  };
  for (const auto& r : rows) {
    CAPTURE(r.what);
    auto f = make(r.head);
    rewrite_request_headers(f, {.client_ip = "10.0.0.9", .trusted = true});
    CHECK(values(f, "X-Forwarded-For") == strings{"198.51.100.1, 198.51.100.2, 10.0.0.9"});
  }
}

TEST_CASE("headers: X-Forwarded-Proto and X-Forwarded-Host overwrite the client's values") {
  auto f = make({{"Host", "real.example"},
                 {"X-Forwarded-Proto", "https"},
                 {"X-Forwarded-Host", "spoofed.example"},
                 {"X-Forwarded-Proto", "https"}});
  rewrite_request_headers(f, {.client_ip = "10.0.0.9", .scheme = "http"});
  CHECK(values(f, "X-Forwarded-Proto") == strings{"http"});
  CHECK(values(f, "X-Forwarded-Host") == strings{"real.example"});
}

TEST_CASE("headers: without Host, a client's X-Forwarded-Host is not passed on") {
  auto f = make({{"X-Forwarded-Host", "spoofed.example"}});
  rewrite_request_headers(f, {.client_ip = "10.0.0.9"});
  CHECK(values(f, "X-Forwarded-Host").empty());
}

TEST_CASE("headers: a request's hop-by-hop fields are removed before forwarding") {
  auto f = make({{"Host", "h"},
                 {"Connection", "Upgrade, X-Local"},
                 {"Upgrade", "h2c"},
                 {"X-Local", "1"},
                 {"TE", "trailers"},
                 {"Transfer-Encoding", "chunked"},
                 {"Keep-Alive", "timeout=5"}});
  rewrite_request_headers(f, {.client_ip = "10.0.0.9"});
  for (auto name : {"Connection", "Upgrade", "X-Local", "TE", "Transfer-Encoding", "Keep-Alive"}) {
    CAPTURE(name);
    CHECK(values(f, name).empty());
  }
}

// ---------------------------------------------------------------- responses

TEST_CASE("headers: a response loses hop-by-hop fields and gains Via") {
  auto f = make({{"Content-Type", "application/xml"},
                 {"Connection", "close, X-Backend-Node"},
                 {"X-Backend-Node", "n3"},
                 {"Keep-Alive", "timeout=5"},
                 {"Transfer-Encoding", "chunked"},
                 {"Via", "1.1 apache"},
                 {"ETag", "\"abc\""}});
  rewrite_response_headers(f, {.version = 11});
  CHECK(values(f, "Content-Type") == strings{"application/xml"});
  CHECK(values(f, "ETag") == strings{"\"abc\""});
  CHECK(values(f, "Via") == strings{"1.1 apache, 1.1 holdon"});
  for (auto name : {"Connection", "X-Backend-Node", "Keep-Alive", "Transfer-Encoding"}) {
    CAPTURE(name);
    CHECK(values(f, name).empty());
  }
  CHECK(values(f, "X-Forwarded-For").empty());  // X-Forwarded-* is for requests only
}

TEST_CASE("headers: a response from an HTTP/1.0 upstream gets Via 1.0") {
  auto f = make({{"Content-Length", "0"}});
  rewrite_response_headers(f, {.version = 10});
  CHECK(values(f, "Via") == strings{"1.0 holdon"});
  CHECK(values(f, "Content-Length") == strings{"0"});
}

// ---------------------------------------------------------------- interim responses

TEST_CASE("headers: a forwarded 103 has exactly its status line and end-to-end fields") {
  auto f = make({{"Link", "</style.css>; rel=preload; as=style"}});
  CHECK(interim_head(103, "Early Hints", f) ==
        "HTTP/1.1 103 Early Hints\r\nLink: </style.css>; rel=preload; as=style\r\n\r\n");
}

TEST_CASE("headers: a forwarded 1xx loses hop-by-hop fields and Content-Length") {
  auto f = make({{"Connection", "X-Hint"},
                 {"Link", "</a.js>; rel=preload"},
                 {"X-Hint", "1"},
                 {"Content-Length", "0"},
                 {"Transfer-Encoding", "chunked"},
                 {"Link", "</b.css>; rel=preload"}});
  CHECK(interim_head(103, "Early Hints", f) ==
        "HTTP/1.1 103 Early Hints\r\nLink: </a.js>; rel=preload\r\nLink: </b.css>; rel=preload\r\n\r\n");
  CHECK(values(f, "Content-Length") == strings{"0"});  // the upstream's fields are not modified
}

TEST_CASE("headers: a forwarded 1xx keeps the reason the upstream sent") {
  CHECK(interim_head(102, "Still Working", header_fields{}) == "HTTP/1.1 102 Still Working\r\n\r\n");
}

TEST_CASE("headers: an empty reason falls back to the standard phrase") {
  CHECK(interim_head(100, "", header_fields{}) == "HTTP/1.1 100 Continue\r\n\r\n");
  CHECK(interim_head(102, "", header_fields{}) == "HTTP/1.1 102 Processing\r\n\r\n");
  auto f = make({{"Link", "</s.css>; rel=preload"}});
  CHECK(interim_head(103, "", f) == "HTTP/1.1 103 Early Hints\r\nLink: </s.css>; rel=preload\r\n\r\n");
}

TEST_CASE("headers: holdon's own keep-alive 102 is exactly a status line and an empty line") {
  CHECK(keepalive_102 == "HTTP/1.1 102 Processing\r\n\r\n");
  CHECK(keepalive_102 == interim_head(102, "Processing", header_fields{}));
}
