// Unit tests for holdon::parse_config / load_config and the value parsers behind them: the
// documents that parse (more in config_routes_test.cpp), and the duration and endpoint
// parsers. The refused documents are in config_errors_test.cpp.
#include <doctest/doctest.h>

#include <string>
#include <string_view>
#include <vector>

#include "config_test_support.hpp"
#include "holdon/config.hpp"

using namespace holdon;
using namespace config_test;
using namespace std::chrono_literals;

namespace {

std::string example_path() {
#ifdef HOLDON_SOURCE_DIR
  return std::string(HOLDON_SOURCE_DIR) + "/conf/holdon.yaml";
#else
  // CMake compiles this file by absolute path: tests/unit/config_test.cpp -> conf/holdon.yaml.
  std::string here = __FILE__;
  auto cut = here.rfind("tests/unit/");
  REQUIRE_MESSAGE(cut != std::string::npos, "cannot locate the source tree from " << here);
  return here.substr(0, cut) + "conf/holdon.yaml";
#endif
}

// The interim section's schedule: mode, first_after, every and max, each checked.
void check_schedule(const interim_config& i, interim_mode mode, duration first_after, duration every, unsigned max) {
  CHECK(i.mode == mode);
  CHECK(i.first_after == first_after);
  CHECK(i.every == every);
  CHECK(i.max == max);
}

// The timeouts section, key by key.
void check_timeouts(const timeouts_config& t, duration connect, duration client_header, duration idle,
                    duration upstream_response) {
  CHECK(t.connect == connect);
  CHECK(t.client_header == client_header);
  CHECK(t.idle == idle);
  CHECK(t.upstream_response == upstream_response);
}

}  // namespace

// ---------------------------------------------------------------- documents that parse

TEST_CASE("config: the example conf/holdon.yaml parses with the values it documents") {
  config c = load_config(example_path());
  REQUIRE(c.listen.size() == 1);
  CHECK(c.listen[0].host == "127.0.0.1");
  CHECK(c.listen[0].port == 8080);
  CHECK(c.threads == 0);
  REQUIRE(c.upstreams.size() == 1);
  CHECK(c.upstreams[0].name == "app");
  REQUIRE(c.upstreams[0].servers.size() == 1);
  CHECK(c.upstreams[0].servers[0].text() == "127.0.0.1:8081");
  REQUIRE(c.routes.size() == 1);
  CHECK(c.routes[0].path_prefix == "/");
  CHECK(c.routes[0].upstream == "app");
  check_schedule(c.interim, interim_mode::auto_, 1s, 1s, 30);  // every 1s: the example's demo value, not the 10s default
  CHECK(c.routes[0].interim.every == 1s);
  check_timeouts(c.timeouts, 5s, 30s, 60s, 300s);
  CHECK(c.limits.max_header_bytes == 16384);
  CHECK(c.log_level == "info");
  CHECK(c.access_log == access_log_format::text);
}

TEST_CASE("config: a document spelling out the default values parses to them") {
  config c = parse_config(minimal + yaml({
      "interim: {mode: auto, first_after: 1s, every: 10s, max: 30}",
      "timeouts: {connect: 5s, client_header: 30s, idle: 60s, upstream_response: 300s}",
      "limits: {max_header_bytes: 16384}",
  }));
  REQUIRE(c.listen.size() == 1);
  CHECK(c.listen[0].text() == "127.0.0.1:8080");
  REQUIRE(c.upstreams.size() == 1);
  CHECK(c.upstreams[0].name == "dav");
  REQUIRE(c.upstreams[0].servers.size() == 1);
  CHECK(c.upstreams[0].servers[0].host == "127.0.0.1");
  CHECK(c.upstreams[0].servers[0].port == 8081);
  REQUIRE(c.routes.size() == 1);
  CHECK(c.routes[0].path_prefix == "/");
  CHECK(c.routes[0].upstream == "dav");
  CHECK(c.routes[0].upstream_index == 0);
  check_schedule(c.interim, interim_mode::auto_, 1s, 10s, 30);
  check_timeouts(c.timeouts, 5s, 30s, 60s, 300s);
  CHECK(c.limits.max_header_bytes == 16384);
}

