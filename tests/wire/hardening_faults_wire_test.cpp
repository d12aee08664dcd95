// Hardening against upstream and client faults. Each case asserts what
// the client receives on the wire and that holdon keeps serving another client afterwards.
#include <sys/resource.h>

#include <atomic>

#include "wire/hardening_rig.hpp"

using namespace wire;

namespace {
std::string propfind(std::string_view target) {
  return "PROPFIND " + std::string(target) +
         " HTTP/1.1\r\nHost: dav.test\r\nUser-Agent: litmus/0.13 neon/0.32.5\r\nDepth: 1\r\nContent-Length: 0\r\n\r\n";
}
}  // namespace

TEST_CASE("hardening: refused upstream -> 502, counted, and holdon keeps serving") {
  rig r(unused_port(), "");
  auto c = r.connect();
  c.send(get("/x"));
  auto h = read_head(c);
  CHECK(h.status == 502);
  CHECK(read_body(c, h).find("upstream connect failed") != std::string::npos);
  CHECK(r.stats().upstream_connect_errors.load() == 1);
  CHECK(r.keeps_serving());
  // The refused client's connection is still usable (502 keeps HTTP/1.1 alive).
  c.send(get("/ok"));
  auto h2 = read_head(c);
  CHECK(h2.status == 200);
  CHECK(read_body(c, h2) == "ok");
}

TEST_CASE("hardening: silent upstream -> 102s until upstream_response, then 504; keeps serving") {
  event release;
  fake_upstream bad([&](conn& c) {
    read_head(c);
    release.wait(10000ms);
  });
  rig r(bad.port(), "interim: {first_after: 30ms, every: 40ms}\ntimeouts: {upstream_response: 400ms}\n");
  auto c = r.connect();
  auto sent = clock::now();
  c.send(propfind("/silent"));
  int n102 = 0;
  head fin;
  for (;;) {
    auto h = read_head(c);
    if (h.status != 102) {
      fin = h;
      break;
    }
    ++n102;
  }
  CHECK(fin.status == 504);
  CHECK(fin.at - sent >= 400ms);
  CHECK(fin.at - sent < 3000ms);
  CHECK(n102 >= 3);
  CHECK(r.stats().upstream_timeouts.load() == 1);
  CHECK(r.keeps_serving());
  release.set();
}

TEST_CASE("hardening: upstream closing without a response, or sending garbage -> 502; never reused") {
  std::atomic<int> conns{0};
  std::atomic<bool> reused_after_garbage{false};
  fake_upstream bad([&](conn& c) {
    auto req = read_head(c);
    ++conns;
    if (req.target == "/close") return;
    if (req.target == "/garbage") {
      c.send("\x01\x02 NOT HTTP\r\n\r\n");
      // If holdon pooled this connection, the next request would arrive here.
      try {
        read_head(c, 1500ms);
        reused_after_garbage = true;
      } catch (const std::exception&) {
      }
      return;
    }
    c.send(response(200, "fresh"));
  });
  rig r(bad.port(), "");
  for (std::string target : {"/close", "/garbage"}) {
    CAPTURE(target);
    auto c = r.connect();
    c.send(get(target));
    auto h = read_head(c);
    CHECK(h.status == 502);
    CHECK(read_body(c, h).find("502 Bad Gateway") == 0);
    CHECK(r.keeps_serving());
  }
  auto c = r.connect();
  c.send(get("/after"));
  auto h = read_head(c);
  CHECK(h.status == 200);
  CHECK(read_body(c, h) == "fresh");
  CHECK(bad.accepted() == 3);  // one connection per request: neither failed one was pooled
  CHECK_FALSE(reused_after_garbage.load());
  CHECK(r.stats().exchanges_failed.load() == 2);
}

TEST_CASE("hardening: upstream dying mid-body -> client closed, exchange failed, not pooled, in-flight 0") {
  fake_upstream bad([&](conn& c) {
    auto req = read_head(c);
    if (req.target == "/partial") {
      c.send("HTTP/1.1 200 OK\r\nContent-Length: 1000\r\n\r\n" + std::string(300, 'p'));
      return;
    }
    c.send(response(200, "whole"));
  });
  rig r(bad.port(), "");
  {
    auto c = r.connect();
    c.send(get("/partial"));
    auto h = read_head(c);
    CHECK(h.status == 200);
    CHECK(c.read_to_eof().size() == 300);  // closed short: the client can tell
  }
  CHECK(eventually([&] { return r.stats().exchanges_failed.load() == 1; }));
  CHECK(r.all_settled());
  CHECK(r.keeps_serving());
  auto c = r.connect();
  c.send(get("/again"));
  auto h = read_head(c);
  CHECK(read_body(c, h) == "whole");
  CHECK(bad.accepted() == 2);
}

TEST_CASE("hardening: oversize upstream response head -> 502 and keeps serving") {
  fake_upstream bad(answer_once("HTTP/1.1 200 OK\r\nX-Huge: " + std::string(9000, 'h') + "\r\nContent-Length: 0\r\n\r\n"));
  rig r(bad.port(), "limits: {max_header_bytes: 4096}\n");
  auto answer = round_trip(r.port(), get("/huge"));
  CHECK(answer.h.status == 502);
  CHECK(answer.body.find("too large") != std::string::npos);
  CHECK(r.keeps_serving());
}

