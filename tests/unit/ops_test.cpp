// Unit tests for the operations units: environment overrides, the healthcheck URL parser,
// the access log timestamp and the Prometheus exposition of the metrics.
#include <doctest/doctest.h>

#include <map>
#include <string>

#include "holdon/config.hpp"
#include "holdon/env_overrides.hpp"
#include "holdon/healthcheck.hpp"
#include "holdon/log.hpp"
#include "holdon/metrics.hpp"

using namespace holdon;
using namespace std::chrono_literals;

namespace {
const std::string two_upstreams =
    "listen: [127.0.0.1:8080]\n"
    "upstreams:\n  app: {servers: [127.0.0.1:8081]}\n  dav: {servers: [127.0.0.1:8082]}\n"
    "routes: [{path_prefix: /dav, upstream: dav}, {path_prefix: /, upstream: app}]\n";
const std::string one_upstream =
    "listen: [127.0.0.1:8080]\nupstreams: {app: {servers: [127.0.0.1:8081]}}\n"
    "routes: [{path_prefix: /, upstream: app}]\n";

env_lookup env(std::map<std::string, std::string> vars) {
  return [vars](std::string_view n) -> std::optional<std::string> {
    auto it = vars.find(std::string(n));
    if (it == vars.end()) return std::nullopt;
    return it->second;
  };
}

std::string env_error(const std::string& yaml, std::map<std::string, std::string> vars) {
  auto c = parse_config(yaml, "t.yaml");
  try {
    apply_env_overrides(c, env(std::move(vars)));
  } catch (const config_error& e) {
    return e.what();
  }
  return "<no error>";
}

bool contains(std::string_view h, std::string_view n) { return h.find(n) != std::string_view::npos; }
}  // namespace

TEST_CASE("env: no variables change nothing") {
  auto c = parse_config(one_upstream, "t.yaml");
  auto applied = apply_env_overrides(c, env({{"HOLDON_LISTEN", ""}}));
  CHECK(applied.empty());
  REQUIRE(c.listen.size() == 1);
  CHECK(c.listen[0].text() == "127.0.0.1:8080");
  CHECK(c.access_log == access_log_format::text);
  CHECK_FALSE(c.admin.listen.has_value());
}

TEST_CASE("env: listen, upstream, admin, log format, level and threads are overridden") {
  auto c = parse_config(one_upstream, "t.yaml");
  auto applied = apply_env_overrides(c, env({{"HOLDON_LISTEN", "0.0.0.0:8080, [::]:8080"},
                                             {"HOLDON_UPSTREAM", "backend:9000,10.0.0.2:9000"},
                                             {"HOLDON_ADMIN_LISTEN", "0.0.0.0:9901"},
                                             {"HOLDON_LOG_FORMAT", "json"},
                                             {"HOLDON_LOG_LEVEL", "debug"},
                                             {"HOLDON_THREADS", "2"}}));
  CHECK(applied.size() == 6);
  REQUIRE(c.listen.size() == 2);
  CHECK(c.listen[0].text() == "0.0.0.0:8080");
  CHECK(c.listen[1].text() == "[::]:8080");
  REQUIRE(c.upstreams[0].servers.size() == 2);
  CHECK(c.upstreams[0].servers[0].text() == "backend:9000");
  CHECK(c.upstreams[0].servers[1].text() == "10.0.0.2:9000");
  REQUIRE(c.admin.listen.has_value());
  CHECK(c.admin.listen->text() == "0.0.0.0:9901");
  CHECK(c.access_log == access_log_format::json);
  CHECK(c.log_level == "debug");
  CHECK(c.threads == 2);
  apply_env_overrides(c, env({{"HOLDON_ADMIN_LISTEN", "off"}, {"HOLDON_LOG_FORMAT", "off"}}));
  CHECK_FALSE(c.admin.listen.has_value());
  CHECK(c.access_log == access_log_format::off);
}

TEST_CASE("env: HOLDON_UPSTREAM with several upstreams needs NAME=, and the name must exist") {
  auto c = parse_config(two_upstreams, "t.yaml");
  apply_env_overrides(c, env({{"HOLDON_UPSTREAM", "dav=127.0.0.1:9999"}}));
  CHECK(c.upstreams[0].servers[0].text() == "127.0.0.1:8081");  // app untouched
  CHECK(c.upstreams[1].servers[0].text() == "127.0.0.1:9999");
  CHECK(c.routes[0].upstream_index == 1);
  CHECK(contains(env_error(two_upstreams, {{"HOLDON_UPSTREAM", "127.0.0.1:1"}}), "use NAME=HOST:PORT"));
  CHECK(contains(env_error(two_upstreams, {{"HOLDON_UPSTREAM", "web=127.0.0.1:1"}}), "no upstream named 'web'"));
}