TEST_CASE("config: omitted keys take the documented defaults") {
  config c = parse_config(minimal);
  CHECK(c.threads == 0);
  check_schedule(c.interim, interim_mode::auto_, 1s, 10s, 30);
  CHECK(c.interim.max_gap == 50s);
  CHECK(has(c.interim.allow_user_agents, "curl/"));
  CHECK_FALSE(has(c.interim.allow_user_agents, "Microsoft-WebDAV-MiniRedir"));  // no proof either way
  CHECK(has(c.interim.deny_user_agents, "mirall"));
  CHECK(has(c.interim.deny_user_agents, "Python-urllib"));
  CHECK(c.fronts.empty());
  CHECK(has(c.interim.deny_user_agents, "okhttp/4."));
  CHECK_FALSE(c.interim.user_agent_caps.empty());
  check_timeouts(c.timeouts, 5s, 30s, 60s, 300s);
  CHECK(c.limits.max_header_bytes == 16384);
  CHECK(c.access_log == access_log_format::text);
  CHECK(c.log_level == "info");
  CHECK(c.via == "holdon");
}

TEST_CASE("config: non-default values for every global section are read") {
  config c = parse_config(minimal + yaml({
      "threads: 4",
      "via: edge-7",
      "interim: {mode: never, first_after: 250ms, every: 2m, max: 7}",
      "timeouts: {connect: 2s, client_header: 3s, idle: 4s, upstream_response: 1h}",
      "limits: {max_header_bytes: 2048}",
      "log: {level: debug, access: json}",
  }));
  CHECK(c.threads == 4);
  CHECK(c.via == "edge-7");
  check_schedule(c.interim, interim_mode::never, 250ms, 2min, 7);
  check_timeouts(c.timeouts, 2s, 3s, 4s, 1h);
  CHECK(c.limits.max_header_bytes == 2048);
  CHECK(c.log_level == "debug");
  CHECK(c.access_log == access_log_format::json);
}

TEST_CASE("config: interim mode names parse and print back") {
  for (auto name : {"auto", "always", "never"}) {
    CAPTURE(name);
    config c = parse_config(minimal + "interim: {mode: " + name + "}\n");
    CHECK(to_string(c.interim.mode) == name);
  }
}

TEST_CASE("config: several listen addresses, upstreams and routes keep their order") {
  config c = parse_config(yaml({
      "listen:",
      "  - 127.0.0.1:8080",
      "  - \"[::1]:8080\"",
      "upstreams:",
      "  files: {servers: [10.0.0.1:80, 10.0.0.2:80]}",
      "  dav: {servers: [dav.internal:8081]}",
      "routes:",
      "  - {path_prefix: /dav, upstream: dav}",
      "  - {path_prefix: /, upstream: files}",
  }));
  REQUIRE(c.listen.size() == 2);
  CHECK(c.listen[0].text() == "127.0.0.1:8080");
  CHECK(c.listen[1].host == "::1");
  CHECK(c.listen[1].text() == "[::1]:8080");
  REQUIRE(c.upstreams.size() == 2);
  CHECK(c.upstreams[0].name == "files");
  REQUIRE(c.upstreams[0].servers.size() == 2);
  CHECK(c.upstreams[0].servers[1].text() == "10.0.0.2:80");
  CHECK(c.upstreams[1].name == "dav");
  CHECK(c.upstreams[1].servers[0].host == "dav.internal");
  REQUIRE(c.routes.size() == 2);
  CHECK(c.routes[0].path_prefix == "/dav");
  CHECK(c.routes[0].upstream_index == 1);
  CHECK(c.upstreams[c.routes[0].upstream_index].name == "dav");
  CHECK(c.routes[1].upstream_index == 0);
}