// A pooled connection the upstream closes as the next request arrives (after holdon's
// MSG_PEEK liveness check passed): no response byte, so an idempotent request is sent
// again on a new connection, a non-idempotent one is answered 502 and never resent.
TEST_CASE("hardening: stale pooled connection -> idempotent GET retried once, POST gets 502") {
  std::atomic<int> posts_seen{0};
  std::atomic<int> second_requests{0};
  fake_upstream bad([&](conn& c) {
    auto req = read_head(c);
    c.send(response(200, "first"));  // keep-alive: holdon pools this connection
    req = read_head(c, 10000ms);     // the next request arrives on the pooled connection...
    ++second_requests;
    if (req.method == "POST") ++posts_seen;
    // ...and the upstream closes without answering (a keep-alive race lost).
  });
  // A second upstream connection serves whatever a retry sends: answers everything.
  rig r(bad.port(), "");
  auto first = [&] {
    auto c = r.connect();
    c.send(get("/warm"));
    auto h = read_head(c);
    REQUIRE(read_body(c, h) == "first");
  };
  SUBCASE("GET is retried transparently") {
    first();
    auto c = r.connect();
    c.send(get("/again"));
    auto h = read_head(c);
    // The retry's fresh connection runs the same script: its first answer is "first".
    CHECK(h.status == 200);
    CHECK(read_body(c, h) == "first");
    CHECK(r.stats().upstream_retries.load() == 1);
    CHECK(bad.accepted() == 2);
    CHECK(second_requests.load() == 1);
  }
  SUBCASE("POST is not resent: 502") {
    first();
    auto c = r.connect();
    c.send("POST /submit HTTP/1.1\r\nHost: a\r\nContent-Length: 0\r\n\r\n");
    auto h = read_head(c);
    CHECK(h.status == 502);
    read_body(c, h);
    CHECK(r.stats().upstream_retries.load() == 0);
    CHECK(posts_seen.load() == 1);
    // A window of silence: no second connection carrying the POST again.
    std::this_thread::sleep_for(200ms);
    CHECK(bad.accepted() == 1);
  }
  CHECK(r.keeps_serving());
}

TEST_CASE("hardening: client leaving a held request -> upstream closed, timer stopped, counters 0") {
  event upstream_saw_close;
  fake_upstream bad(note_close(upstream_saw_close));
  rig r(bad.port(), "interim: {first_after: 20ms, every: 20ms}\n");
  auto while_held = [&] { CHECK(r.stats().exchanges_in_flight.load() == 1); };
  CHECK(leave_after_first_head(r.port(), propfind("/held"), while_held) == 102);
  CHECK(upstream_saw_close.wait(3000ms));
  CHECK(r.all_settled());  // exchanges_in_flight == 0 and client_connections == 0
  CHECK(unchanged_for(r.stats().keepalive_sent, 120ms));  // six intervals of silence: the 102 timer is gone
  CHECK(r.stats().exchanges_failed.load() == 1);
  CHECK(r.keeps_serving());
}

TEST_CASE("hardening: slowloris dribbling its head is closed at client_header; others served meanwhile") {
  fake_upstream bad([&](conn& c) { c.read_to_eof(); });
  rig r(bad.port(), "timeouts: {client_header: 300ms}\n");
  auto slow = r.connect();
  auto t0 = clock::now();
  std::string head = "GET /slow HTTP/1.1\r\nHost: a\r\nX-Pad: aaaaaaaaaaaaaaaaaaaa";
  bool closed = false;
  for (std::size_t i = 0; i < head.size(); ++i) {  // one byte every 20 ms: the timeout is for the whole head
    try {
      slow.send(std::string(1, head[i]));
    } catch (const std::exception&) {
      closed = true;
      break;
    }
    if (slow.closed_within(20ms)) {
      closed = true;
      break;
    }
    if (i == 3) CHECK(r.keeps_serving());  // another client is served while this one dribbles
  }
  if (!closed) closed = slow.closed_within(3000ms);
  CHECK(closed);
  CHECK(clock::now() - t0 >= 300ms);
  CHECK(clock::now() - t0 < 3000ms);
  CHECK(bad.accepted() == 0);
  CHECK(r.keeps_serving());
}

TEST_CASE("hardening: 8000 idle client connections while normal traffic is served") {
  rlimit lim{};
  REQUIRE(getrlimit(RLIMIT_NOFILE, &lim) == 0);
  if (lim.rlim_cur < 17000) {  // both ends live in this process: 16 000 descriptors and change
    lim.rlim_cur = std::min<rlim_t>(lim.rlim_max, 20000);
    REQUIRE(setrlimit(RLIMIT_NOFILE, &lim) == 0);
  }
  REQUIRE(lim.rlim_cur >= 17000);
  fake_upstream bad(answer_every("served"));
  rig r(bad.port(), "timeouts: {client_header: 60s, idle: 60s}\n");
  constexpr int idle_n = 8000;
  std::vector<conn> idle;
  idle.reserve(idle_n);
  for (int i = 0; i < idle_n; ++i) {
    idle.push_back(r.connect());
    if (i % 2 == 1) idle.back().send("GET /ok HTTP/1.1\r\n");  // half of them mid-head
  }
  CHECK(eventually([&] { return r.stats().client_connections.load() == idle_n; }, 20000ms));
  auto t0 = clock::now();
  for (int i = 0; i < 20; ++i) {
    auto c = r.connect();
    c.send(get("/normal"));
    auto h = read_head(c);
    CHECK(h.status == 200);
    CHECK(read_body(c, h) == "served");
  }
  CHECK(clock::now() - t0 < 5000ms);
  CHECK(r.keeps_serving());
  // The idle ones are still open, holdon has not dropped them.
  CHECK(r.stats().client_connections.load() >= idle_n);
  idle.clear();
  CHECK(eventually([&] { return r.stats().client_connections.load() == 0; }, 20000ms));
}