TEST_CASE("env: bad values are errors that name the variable") {
  CHECK(contains(env_error(one_upstream, {{"HOLDON_LISTEN", "localhost:80"}}),
                 "environment HOLDON_LISTEN: bad address 'localhost:80'"));
  CHECK(contains(env_error(one_upstream, {{"HOLDON_LISTEN", " , "}}), "HOLDON_LISTEN: must list"));
  CHECK(contains(env_error(one_upstream, {{"HOLDON_UPSTREAM", "app:0"}}), "HOLDON_UPSTREAM: bad address 'app:0'"));
  CHECK(contains(env_error(one_upstream, {{"HOLDON_LOG_FORMAT", "xml"}}), "HOLDON_LOG_FORMAT: must be json, text or off"));
  CHECK(contains(env_error(one_upstream, {{"HOLDON_LOG_LEVEL", "trace"}}), "HOLDON_LOG_LEVEL"));
  CHECK(contains(env_error(one_upstream, {{"HOLDON_THREADS", "-1"}}), "HOLDON_THREADS"));
  CHECK(contains(env_error(one_upstream, {{"HOLDON_ADMIN_LISTEN", "9901"}}), "HOLDON_ADMIN_LISTEN: bad address"));
}

TEST_CASE("healthcheck: URLs are parsed and wildcard admin addresses are probed on loopback") {
  auto u = parse_http_url("http://127.0.0.1:9901/healthz");
  REQUIRE(u);
  CHECK(u->host == "127.0.0.1");
  CHECK(u->port == 9901);
  CHECK(u->path == "/healthz");
  u = parse_http_url("http://[::1]:9901");
  REQUIRE(u);
  CHECK(u->host == "::1");
  CHECK(u->path == "/");
  u = parse_http_url("http://localhost/readyz?x=1");
  REQUIRE(u);
  CHECK(u->port == 80);
  CHECK(u->path == "/readyz?x=1");
  CHECK_FALSE(parse_http_url("https://127.0.0.1/"));
  CHECK_FALSE(parse_http_url("http://:80/"));
  CHECK_FALSE(parse_http_url("http://h:0/"));
  CHECK_FALSE(parse_http_url("http://h:99999/"));
  CHECK_FALSE(parse_http_url("http://::1:80/"));
  CHECK(admin_url({"0.0.0.0", 9901}, "/healthz").host == "127.0.0.1");
  CHECK(admin_url({"::", 9901}, "/healthz").host == "::1");
  CHECK(admin_url({"10.1.2.3", 9901}, "/readyz").host == "10.1.2.3");
}

TEST_CASE("log: access log time is RFC 3339 UTC with milliseconds") {
  std::chrono::system_clock::time_point t{std::chrono::milliseconds(1764052843123)};
  CHECK(utc_timestamp(t) == "2025-11-25T06:40:43.123Z");
  CHECK(utc_timestamp(std::chrono::system_clock::time_point{}) == "1970-01-01T00:00:00.000Z");
}

TEST_CASE("metrics: status classes per route, histogram buckets and the exposition format") {
  metrics m;
  m.set_routes(2);
  m.count_response(0, 207);
  m.count_response(0, 207);
  m.count_response(1, 504);
  m.count_response(1, 499);
  m.count_response(7, 200);  // no such route: ignored, not a crash
  m.observe_final(3ms);      // <= 0.005
  m.observe_final(2s);       // <= 2.5
  m.observe_final(1000s);    // +Inf only
  m.keepalive_sent = 5;
  auto text = render_prometheus(m, {"/dav", "/"}, true);
  CHECK(contains(text, "# TYPE holdon_requests_total counter\n"));
  CHECK(contains(text, "holdon_requests_total{route=\"/dav\",code=\"2xx\"} 2\n"));
  CHECK(contains(text, "holdon_requests_total{route=\"/dav\",code=\"5xx\"} 0\n"));
  CHECK(contains(text, "holdon_requests_total{route=\"/\",code=\"5xx\"} 1\n"));
  CHECK(contains(text, "holdon_requests_total{route=\"/\",code=\"4xx\"} 1\n"));
  CHECK_FALSE(contains(text, "code=\"1xx\""));
  CHECK(contains(text, "holdon_keepalive_102_sent_total 5\n"));
  CHECK(contains(text, "holdon_time_to_final_response_seconds_bucket{le=\"0.005\"} 1\n"));
  CHECK(contains(text, "holdon_time_to_final_response_seconds_bucket{le=\"1\"} 1\n"));
  CHECK(contains(text, "holdon_time_to_final_response_seconds_bucket{le=\"2.5\"} 2\n"));
  CHECK(contains(text, "holdon_time_to_final_response_seconds_bucket{le=\"300\"} 2\n"));
  CHECK(contains(text, "holdon_time_to_final_response_seconds_bucket{le=\"+Inf\"} 3\n"));
  CHECK(contains(text, "holdon_time_to_final_response_seconds_count 3\n"));
  CHECK(contains(text, "holdon_time_to_final_response_seconds_sum 1002.003000\n"));
  CHECK(contains(text, "holdon_ready 1\n"));
  CHECK(contains(render_prometheus(m, {"/dav", "/"}, false), "holdon_ready 0\n"));
  // Every non-comment line is "name{labels} value" or "name value".
  std::size_t pos = 0;
  while (pos < text.size()) {
    auto end = text.find('\n', pos);
    REQUIRE(end != std::string::npos);
    auto line = text.substr(pos, end - pos);
    if (line[0] != '#') CHECK(line.rfind("holdon_", 0) == 0);
    pos = end + 1;
  }
}

TEST_CASE("metrics: route labels are escaped") {
  metrics m;
  m.set_routes(1);
  auto text = render_prometheus(m, {"/a\"b\\c"}, false);
  CHECK(contains(text, "route=\"/a\\\"b\\\\c\""));
}