TEST_CASE("config: listen port 0 is allowed (pick a free port)") {
  config c = parse_config(yaml({
      "listen: [127.0.0.1:0]",
      "upstreams: {dav: {servers: [127.0.0.1:8081]}}",
      "routes: [{upstream: dav}]",
  }));
  CHECK(c.listen[0].port == 0);
  CHECK(c.routes[0].path_prefix == "/");  // path_prefix defaults to /
}

// ---------------------------------------------------------------- route overrides

TEST_CASE("config: a route's interim override changes only the keys it names") {
  config c = parse_config(yaml({
      "listen: [127.0.0.1:8080]",
      "upstreams: {dav: {servers: [127.0.0.1:8081]}}",
      "routes:",
      "  - {path_prefix: /slow, upstream: dav, interim: {every: 5s}}",
      "  - {path_prefix: /, upstream: dav}",
      "interim: {mode: always, first_after: 2s, every: 20s, max: 12}",  // after routes on purpose
  }));
  REQUIRE(c.routes.size() == 2);
  check_schedule(c.routes[0].interim, interim_mode::always, 2s, 5s, 12);  // /slow: every from its override
  CHECK(c.interim.every == 20s);  // the global section itself is not touched
  check_schedule(c.routes[1].interim, interim_mode::always, 2s, 20s, 12);
}

TEST_CASE("config: routes without overrides inherit the global interim lists") {
  config c = parse_config(minimal + yaml({
      "interim:",
      "  allow_user_agents: [MyDav]",
      "  deny_user_agents: [BadClient]",
  }));
  const auto& r = c.routes[0].interim;
  CHECK(r.allow_user_agents == std::vector<std::string>{"MyDav"});
  CHECK(r.deny_user_agents == std::vector<std::string>{"BadClient"});
}

TEST_CASE("config: a route's timeouts override the named keys and inherit the rest") {
  config c = parse_config(yaml({
      "listen: [127.0.0.1:8080]",
      "upstreams: {dav: {servers: [127.0.0.1:8081]}}",
      "timeouts: {connect: 3s, upstream_response: 90s}",
      "routes:",
      "  - {path_prefix: /big, upstream: dav, timeouts: {upstream_response: 600s}}",
      "  - {path_prefix: /, upstream: dav}",
  }));
  CHECK(c.routes[0].timeouts.upstream_response == 600s);
  CHECK(c.routes[0].timeouts.connect == 3s);  // global
  CHECK(c.routes[0].timeouts.idle == 60s);    // default
  CHECK(c.routes[1].timeouts.upstream_response == 90s);
  CHECK(c.routes[1].timeouts.connect == 3s);
  CHECK(c.timeouts.upstream_response == 90s);
}

// A route's timeouts may not set client_header (config_errors_test.cpp): the head is read
// before any route can be chosen. The global timeouts may.
TEST_CASE("config: the global timeouts may set client_header") {
  CHECK(error_of(minimal + "timeouts: {client_header: 5s}\n") == "<parsed without error>");
}

// ---------------------------------------------------------------- interim lists and caps

TEST_CASE("config: user_agent_caps parse and replace the default caps") {
  config c = parse_config(minimal + yaml({
      "interim:",
      "  user_agent_caps:",
      "    - {match: Go-http-client/, max: 3}",
      "    - {match: SlowClient, max: 0, before: '2.10'}",
  }));
  REQUIRE(c.interim.user_agent_caps.size() == 2);
  CHECK(c.interim.user_agent_caps[0].before.empty());
  CHECK(c.interim.user_agent_caps[1].before == "2.10");
  CHECK(c.interim.user_agent_caps[0].match == "Go-http-client/");
  CHECK(c.interim.user_agent_caps[0].max == 3);
  CHECK(c.interim.user_agent_caps[1].match == "SlowClient");
  CHECK(c.interim.user_agent_caps[1].max == 0);
}

