// Unit tests for holdon::parse_config / load_config and the value parsers behind them.
// Error messages must have the shape "SOURCE:LINE: key.path: what is wrong" (LINE 1-based).
#include <doctest/doctest.h>

#include <algorithm>
#include <initializer_list>
#include <string>
#include <string_view>

#include "holdon/config.hpp"

using namespace holdon;
using namespace std::chrono_literals;

namespace {

// Joins lines with "\n", so a document's line N is element N-1 of the list.
std::string yaml(std::initializer_list<std::string_view> lines) {
  std::string s;
  for (auto l : lines) {
    s += l;
    s += '\n';
  }
  return s;
}

// The config_error message for a document that must be rejected. Any other exception
// type escapes and fails the test: every config problem must surface as config_error.
std::string error_of(const std::string& text) {
  try {
    parse_config(text, "t.yaml");
  } catch (const config_error& e) {
    return e.what();
  }
  return "<parsed without error>";
}

bool contains(std::string_view haystack, std::string_view needle) {
  return haystack.find(needle) != std::string_view::npos;
}

bool has(const std::vector<std::string>& list, std::string_view s) {
  return std::find(list.begin(), list.end(), s) != list.end();
}

// The smallest valid document: the three required keys.
const std::string minimal = yaml({
    "listen: [127.0.0.1:8080]",
    "upstreams:",
    "  dav: {servers: [127.0.0.1:8081]}",
    "routes:",
    "  - {path_prefix: /, upstream: dav}",
});

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
  CHECK(c.interim.mode == interim_mode::auto_);
  CHECK(c.interim.first_after == 1s);
  CHECK(c.interim.every == 1s);  // the example's demo value, not the 10s default
  CHECK(c.interim.max == 30);
  CHECK(c.routes[0].interim.every == 1s);
  CHECK(c.timeouts.connect == 5s);
  CHECK(c.timeouts.client_header == 30s);
  CHECK(c.timeouts.idle == 60s);
  CHECK(c.timeouts.upstream_response == 300s);
  CHECK(c.limits.max_header_bytes == 16384);
  CHECK(c.log_level == "info");
  CHECK(c.access_log == access_log_format::text);
}

TEST_CASE("config: a file that cannot be opened is a config_error naming the path") {
  CHECK_THROWS_WITH_AS(load_config("/nonexistent/holdon.yaml"),
                       doctest::Contains("/nonexistent/holdon.yaml"), config_error);
}

