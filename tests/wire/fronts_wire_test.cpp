// Wire tests for fronts and capped schedules: what holdon sends a client that comes through a
// declared front, an undeclared proxy, or under a cap, byte for byte; what the upstream is told
// about the client. The test client connects from 127.0.0.1, which the configs declare or not.
#include <doctest/doctest.h>

#include "wire/wire_harness.hpp"

using namespace wire;

namespace {
std::string propfind(std::string_view ua, std::string_view extra = "") {
  return "PROPFIND /f HTTP/1.1\r\nHost: dav.test\r\nUser-Agent: " + std::string(ua) + "\r\nDepth: 1\r\n" +
         std::string(extra) + "Content-Length: 0\r\n\r\n";
}

// The upstream: to each request, a 102 of its own, then `hold` of silence (the slow backend
// under test), then 207; records the first request head it got.
struct slow_dav {
  head seen;
  event got;
  fake_upstream up;
  explicit slow_dav(ms hold)
      : up([this, hold](conn& c) {
          try {
            for (;;) {
              auto h = read_head(c, 10000ms);
              if (!got.is_set()) seen = h;
              got.set();
              c.send(k102);
              std::this_thread::sleep_for(hold);
              c.send(response(207, multistatus));
            }
          } catch (const std::exception&) {  // holdon closed the connection
          }
        }) {}
};

// holdon with `yaml` in front of a slow_dav holding each answer `hold`.
struct behind_holdon {
  slow_dav dav;
  proxy px;
  behind_holdon(ms hold, const std::string& yaml) : dav(hold), px(dav.up.port(), yaml) {}
  // A fresh client connection that has sent propfind(ua, extra).
  conn ask(std::string_view ua, std::string_view extra) {
    auto c = px.connect();
    c.send(propfind(ua, extra));
    return c;
  }
};
}  // namespace

TEST_CASE("wire: an undeclared proxy gets no 1xx at all, and its X-Forwarded-For is not passed on") {
  behind_holdon f(250ms, "interim: {mode: always, first_after: 10ms, every: 20ms}\n");
  auto c = f.ask("curl/7.88.1", "X-Forwarded-For: 198.51.100.7\r\nX-Real-IP: 198.51.100.7\r\n");
  auto h = read_head(c);
  CHECK(h.status == 207);  // neither holdon's 102s nor the upstream's
  CHECK(read_body(c, h) == multistatus);
  REQUIRE(f.dav.got.wait(1000ms));
  CHECK(f.dav.seen.header("X-Forwarded-For") == "127.0.0.1");
  CHECK(f.dav.seen.header("X-Real-IP").empty());
  CHECK(f.px.stats().undeclared_proxy_requests.load() == 1);
  CHECK(f.px.stats().keepalive_sent.load() == 0);
  CHECK(f.px.stats().interims_forwarded.load() == 0);
}

TEST_CASE("wire: through a declared forwarding front, the end client's verdict decides and XFF is appended") {
  behind_holdon f(250ms,
                  "interim: {first_after: 10ms, every: 40ms}\n"
                  "fronts: [{addresses: [127.0.0.0/8, '::1'], kind: haproxy}]\n");
  {
    auto c = f.ask("curl/7.88.1", "X-Forwarded-For: 198.51.100.7\r\n");
    auto run = read_102s(c);
    CHECK(run.final_raw.rfind("HTTP/1.1 207", 0) == 0);
    CHECK(run.at.size() >= 3);  // the upstream's and holdon's
    REQUIRE(f.dav.got.wait(1000ms));
    CHECK(f.dav.seen.header("X-Forwarded-For") == "198.51.100.7, 127.0.0.1");
  }
  CHECK(f.px.stats().undeclared_proxy_requests.load() == 0);
  // A breaker behind the same front gets none.
  auto c = f.ask("Mozilla/5.0 (Linux) mirall/3.13.0 (Nextcloud, debian)", "X-Forwarded-For: 198.51.100.8\r\n");
  auto h = read_head(c);
  CHECK(h.status == 207);
}

TEST_CASE("wire: through a declared nginx, no 1xx reaches the client, whoever it is") {
  behind_holdon f(250ms,
                  "interim: {mode: always, first_after: 10ms, every: 20ms}\n"
                  "fronts: [{addresses: [127.0.0.1], kind: nginx}]\n");
  auto c = f.ask("curl/7.88.1", "X-Forwarded-For: 198.51.100.7\r\nX-Real-IP: 198.51.100.7\r\n");
  auto h = read_head(c);
  CHECK(h.status == 207);
  CHECK(read_body(c, h) == multistatus);
  CHECK(f.px.stats().keepalive_sent.load() == 0);
  REQUIRE(f.dav.got.wait(1000ms));
  CHECK(f.dav.seen.header("X-Forwarded-For") == "198.51.100.7, 127.0.0.1");
  CHECK(f.dav.seen.header("X-Real-IP") == "198.51.100.7");
}

TEST_CASE("wire: a cap of 5 (Go) is spread over upstream_response, not spent in the first 100 ms") {
  event saw_five;
  fake_upstream up(answer_when(saw_five, response(207, multistatus)));
  // (1200 ms - 20 ms) / 5 = 236 ms between 102s; uncapped they would come every 20 ms.
  proxy px(up.port(), "interim: {first_after: 20ms, every: 20ms, max: 30}\ntimeouts: {upstream_response: 1200ms}\n");
  auto c = px.connect();
  auto run = ask_102s(c, propfind("Go-http-client/1.1"), &saw_five, 5);
  const auto& at = run.at;
  const auto sent = run.sent;
  CHECK(run.final_raw.rfind("HTTP/1.1 207", 0) == 0);
  REQUIRE(at.size() == 5);
  CHECK(at[0] - sent >= 20ms);
  for (std::size_t i = 1; i < at.size(); ++i) CHECK(at[i] - sent >= 20ms + static_cast<int>(i) * 236ms);
  CHECK(at[4] - sent < 3000ms);
}

TEST_CASE("wire: a front's idle_timeout bounds a stretched gap") {
  event saw_two;
  fake_upstream up(answer_when(saw_two, response(207, multistatus)));
  // Apache caps at 9: (10 s - 20 ms) / 9 would be 1.1 s; its idle timeout of 500 ms allows 450 ms.
  proxy px(up.port(),
           "interim: {first_after: 20ms, every: 20ms, max: 30}\ntimeouts: {upstream_response: 10s}\n"
           "fronts: [{addresses: [127.0.0.1], kind: apache, idle_timeout: 500ms}]\n");
  {
    auto c = px.connect();
    auto run = ask_102s(c, propfind("curl/7.88.1", "X-Forwarded-For: 198.51.100.7\r\n"), &saw_two, 2);
    const auto& at = run.at;
    const auto sent = run.sent;
    REQUIRE(at.size() == 2);
    CHECK(at[1] - sent >= 470ms);
    CHECK(at[1] - at[0] < 1100ms);
  }
}

TEST_CASE("wire: a front declared with kind none is a client: proxy fields are no sign, XFF is not trusted") {
  behind_holdon f(200ms,
                  "interim: {first_after: 10ms, every: 40ms}\n"
                  "fronts: [{addresses: [127.0.0.1], kind: none}]\n");
  auto c = f.ask("curl/7.88.1", "Via: 1.1 corp-gateway\r\nX-Forwarded-For: 198.51.100.7\r\n");
  CHECK(read_102s(c).at.size() >= 2);
  REQUIRE(f.dav.got.wait(1000ms));
  CHECK(f.dav.seen.header("X-Forwarded-For") == "127.0.0.1");
}