TEST_CASE("config: configured allow and deny lists replace the defaults") {
  config c = parse_config(minimal + yaml({
      "interim:",
      "  allow_user_agents: [MyDav/, OtherDav]",
      "  deny_user_agents: []",
  }));
  CHECK(c.interim.allow_user_agents == std::vector<std::string>{"MyDav/", "OtherDav"});
  CHECK(c.interim.deny_user_agents.empty());
}

TEST_CASE("config: add_allow_user_agents and add_deny_user_agents extend the lists in force, per route too") {
  config c = parse_config(yaml({
      "listen: [127.0.0.1:8080]",
      "upstreams: {dav: {servers: [127.0.0.1:8081]}}",
      "interim: {add_allow_user_agents: [MyDav/], add_deny_user_agents: [Fragile/]}",
      "routes:",
      "  - {path_prefix: /a, upstream: dav, interim: {add_allow_user_agents: [RouteDav/]}}",
      "  - {path_prefix: /b, upstream: dav, interim: {allow_user_agents: [Only/], add_allow_user_agents: [Too/]}}",
  }), "t.yaml");
  interim_config defaults;
  auto& g = c.interim.allow_user_agents;
  CHECK(g.size() == defaults.allow_user_agents.size() + 1);
  CHECK(g.back() == "MyDav/");
  CHECK(c.interim.deny_user_agents.back() == "Fragile/");
  auto& a = c.routes[0].interim.allow_user_agents;
  CHECK(a.size() == defaults.allow_user_agents.size() + 2);
  CHECK(a[a.size() - 2] == "MyDav/");
  CHECK(a.back() == "RouteDav/");
  CHECK(c.routes[1].interim.allow_user_agents == std::vector<std::string>{"Only/", "Too/"});
  CHECK(c.routes[0].interim.deny_user_agents.back() == "Fragile/");
}

// ---------------------------------------------------------------- durations

TEST_CASE("config: durations accept whole numbers of ms, s, m and h") {
  CHECK(parse_duration("150ms") == duration(150));
  CHECK(parse_duration("0ms") == duration(0));
  CHECK(parse_duration("2s") == duration(2000));
  CHECK(parse_duration("5m") == duration(300000));
  CHECK(parse_duration("2h") == duration(7200000));  // README: ms, s, m or h
}

TEST_CASE("config: durations without a unit, with a bad unit, negative, fractional or empty are rejected") {
  for (auto bad : {"10", "1x", "-1s", "1.5s", "", "s", "ms", "1 s", " 1s", "1s ", "1sec",
                   "99999999999999999999s", "10000000000h"}) {
    CAPTURE(bad);
    CHECK_FALSE(parse_duration(bad).has_value());
  }
}

// ---------------------------------------------------------------- endpoints

TEST_CASE("config: endpoints parse IPv4, bracketed IPv6 and host names") {
  auto v4 = parse_endpoint("127.0.0.1:8080");
  REQUIRE(v4);
  CHECK(v4->host == "127.0.0.1");
  CHECK(v4->port == 8080);
  CHECK(v4->text() == "127.0.0.1:8080");

  auto v6 = parse_endpoint("[::1]:80");
  REQUIRE(v6);
  CHECK(v6->host == "::1");
  CHECK(v6->port == 80);
  CHECK(v6->text() == "[::1]:80");

  auto name = parse_endpoint("backend.example:65535");
  REQUIRE(name);
  CHECK(name->host == "backend.example");
  CHECK(name->port == 65535);
}

TEST_CASE("config: endpoints with a bad or missing port, or bare IPv6, are rejected") {
  for (auto bad : {"127.0.0.1:65536", "127.0.0.1:http", "127.0.0.1:80x", "127.0.0.1:-1",
                   "127.0.0.1:", "127.0.0.1", ":80", "", "::1", "::1:80", "fe80::1:443",
                   "[::1]", "[::1]:", "[::1]80", "[::1:80", "[1.2.3.4]:80"}) {
    CAPTURE(bad);
    CHECK_FALSE(parse_endpoint(bad).has_value());
  }
}