TEST_CASE("config: a document spelling out the default values parses to them") {
  config c = parse_config(yaml({
      "listen: [127.0.0.1:8080]",
      "upstreams:",
      "  dav: {servers: [127.0.0.1:8081]}",
      "routes:",
      "  - {path_prefix: /, upstream: dav}",
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
  CHECK(c.interim.mode == interim_mode::auto_);
  CHECK(c.interim.first_after == 1s);
  CHECK(c.interim.every == 10s);
  CHECK(c.interim.max == 30);
  CHECK(c.timeouts.connect == 5s);
  CHECK(c.timeouts.client_header == 30s);
  CHECK(c.timeouts.idle == 60s);
  CHECK(c.timeouts.upstream_response == 300s);
  CHECK(c.limits.max_header_bytes == 16384);
}

TEST_CASE("config: omitted keys take the documented defaults") {
  config c = parse_config(minimal);
  CHECK(c.threads == 0);
  CHECK(c.interim.mode == interim_mode::auto_);
  CHECK(c.interim.first_after == 1s);
  CHECK(c.interim.every == 10s);
  CHECK(c.interim.max == 30);
  CHECK(c.interim.max_gap == 50s);
  CHECK(has(c.interim.allow_user_agents, "curl/"));
  CHECK_FALSE(has(c.interim.allow_user_agents, "Microsoft-WebDAV-MiniRedir"));  // no proof either way
  CHECK(has(c.interim.deny_user_agents, "mirall"));
  CHECK(has(c.interim.deny_user_agents, "Python-urllib"));
  CHECK(c.fronts.empty());
  CHECK(has(c.interim.deny_user_agents, "okhttp/4."));
  CHECK_FALSE(c.interim.user_agent_caps.empty());
  CHECK(c.timeouts.connect == 5s);
  CHECK(c.timeouts.client_header == 30s);
  CHECK(c.timeouts.idle == 60s);
  CHECK(c.timeouts.upstream_response == 300s);
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
  CHECK(c.interim.mode == interim_mode::never);
  CHECK(c.interim.first_after == 250ms);
  CHECK(c.interim.every == 2min);
  CHECK(c.interim.max == 7);
  CHECK(c.timeouts.connect == 2s);
  CHECK(c.timeouts.client_header == 3s);
  CHECK(c.timeouts.idle == 4s);
  CHECK(c.timeouts.upstream_response == 1h);
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
  const auto& slow = c.routes[0].interim;
  CHECK(slow.every == 5s);
  CHECK(slow.first_after == 2s);
  CHECK(slow.mode == interim_mode::always);
  CHECK(slow.max == 12);
  CHECK(c.interim.every == 20s);  // the global section itself is not touched

  const auto& plain = c.routes[1].interim;
  CHECK(plain.every == 20s);
  CHECK(plain.first_after == 2s);
  CHECK(plain.mode == interim_mode::always);
  CHECK(plain.max == 12);
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

// The head is read (under client_header) before any route can be chosen, so a route's value
// could never apply: --check refuses it instead of accepting a key that does nothing.
TEST_CASE("config: a route's timeouts may not set client_header, the global timeouts may") {
  CHECK(error_of(yaml({
            "listen: [127.0.0.1:8080]",
            "upstreams: {dav: {servers: [127.0.0.1:8081]}}",
            "routes:",
            "  - path_prefix: /",
            "    upstream: dav",
            "    timeouts:",
            "      idle: 10s",
            "      client_header: 5s",
        })) == "t.yaml:8: routes[0].timeouts.client_header: applies to the whole connection before any "
               "route is chosen; set it under the global timeouts");
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

TEST_CASE("config: a user_agent_caps `before` must be a version") {
  CHECK_THROWS_WITH_AS(parse_config(minimal + yaml({"interim: {user_agent_caps: [{match: a/, max: 1, before: v2}]}"}), "t.yaml"),
                       doctest::Contains("interim.user_agent_caps[0].before: must be a version such as 1.70, got 'v2'"),
                       config_error);
}

TEST_CASE("config: a user_agent_caps entry without max names its index and line") {
  auto msg = error_of(minimal + yaml({
      "interim:",                                   // 6
      "  user_agent_caps:",                         // 7
      "    - {match: A, max: 1}",                   // 8
      "    - {match: B}",                           // 9
  }));
  CHECK(contains(msg, "t.yaml:9:"));
  CHECK(contains(msg, "interim.user_agent_caps[1]"));
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

TEST_CASE("config: a bad duration names the key path and line") {
  auto msg = error_of(minimal + yaml({
      "interim:",          // 6
      "  every: 10",       // 7
  }));
  CHECK(contains(msg, "t.yaml:7:"));
  CHECK(contains(msg, "interim.every"));
  CHECK(contains(msg, "'10'"));
}

TEST_CASE("config: a bad duration in a route override names the route") {
  auto msg = error_of(yaml({
      "listen: [127.0.0.1:8080]",
      "upstreams: {dav: {servers: [127.0.0.1:8081]}}",
      "routes:",
      "  - {path_prefix: /a, upstream: dav}",
      "  - path_prefix: /b",
      "    upstream: dav",
      "    timeouts:",
      "      connect: 1.5s",  // 8
  }));
  CHECK(contains(msg, "t.yaml:8:"));
  CHECK(contains(msg, "routes[1].timeouts.connect"));
}

TEST_CASE("config: a zero interval or zero timeout is rejected") {
  auto every = error_of(minimal + "interim: {every: 0s}\n");
  CHECK(contains(every, "t.yaml:6:"));
  CHECK(contains(every, "interim.every"));
  auto idle = error_of(minimal + "timeouts: {idle: 0ms}\n");
  CHECK(contains(idle, "t.yaml:6:"));
  CHECK(contains(idle, "timeouts.idle"));
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

TEST_CASE("config: a bad listen address names listen[i] and its line") {
  auto msg = error_of(yaml({
      "listen:",
      "  - 127.0.0.1:8080",
      "  - 127.0.0.1:99999",  // 3
      "upstreams: {dav: {servers: [127.0.0.1:8081]}}",
      "routes: [{upstream: dav}]",
  }));
  CHECK(contains(msg, "t.yaml:3:"));
  CHECK(contains(msg, "listen[1]"));
  CHECK(contains(msg, "127.0.0.1:99999"));
}

TEST_CASE("config: a listen address must be an IP, not a name") {
  auto msg = error_of(yaml({
      "upstreams: {dav: {servers: [127.0.0.1:8081]}}",
      "listen: [localhost:8080]",  // 2
      "routes: [{upstream: dav}]",
  }));
  CHECK(contains(msg, "t.yaml:2:"));
  CHECK(contains(msg, "listen[0]"));
  CHECK(contains(msg, "IP"));
}

TEST_CASE("config: a bad upstream server names upstreams.NAME.servers[i] and its line") {
  auto msg = error_of(yaml({
      "listen: [127.0.0.1:8080]",
      "upstreams:",
      "  dav:",
      "    servers:",
      "      - 127.0.0.1:8081",
      "      - 127.0.0.1",  // 6: no port
      "routes: [{upstream: dav}]",
  }));
  CHECK(contains(msg, "t.yaml:6:"));
  CHECK(contains(msg, "upstreams.dav.servers[1]"));
}

TEST_CASE("config: an upstream server on port 0 is rejected") {
  auto msg = error_of(yaml({
      "listen: [127.0.0.1:8080]",
      "upstreams:",
      "  dav: {servers: [127.0.0.1:0]}",  // 3
      "routes: [{upstream: dav}]",
  }));
  CHECK(contains(msg, "t.yaml:3:"));
  CHECK(contains(msg, "upstreams.dav.servers[0]"));
}

// ---------------------------------------------------------------- structural errors

TEST_CASE("config: unknown key is reported with its line") {
  auto msg = error_of(minimal + yaml({
      "timeouts: {idle: 5s}",  // 6
      "frobnicate: 1",         // 7
  }));
  CHECK(contains(msg, "t.yaml:7:"));
  CHECK(contains(msg, "frobnicate"));
  CHECK(contains(msg, "unknown key"));
}

TEST_CASE("config: unknown nested key names the full key path and line") {
  auto msg = error_of(minimal + yaml({
      "interim:",             // 6
      "  mode: auto",         // 7
      "  frist_after: 1s",    // 8
  }));
  CHECK(contains(msg, "t.yaml:8:"));
  CHECK(contains(msg, "interim.frist_after"));
  CHECK(contains(msg, "first_after"));  // lists what was expected
}

TEST_CASE("config: unknown key inside a route's override names the route") {
  auto msg = error_of(yaml({
      "listen: [127.0.0.1:8080]",
      "upstreams: {dav: {servers: [127.0.0.1:8081]}}",
      "routes:",
      "  - path_prefix: /",
      "    upstream: dav",
      "    interim: {evry: 5s}",  // 6
  }));
  CHECK(contains(msg, "t.yaml:6:"));
  CHECK(contains(msg, "routes[0].interim.evry"));
}

TEST_CASE("config: a list where a mapping is expected names the key and line") {
  auto msg = error_of(minimal + "timeouts: [5s, 10s]\n");  // 6
  CHECK(contains(msg, "t.yaml:6:"));
  CHECK(contains(msg, "timeouts"));
  CHECK(contains(msg, "mapping"));

  auto up = error_of(yaml({
      "listen: [127.0.0.1:8080]",
      "upstreams:",
      "  dav: [127.0.0.1:8081]",  // 3
      "routes: [{upstream: dav}]",
  }));
  CHECK(contains(up, "t.yaml:3:"));
  CHECK(contains(up, "upstreams.dav"));
}

TEST_CASE("config: a route naming a missing upstream is reported") {
  auto msg = error_of(yaml({
      "listen: [127.0.0.1:8080]",
      "upstreams: {dav: {servers: [127.0.0.1:8081]}}",
      "routes:",
      "  - {path_prefix: /a, upstream: dav}",
      "  - {path_prefix: /, upstream: dva}",  // 5
  }));
  CHECK(contains(msg, "t.yaml:5:"));
  CHECK(contains(msg, "routes[1].upstream"));
  CHECK(contains(msg, "dva"));
}

TEST_CASE("config: a path_prefix not starting with / is rejected") {
  auto msg = error_of(yaml({
      "listen: [127.0.0.1:8080]",
      "upstreams: {dav: {servers: [127.0.0.1:8081]}}",
      "routes:",
      "  - {path_prefix: dav, upstream: dav}",  // 4
  }));
  CHECK(contains(msg, "t.yaml:4:"));
  CHECK(contains(msg, "routes[0].path_prefix"));
}

TEST_CASE("config: a bad interim mode or max is reported with key and line") {
  auto mode = error_of(minimal + "interim: {mode: sometimes}\n");
  CHECK(contains(mode, "t.yaml:6:"));
  CHECK(contains(mode, "interim.mode"));
  auto max = error_of(minimal + "interim: {max: -1}\n");
  CHECK(contains(max, "t.yaml:6:"));
  CHECK(contains(max, "interim.max"));
}

TEST_CASE("config: missing required sections are reported by name") {
  CHECK(contains(error_of(yaml({"upstreams: {dav: {servers: [127.0.0.1:8081]}}",
                                "routes: [{upstream: dav}]"})),
                 "listen"));
  CHECK(contains(error_of(yaml({"listen: [127.0.0.1:8080]", "routes: [{upstream: dav}]"})),
                 "upstreams"));
  CHECK(contains(error_of(yaml({"listen: [127.0.0.1:8080]",
                                "upstreams: {dav: {servers: [127.0.0.1:8081]}}"})),
                 "routes"));
}

TEST_CASE("config: a YAML syntax error is reported with its line") {
  auto msg = error_of(minimal + yaml({
      "interim:",            // 6
      "  every: 1s: 2s",     // 7
  }));
  CHECK(contains(msg, "t.yaml:7:"));
  CHECK(contains(msg, "YAML"));
}

TEST_CASE("config: an empty document is rejected") {
  CHECK(contains(error_of(""), "empty"));
  CHECK(contains(error_of("# nothing but a comment\n"), "empty"));
}

TEST_CASE("config: a document that is not a mapping is rejected with its line") {
  auto msg = error_of("just a string\n");
  CHECK(contains(msg, "t.yaml:1:"));
  CHECK(contains(msg, "mapping"));
}

// ---------------------------------------------------------------- routes by host and method, upstreams, TLS

namespace {
const std::string_view ups7 = "upstreams: {app: {servers: [127.0.0.1:8081]}}";
const std::string_view routes7 = "routes: [{upstream: app}]";
}  // namespace

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

TEST_CASE("config: bad route hosts, methods and a second default are errors with their line") {
  CHECK(error_of(yaml({"listen: [127.0.0.1:8080]", ups7, "routes:", "  - {host: 'a.*.com', upstream: app}"})) ==
        "t.yaml:4: routes[0].host: bad host 'a.*.com' (expected a.example.com, *.example.com or a.example.com:8443)");
  CHECK(contains(error_of(yaml({"listen: [127.0.0.1:8080]", ups7, "routes:", "  - {host: 'a/b', upstream: app}"})),
                 "t.yaml:4: routes[0].host: bad host 'a/b'"));
  CHECK(contains(error_of(yaml({"listen: [127.0.0.1:8080]", ups7, "routes:", "  - {methods: [], upstream: app}"})),
                 "t.yaml:4: routes[0].methods: must list at least one method"));
  CHECK(contains(error_of(yaml({"listen: [127.0.0.1:8080]", ups7, "routes:", "  - {default: yes please, upstream: app}"})),
                 "t.yaml:4: routes[0].default: must be true or false"));
  CHECK(error_of(yaml({"listen: [127.0.0.1:8080]", ups7, "routes:", "  - {upstream: app, default: true}",
                       "  - {upstream: app, default: true}"})) ==
        "t.yaml:5: routes[1].default: only one route can be the default");
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

TEST_CASE("config: bad balance and fail_threshold values name key and line") {
  CHECK(error_of(yaml({"listen: [127.0.0.1:8080]", "upstreams:", "  a: {servers: [127.0.0.1:1], balance: random}",
                       "routes: [{upstream: a}]"})) ==
        "t.yaml:3: upstreams.a.balance: must be round_robin or least_in_flight, got 'random'");
  CHECK(contains(error_of(yaml({"listen: [127.0.0.1:8080]", "upstreams:", "  a: {servers: [127.0.0.1:1], fail_threshold: 0}",
                                "routes: [{upstream: a}]"})),
                 "t.yaml:3: upstreams.a.fail_threshold: must be between 1 and 1000"));
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
  CHECK(contains(error_of(yaml({"listen: [127.0.0.1:8080]", "upstreams:", "  a: {servers: [127.0.0.1:1], tls: {verify: no}}",
                                "routes: [{upstream: a}]"})),
                 "t.yaml:3: upstreams.a.tls.verify: unknown key"));
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

TEST_CASE("config: TLS listener mistakes name key and line") {
  CHECK(error_of(yaml({"listen:", "  - {address: 127.0.0.1:8443, tls: {certificates: []}}", ups7, routes7})) ==
        "t.yaml:2: listen[0].tls.certificates: must be a non-empty list of {cert: FILE, key: FILE}");
  CHECK(error_of(yaml({"listen:", "  - {address: 127.0.0.1:8443, tls: {certificates: [{cert: a.pem}]}}", ups7, routes7})) ==
        "t.yaml:2: listen[0].tls.certificates[0]: needs both cert and key");
  CHECK(contains(error_of(yaml({"listen:", "  - {tls: {certificates: [{cert: a, key: b}]}}", ups7, routes7})),
                 "t.yaml:2: listen[0].address: missing"));
  CHECK(contains(error_of(yaml({"listen:", "  - {address: 127.0.0.1:8443, cert: a.pem}", ups7, routes7})),
                 "t.yaml:2: listen[0].cert: unknown key"));
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

TEST_CASE("config: bad upstream_prefix and public_origin are reported with key and line") {
  auto head = yaml({"listen: [127.0.0.1:8080]", "upstreams: {dav: {servers: [127.0.0.1:8081]}}",
                    "routes:"});
  auto msg = error_of(head + "  - {path_prefix: /dav/, upstream: dav, upstream_prefix: dav}\n");
  CHECK(contains(msg, "t.yaml:4:"));
  CHECK(contains(msg, "routes[0].upstream_prefix: must start with /"));
  for (auto bad : {"files.example.com", "ftp://x", "https://x/path", "https://"}) {
    msg = error_of(head + "  - {upstream: dav, public_origin: '" + bad + "'}\n");
    CHECK(contains(msg, "t.yaml:4:"));
    CHECK(contains(msg, "routes[0].public_origin: must be http://HOST[:PORT]"));
  }
}

TEST_CASE("config: admin.listen is optional, parsed as an IP address, and checked") {
  CHECK_FALSE(parse_config(minimal, "t.yaml").admin.listen.has_value());
  auto c = parse_config(minimal + yaml({"admin: {listen: 127.0.0.1:9901}"}), "t.yaml");
  REQUIRE(c.admin.listen.has_value());
  CHECK(c.admin.listen->text() == "127.0.0.1:9901");
  CHECK(contains(error_of(minimal + yaml({"admin: {listen: localhost:9901}"})),
                 "t.yaml:6: admin.listen: bad address 'localhost:9901'"));
  CHECK(contains(error_of(minimal + yaml({"admin: {lisen: 127.0.0.1:9901}"})),
                 "t.yaml:6: admin.lisen: unknown key"));
}

TEST_CASE("config: hardening limits and drain_timeout") {
  const std::string base =
      "listen: [127.0.0.1:8080]\nupstreams:\n  app: {servers: [127.0.0.1:8081]}\nroutes:\n  - {upstream: app}\n";
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
  auto err = [&](const std::string& extra) {
    try {
      holdon::parse_config(base + extra, "t.yaml");
    } catch (const holdon::config_error& e) {
      return std::string(e.what());
    }
    return std::string();
  };
  CHECK(err("limits: {max_body_bytes: lots}\n").find("limits.max_body_bytes") != std::string::npos);
  CHECK(err("limits: {max_request_line_bytes: 10}\n").find("between 256") != std::string::npos);
  CHECK(err("limits: {max_conns: 1}\n").find("max_conns") != std::string::npos);
  CHECK(err("drain_timeout: soon\n").find("drain_timeout") != std::string::npos);
}
