// Hardening by configurable limits (limits: in the config): what a client past each limit gets.
#include <atomic>

#include "wire/hardening_rig.hpp"

using namespace wire;

namespace {
fake_upstream::script echo_len(std::atomic<int>& complete) {
  return [&complete](conn& c) {
    for (;;) {
      auto h = read_head(c, 3000ms);
      auto body = read_body(c, h, 3000ms);
      ++complete;
      c.send(response(200, "got " + std::to_string(body.size())));
    }
  };
}
}  // namespace

TEST_CASE("hardening limits: max_header_bytes -> 431, nothing forwarded, keeps serving") {
  std::atomic<int> complete{0};
  fake_upstream up(echo_len(complete));
  rig r(up.port(), "limits: {max_header_bytes: 2048}\n");
  auto c = r.connect();
  c.send("GET /x HTTP/1.1\r\nHost: a\r\nX-Big: " + std::string(3000, 'b') + "\r\n\r\n");
  auto all = c.read_to_eof();
  CHECK(all.rfind("HTTP/1.1 431 ", 0) == 0);
  CHECK(up.accepted() == 0);
  CHECK(r.keeps_serving());
}

TEST_CASE("hardening limits: max_body_bytes -> 413 by Content-Length or chunked; under the limit passes") {
  std::atomic<int> complete{0};
  fake_upstream up(echo_len(complete));
  rig r(up.port(), "limits: {max_body_bytes: 1000}\n");
  {  // announced too big: refused before anything is forwarded
    auto c = r.connect();
    c.send("PUT /f HTTP/1.1\r\nHost: a\r\nContent-Length: 1001\r\n\r\n" + std::string(1001, 'x'));
    auto all = c.read_to_eof();
    CHECK(all.rfind("HTTP/1.1 413 ", 0) == 0);
    CHECK(up.accepted() == 0);
  }
  {  // chunked, grows too big in flight: 413, the upstream never sees a complete body
    auto c = r.connect();
    std::string chunk(600, 'y');
    c.send("PUT /f HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n258\r\n" + chunk + "\r\n258\r\n" + chunk +
           "\r\n0\r\n\r\n");
    auto all = c.read_to_eof();
    CHECK(all.rfind("HTTP/1.1 413 ", 0) == 0);
  }
  CHECK(eventually([&] { return r.stats().exchanges_in_flight.load() == 0; }));
  CHECK(complete.load() == 0);
  {  // exactly at the limit
    auto c = r.connect();
    c.send("PUT /f HTTP/1.1\r\nHost: a\r\nContent-Length: 1000\r\n\r\n" + std::string(1000, 'x'));
    auto h = read_head(c);
    CHECK(h.status == 200);
    CHECK(read_body(c, h) == "got 1000");
  }
  CHECK(complete.load() == 1);
  CHECK(r.keeps_serving());
}

TEST_CASE("hardening limits: max_connections -> the excess gets 503 and a close, existing ones unharmed") {
  std::atomic<int> complete{0};
  fake_upstream up(echo_len(complete));
  rig r(up.port(), "limits: {max_connections: 3}\n");
  std::vector<conn> held;
  for (int i = 0; i < 3; ++i) held.push_back(r.connect());
  REQUIRE(eventually([&] { return r.stats().client_connections.load() == 3; }));
  {
    auto extra = r.connect();
    extra.send(get("/ok"));
    auto all = extra.read_to_eof();
    CHECK(all.rfind("HTTP/1.1 503 ", 0) == 0);
    CHECK(all.find("Connection: close\r\n") != std::string::npos);
  }
  CHECK(complete.load() == 0);
  for (auto& c : held) {  // each existing connection still works, twice (keep-alive)
    for (int i = 0; i < 2; ++i) {
      c.send(get("/x"));
      auto h = read_head(c);
      CHECK(h.status == 200);
      CHECK(read_body(c, h) == "got 0");
    }
  }
  held.pop_back();  // room for one more
  REQUIRE(eventually([&] { return r.stats().client_connections.load() == 2; }));
  CHECK(r.keeps_serving());
}

TEST_CASE("hardening limits: max_requests_per_connection closes after the Nth response, announced") {
  std::atomic<int> complete{0};
  fake_upstream up(echo_len(complete));
  rig r(up.port(), "limits: {max_requests_per_connection: 2}\n");
  auto c = r.connect();
  c.send(get("/1"));
  auto h1 = read_head(c);
  CHECK(h1.status == 200);
  CHECK(h1.header("Connection").empty());
  read_body(c, h1);
  c.send(get("/2"));
  auto h2 = read_head(c);
  CHECK(h2.status == 200);
  CHECK(h2.header("Connection") == "close");
  CHECK(read_body(c, h2) == "got 0");
  CHECK(c.closed_within(3000ms));
  CHECK(complete.load() == 2);
  CHECK(r.keeps_serving());
}
