// Wire tests for routing and upstreams: routes by Host and method, several servers
// per upstream (round robin, least in flight), passive health with a server killed and
// brought back on the same port. Upstream bodies name the server that answered.
#include <doctest/doctest.h>

#include <map>

#include "wire/wire_harness.hpp"

using namespace wire;

namespace {
// A keep-alive upstream that answers every request with 200 and `name` as the body.
fake_upstream::script named(std::string name) {
  return [name](conn& c) {
    for (;;) {
      auto req = read_head(c, 10000ms);
      read_body(c, req);
      c.send(response(200, name));
    }
  };
}

std::string get(std::uint16_t port, std::string_view method = "GET", std::string_view host = "app.test",
                std::string_view body = "") {
  auto c = connect_to(port);
  c.send(std::string(method) + " /x HTTP/1.1\r\nHost: " + std::string(host) + "\r\nUser-Agent: wire\r\n" +
         (body.empty() && method == "GET" ? "" : "Content-Length: " + std::to_string(body.size()) + "\r\n") +
         "\r\n" + std::string(body));
  auto h = read_head(c);
  auto b = read_body(c, h);
  return std::to_string(h.status) + " " + b;
}

std::string three_servers(const fake_upstream& a, const fake_upstream& b, const fake_upstream& c, std::string extra) {
  return "listen: [127.0.0.1:0]\nthreads: 1\nlog: {access: off}\nupstreams:\n  app:\n    servers: [127.0.0.1:" +
         std::to_string(a.port()) + ", 127.0.0.1:" + std::to_string(b.port()) + ", 127.0.0.1:" +
         std::to_string(c.port()) + "]\n" + extra + "routes: [{upstream: app}]\n";
}
}  // namespace

TEST_CASE("wire: routes pick the upstream by Host (exact, wildcard, any case and port) and method, else 404") {
  fake_upstream dav(named("dav")), files(named("files")), any(named("any"));
  auto yaml = "listen: [127.0.0.1:0]\nthreads: 1\nlog: {access: off}\nupstreams:\n  dav: {servers: [127.0.0.1:" +
              std::to_string(dav.port()) + "]}\n  files: {servers: [127.0.0.1:" + std::to_string(files.port()) +
              "]}\n  any: {servers: [127.0.0.1:" + std::to_string(any.port()) + "]}\nroutes:\n"
              "  - {host: dav.test, upstream: dav}\n"
              "  - {host: '*.files.test', methods: [GET, HEAD], upstream: files}\n"
              "  - {host: any.test, path_prefix: /x, upstream: any}\n";
  proxy px(yaml);
  CHECK(get(px.port(), "GET", "dav.test") == "200 dav");
  CHECK(get(px.port(), "PUT", "DAV.Test:8080", "b") == "200 dav");
  CHECK(get(px.port(), "GET", "a.files.test") == "200 files");
  CHECK(get(px.port(), "GET", "a.b.files.test:443") == "200 files");
  CHECK(get(px.port(), "PUT", "a.files.test", "b").rfind("404 ", 0) == 0);  // method not listed
  CHECK(get(px.port(), "GET", "files.test").rfind("404 ", 0) == 0);        // the wildcard needs a label
  CHECK(get(px.port(), "GET", "any.test") == "200 any");
  CHECK(get(px.port(), "GET", "other.test").rfind("404 ", 0) == 0);
}

TEST_CASE("wire: a route marked default takes the requests that match no route") {
  fake_upstream a(named("a")), fallback(named("fallback"));
  proxy px("listen: [127.0.0.1:0]\nthreads: 1\nlog: {access: off}\nupstreams:\n  a: {servers: [127.0.0.1:" +
           std::to_string(a.port()) + "]}\n  f: {servers: [127.0.0.1:" + std::to_string(fallback.port()) +
           "]}\nroutes:\n  - {upstream: f, host: fallback.test, default: true}\n  - {host: a.test, upstream: a}\n");
  CHECK(get(px.port(), "GET", "a.test") == "200 a");
  CHECK(get(px.port(), "GET", "fallback.test") == "200 fallback");
  CHECK(get(px.port(), "GET", "nobody.test") == "200 fallback");
}

TEST_CASE("wire: three servers share the requests in round robin") {
  fake_upstream s0(named("s0")), s1(named("s1")), s2(named("s2"));
  proxy px(three_servers(s0, s1, s2, ""));
  std::vector<std::string> got;
  for (int i = 0; i < 6; ++i) got.push_back(get(px.port()));
  CHECK(got == std::vector<std::string>{"200 s0", "200 s1", "200 s2", "200 s0", "200 s1", "200 s2"});
}

