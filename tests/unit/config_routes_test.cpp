// Unit tests for holdon::parse_config: routes by host and method, upstreams, listeners and
// TLS, prefix mounts, the admin listener and the hardening limits, as accepted. The refused
// documents are in config_errors_test.cpp.
#include <doctest/doctest.h>

#include <string>
#include <vector>

#include "config_test_support.hpp"
#include "holdon/config.hpp"

using namespace holdon;
using namespace config_test;
using namespace std::chrono_literals;

TEST_CASE("config: routes take host (one or a list), methods and default") {
  auto c = parse_config(yaml({"listen: [127.0.0.1:8080]", ups7,
                              "routes:",
                              "  - {host: dav.example.com, upstream: app}",
                              "  - {host: ['*.example.com', 'x.test:8443'], methods: [GET, HEAD], path_prefix: /r, upstream: app}",
                              "  - {upstream: app, default: true}"}));
  REQUIRE(c.routes.size() == 3);
  CHECK(c.routes[0].hosts == std::vector<std::string>{"dav.example.com"});
  CHECK(c.routes[0].methods.empty());
  CHECK_FALSE(c.routes[0].is_default);
  CHECK(c.routes[1].hosts == std::vector<std::string>{"*.example.com", "x.test:8443"});
  CHECK(c.routes[1].methods == std::vector<std::string>{"GET", "HEAD"});
  CHECK(c.routes[2].is_default);
  CHECK(c.routes[2].hosts.empty());
}

TEST_CASE("config: upstream balance, fail_threshold and fail_backoff, with defaults") {
  auto c = parse_config(yaml({"listen: [127.0.0.1:8080]", "upstreams:",
                              "  a: {servers: [127.0.0.1:1, 127.0.0.1:2, 127.0.0.1:3]}",
                              "  b: {servers: [127.0.0.1:4], balance: least_in_flight, fail_threshold: 5, fail_backoff: 250ms}",
                              "routes: [{upstream: a}]"}));
  REQUIRE(c.upstreams.size() == 2);
  CHECK(c.upstreams[0].servers.size() == 3);
  CHECK(c.upstreams[0].balance == balance_mode::round_robin);
  CHECK(c.upstreams[0].fail_threshold == 3);
  CHECK(c.upstreams[0].fail_backoff == 10s);
  CHECK_FALSE(c.upstreams[0].tls.enabled);
  CHECK(c.upstreams[1].balance == balance_mode::least_in_flight);
  CHECK(c.upstreams[1].fail_threshold == 5);
  CHECK(c.upstreams[1].fail_backoff == 250ms);
}

TEST_CASE("config: upstream tls with ca_file, server_name and insecure_skip_verify") {
  auto c = parse_config(yaml({"listen: [127.0.0.1:8080]", "upstreams:",
                              "  a: {servers: [127.0.0.1:1], tls: {ca_file: /etc/ca.pem, server_name: app.internal}}",
                              "  b: {servers: [127.0.0.1:2], tls: {insecure_skip_verify: true}}",
                              "  c:",
                              "    servers: [127.0.0.1:3]",
                              "    tls:",
                              "routes: [{upstream: a}]"}));
  CHECK(c.upstreams[0].tls.enabled);
  CHECK(c.upstreams[0].tls.ca_file == "/etc/ca.pem");
  CHECK(c.upstreams[0].tls.server_name == "app.internal");
  CHECK_FALSE(c.upstreams[0].tls.insecure_skip_verify);
  CHECK(c.upstreams[0].tls.origin == "<config>:3: upstreams.a.tls");
  CHECK(c.upstreams[1].tls.insecure_skip_verify);
  CHECK(c.upstreams[2].tls.enabled);  // `tls:` alone: verify against the system store
  CHECK(c.upstreams[2].tls.ca_file.empty());
}

TEST_CASE("config: listen mixes plain addresses and TLS listeners with several certificates") {
  auto c = parse_config(yaml({"listen:", "  - 127.0.0.1:8080", "  - address: 127.0.0.1:8443", "    tls:",
                              "      certificates:", "        - {cert: a.pem, key: a.key}", "        - {cert: b.pem, key: b.key}",
                              ups7, routes7}),
                        "t.yaml");
  REQUIRE(c.listen.size() == 2);
  REQUIRE(c.listen_tls.size() == 2);
  CHECK(c.listen[0].port == 8080);
  CHECK_FALSE(c.listen_tls[0].enabled());
  CHECK(c.listen[1].port == 8443);
  REQUIRE(c.listen_tls[1].certificates.size() == 2);
  CHECK(c.listen_tls[1].certificates[1].cert == "b.pem");
  CHECK(c.listen_tls[1].certificates[1].key == "b.key");
  CHECK(c.listen_tls[1].certificates[1].origin == "t.yaml:7: listen[1].tls.certificates[1]");
}

TEST_CASE("config: a route can mount an upstream prefix under a public one") {
  auto c = parse_config(yaml({
      "listen: [127.0.0.1:8080]",
      "upstreams: {dav: {servers: [127.0.0.1:8081]}}",
      "routes:",
      "  - {path_prefix: /dav/, upstream: dav, upstream_prefix: /,",
      "     public_origin: 'https://files.example.com'}",
      "  - {path_prefix: /, upstream: dav}",
  }));
  REQUIRE(c.routes.size() == 2);
  CHECK(c.routes[0].upstream_prefix == "/");
  CHECK(c.routes[0].public_origin == "https://files.example.com");
  CHECK(c.routes[1].upstream_prefix.empty());  // default: no mapping
  CHECK(c.routes[1].public_origin.empty());
}

TEST_CASE("config: admin.listen is optional, parsed as an IP address, and checked") {
  CHECK_FALSE(parse_config(minimal, "t.yaml").admin.listen.has_value());
  auto c = parse_config(minimal + yaml({"admin: {listen: 127.0.0.1:9901}"}), "t.yaml");
  REQUIRE(c.admin.listen.has_value());
  CHECK(c.admin.listen->text() == "127.0.0.1:9901");
}

TEST_CASE("config: hardening limits and drain_timeout") {
  const std::string& base = hardening_base;
  auto d = holdon::parse_config(base, "t");
  CHECK(d.limits.max_body_bytes == 0);
  CHECK(d.limits.max_connections == 0);
  CHECK(d.limits.max_requests_per_connection == 0);
  CHECK(d.limits.max_request_line_bytes == 8192);
  CHECK(d.drain_timeout == holdon::duration(30000));
  auto c = holdon::parse_config(base +
                                    "limits: {max_body_bytes: 1048576, max_connections: 100, "
                                    "max_requests_per_connection: 50, max_request_line_bytes: 2048}\n"
                                    "drain_timeout: 5s\n",
                                "t");
  CHECK(c.limits.max_body_bytes == 1048576);
  CHECK(c.limits.max_connections == 100);
  CHECK(c.limits.max_requests_per_connection == 50);
  CHECK(c.limits.max_request_line_bytes == 2048);
  CHECK(c.drain_timeout == holdon::duration(5000));
}
