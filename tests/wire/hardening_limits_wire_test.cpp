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

// The rig in front of echo_len with `limits`; `complete` counts the bodies the upstream got whole.
struct limits_rig {
  std::atomic<int> complete{0};
  fake_upstream up;
  rig r;
  explicit limits_rig(const std::string& limits) : up(echo_len(complete)), r(up.port(), limits) {}
};

// Sends `request` on a fresh connection and returns all holdon sends until it closes.
std::string until_close(rig& r, std::string_view request) {
  auto c = r.connect();
  c.send(request);
  return c.read_to_eof();
}
}  // namespace

TEST_CASE("hardening limits: max_header_bytes -> 431, nothing forwarded, keeps serving") {
  limits_rig t("limits: {max_header_bytes: 2048}\n");
  auto all = until_close(t.r, "GET /x HTTP/1.1\r\nHost: a\r\nX-Big: " + std::string(3000, 'b') + "\r\n\r\n");
  CHECK(all.rfind("HTTP/1.1 431 ", 0) == 0);
  CHECK(t.up.accepted() == 0);
  CHECK(t.r.keeps_serving());
}

TEST_CASE("hardening limits: max_body_bytes -> 413 by Content-Length or chunked; under the limit passes") {
  limits_rig t("limits: {max_body_bytes: 1000}\n");
  // Announced too big: refused before anything is forwarded.
  auto all = until_close(t.r, "PUT /f HTTP/1.1\r\nHost: a\r\nContent-Length: 1001\r\n\r\n" + std::string(1001, 'x'));
  CHECK(all.rfind("HTTP/1.1 413 ", 0) == 0);
  CHECK(t.up.accepted() == 0);
  // Chunked, grows too big in flight: 413, the upstream never sees a complete body.
  std::string chunk(600, 'y');
  all = until_close(t.r, "PUT /f HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n258\r\n" + chunk +
                             "\r\n258\r\n" + chunk + "\r\n0\r\n\r\n");
  CHECK(all.rfind("HTTP/1.1 413 ", 0) == 0);
  CHECK(eventually([&] { return t.r.stats().exchanges_in_flight.load() == 0; }));
  CHECK(t.complete.load() == 0);
  {  // exactly at the limit
    auto c = t.r.connect();
    auto r = round_trip(c, "PUT /f HTTP/1.1\r\nHost: a\r\nContent-Length: 1000\r\n\r\n" + std::string(1000, 'x'));
    CHECK(r.h.status == 200);
    CHECK(r.body == "got 1000");
  }
  CHECK(t.complete.load() == 1);
  CHECK(t.r.keeps_serving());
}

TEST_CASE("hardening limits: max_connections -> the excess gets 503 and a close, existing ones unharmed") {
  limits_rig t("limits: {max_connections: 3}\n");
  auto& r = t.r;
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
  CHECK(t.complete.load() == 0);
  for (auto& c : held) {  // each existing connection still works, twice (keep-alive)
    for (int i = 0; i < 2; ++i) {
      auto answer = round_trip(c, get("/x"));
      CHECK(answer.h.status == 200);
      CHECK(answer.body == "got 0");
    }
  }
  held.pop_back();  // room for one more
  REQUIRE(eventually([&] { return r.stats().client_connections.load() == 2; }));
  CHECK(r.keeps_serving());
}

TEST_CASE("hardening limits: max_requests_per_connection closes after the Nth response, announced") {
  limits_rig t("limits: {max_requests_per_connection: 2}\n");
  auto& r = t.r;
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
  CHECK(t.complete.load() == 2);
  CHECK(r.keeps_serving());
}