TEST_CASE("wire: one of three servers killed mid-test: no client sees an error, traffic returns when it is back") {
  auto s0 = std::make_unique<fake_upstream>(named("s0"));
  auto s1 = std::make_unique<fake_upstream>(named("s1"));
  auto s2 = std::make_unique<fake_upstream>(named("s2"));
  auto port1 = s1->port();
  proxy px(three_servers(*s0, *s1, *s2, "    fail_threshold: 2\n    fail_backoff: 300ms\n"));
  std::map<std::string, int> seen;
  for (int i = 0; i < 9; ++i) ++seen[get(px.port())];  // warm: a pooled connection to each
  CHECK(seen == std::map<std::string, int>{{"200 s0", 3}, {"200 s1", 3}, {"200 s2", 3}});

  s1->kill();  // refuses connects now; its pooled connections are closed
  seen.clear();
  for (int i = 0; i < 12; ++i) ++seen[get(px.port())];
  for (const char* m : {"PROPFIND", "OPTIONS", "DELETE"}) ++seen[get(px.port(), m)];
  ++seen[get(px.port(), "PUT", "app.test", "a body")];  // nothing reached the dead server: safe to move too
  ++seen[get(px.port(), "POST", "app.test", "a body")];
  int ok = 0;
  for (const auto& [r, n] : seen) {
    CAPTURE(r);
    CHECK((r == "200 s0" || r == "200 s2"));
    ok += n;
  }
  CHECK(ok == 17);
  auto errors = px.stats().upstream_connect_errors.load();
  CHECK(errors >= 2);                                         // it was tried until it was taken out
  // Every failed connect moved on; and the one pooled connection to s1 (one worker), which
  // a GET takes without probing it, failed on first use and was retried once.
  CHECK(px.stats().upstream_retries.load() == errors + 1);

  s1 = std::make_unique<fake_upstream>(named("s1 again"), upstream_options{port1, "", ""});
  // Back after fail_backoff (300 ms): within a generous bound, a request lands on it again.
  bool back = false;
  int requests = 0;
  auto until = clock::now() + 5000ms;
  while (!back && clock::now() < until) {
    auto r = get(px.port());
    ++requests;
    CHECK(r.rfind("200 s", 0) == 0);
    back = r == "200 s1 again";
  }
  CHECK(back);
  seen.clear();
  for (int i = 0; i < 6; ++i) ++seen[get(px.port())];  // healthy again: a full share
  CHECK(seen == std::map<std::string, int>{{"200 s0", 2}, {"200 s1 again", 2}, {"200 s2", 2}});
}

TEST_CASE("wire: all servers dead gives 502 after each was tried once") {
  auto p0 = unused_port(), p1 = unused_port();
  proxy px("listen: [127.0.0.1:0]\nthreads: 1\nlog: {access: off}\nupstreams:\n  app: {servers: [127.0.0.1:" +
           std::to_string(p0) + ", 127.0.0.1:" + std::to_string(p1) + "]}\nroutes: [{upstream: app}]\n");
  CHECK(get(px.port()).rfind("502 ", 0) == 0);
  CHECK(px.stats().upstream_connect_errors.load() == 2);
  CHECK(px.stats().upstream_retries.load() == 1);
}

TEST_CASE("wire: least_in_flight sends new requests to the server that is not busy") {
  event release;
  std::atomic<int> busy_served{0};
  fake_upstream busy([&](conn& c) {
    for (;;) {
      read_head(c, 10000ms);
      if (busy_served++ == 0) release.wait(5000ms);  // the first request hangs here
      c.send(response(200, "busy"));
    }
  });
  fake_upstream idle(named("idle"));
  auto yaml = "listen: [127.0.0.1:0]\nthreads: 1\nlog: {access: off}\nupstreams:\n  app:\n    servers: [127.0.0.1:" +
              std::to_string(busy.port()) + ", 127.0.0.1:" + std::to_string(idle.port()) +
              "]\n    balance: least_in_flight\nroutes: [{upstream: app}]\n";
  proxy px(yaml);
  auto slow = px.connect();
  slow.send("GET /slow HTTP/1.1\r\nHost: app.test\r\n\r\n");
  REQUIRE(eventually([&] { return busy_served.load() == 1; }));
  // Round robin would alternate; least in flight keeps away from the busy server.
  CHECK(get(px.port()) == "200 idle");
  CHECK(get(px.port()) == "200 idle");
  CHECK(get(px.port()) == "200 idle");
  release.set();
  auto h = read_head(slow);
  CHECK(read_body(slow, h) == "busy");
}
