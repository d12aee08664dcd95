// Wire tests of the admin listener (/healthz, /readyz, /metrics): in-process server + admin,
// raw sockets.
#include <doctest/doctest.h>

#include "holdon/admin.hpp"
#include "holdon/config.hpp"
#include "holdon/log.hpp"
#include "wire/wire_harness.hpp"

using namespace wire;

namespace {
struct rig {
  explicit rig(std::uint16_t upstream_port) {
    auto yaml = "listen: [127.0.0.1:0]\nthreads: 1\nupstreams: {app: {servers: [127.0.0.1:" +
                std::to_string(upstream_port) +
                "]}}\nroutes: [{path_prefix: /, upstream: app}]\nadmin: {listen: 127.0.0.1:0}\n"
                "log: {access: off}\ninterim: {first_after: 50ms, every: 50ms}\n";
    cfg = std::make_shared<const holdon::config>(holdon::parse_config(yaml, "admin-wire"));
    holdon::set_log_level(holdon::log_level::warn);
    srv = std::make_unique<holdon::server>(cfg);
    adm = std::make_unique<holdon::admin>(cfg, srv->stats());
    srv->start();
    adm->start();
  }
  ~rig() {
    adm->set_draining();
    srv->stop();
    srv->wait();
    adm->stop();
    adm->wait();
  }
  std::uint16_t port() const { return srv->endpoints().front().port(); }
  std::uint16_t admin_port() const { return adm->endpoint().port(); }
  std::shared_ptr<const holdon::config> cfg;
  std::unique_ptr<holdon::server> srv;
  std::unique_ptr<holdon::admin> adm;
};

struct answer {
  head h;
  std::string body;
};

answer ask(std::uint16_t port, std::string_view method, std::string_view path) {
  auto c = connect_to(port);
  c.send(std::string(method) + " " + std::string(path) + " HTTP/1.1\r\nHost: admin\r\n\r\n");
  answer a;
  a.h = read_head(c);
  if (method != "HEAD") a.body = read_body(c, a.h);
  CHECK(c.closed_within(2000ms));  // Connection: close
  return a;
}
}  // namespace

TEST_CASE("admin wire: /healthz, /readyz and /metrics, then /readyz 503 once draining") {
  fake_upstream up([](conn& c) {
    for (;;) {
      try {
        auto h = read_head(c);
        c.send(response(207, "<multistatus/>", "Content-Type: application/xml\r\n"));
      } catch (const std::exception&) {
        return;  // the probe's connection (no request) or the end of the test
      }
    }
  });
  rig r(up.port());

  auto a = ask(r.admin_port(), "GET", "/healthz");
  CHECK(a.h.status == 200);
  CHECK(a.body == "ok\n");
  a = ask(r.admin_port(), "GET", "/readyz");
  CHECK(a.h.status == 200);
  CHECK(a.body == "ready\n");
  a = ask(r.admin_port(), "HEAD", "/readyz");
  CHECK(a.h.status == 200);
  a = ask(r.admin_port(), "POST", "/metrics");
  CHECK(a.h.status == 405);

  auto c = connect_to(r.port());
  c.send("PROPFIND /x HTTP/1.1\r\nHost: t\r\nUser-Agent: cadaver/0.24 neon/0.32.5\r\nDepth: 0\r\n\r\n");
  auto h = read_head(c);
  CHECK(h.status == 207);
  read_body(c, h);
  REQUIRE(eventually([&] { return r.srv->stats().exchanges_in_flight.load() == 0; }));

  a = ask(r.admin_port(), "GET", "/metrics");
  CHECK(a.h.status == 200);
  CHECK(a.h.header("Content-Type").rfind("text/plain; version=0.0.4", 0) == 0);
  CHECK(a.body.find("holdon_requests_total{route=\"/\",code=\"2xx\"} 1\n") != std::string::npos);
  CHECK(a.body.find("holdon_time_to_final_response_seconds_count 1\n") != std::string::npos);
  CHECK(a.body.find("holdon_upstream_pooled_connections 1\n") != std::string::npos);
  CHECK(a.body.find("holdon_ready 1\n") != std::string::npos);

  r.adm->set_draining();
  a = ask(r.admin_port(), "GET", "/readyz");
  CHECK(a.h.status == 503);
  CHECK(a.body == "draining\n");
  a = ask(r.admin_port(), "GET", "/healthz");
  CHECK(a.h.status == 200);  // alive while draining: liveness must not restart a draining pod
}

TEST_CASE("admin wire: /readyz is 503 when no upstream server accepts connections") {
  rig r(unused_port());
  auto a = ask(r.admin_port(), "GET", "/readyz");
  CHECK(a.h.status == 503);
  CHECK(a.body == "no upstream reachable\n");
  a = ask(r.admin_port(), "GET", "/nope");
  CHECK(a.h.status == 404);
}
