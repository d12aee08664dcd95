// Unit tests for the documents holdon::parse_config / load_config refuse.
// Error messages must have the shape "SOURCE:LINE: key.path: what is wrong" (LINE 1-based).
#include <doctest/doctest.h>

#include <string>
#include <string_view>
#include <vector>

#include "config_test_support.hpp"
#include "holdon/config.hpp"

using namespace holdon;
using namespace config_test;

namespace {

// A document that must be refused, and what its config_error message must say.
struct refusal {
  std::string text;                     // the document, parsed as t.yaml
  int line;                             // the message names "t.yaml:LINE:"; 0: not checked apart
  std::vector<std::string_view> parts;  // each stands in the message
  std::string_view whole = {};          // when set: the message, word for word
};

// Lines 1-3 of the documents whose routes come next (line 4 on).
const std::string routes_head = yaml({
    "listen: [127.0.0.1:8080]",
    "upstreams: {dav: {servers: [127.0.0.1:8081]}}",
    "routes:",
});

// A document whose upstream `a` is given by `a_line` (line 3).
std::string upstream_a(std::string_view a_line) {
  return yaml({"listen: [127.0.0.1:8080]", "upstreams:", a_line, "routes: [{upstream: a}]"});
}

// A document whose only listener is `item` (line 2).
std::string listener(std::string_view item) { return yaml({"listen:", item, ups7, routes7}); }

std::string public_origin(std::string_view origin) {
  return routes_head + "  - {upstream: dav, public_origin: '" + std::string(origin) + "'}\n";
}

// Each group of rows was once a test case of its own; the comment above it keeps its name.
const refusal refusals[] = {
    // a route's timeouts may not set client_header (the global timeouts may: config_test.cpp)
    {routes_head + yaml({"  - path_prefix: /", "    upstream: dav", "    timeouts:", "      idle: 10s",
                         "      client_header: 5s"}),
     0, {}, "t.yaml:8: routes[0].timeouts.client_header: applies to the whole connection before any "
            "route is chosen; set it under the global timeouts"},
    // a user_agent_caps `before` must be a version
    {minimal + yaml({"interim: {user_agent_caps: [{match: a/, max: 1, before: v2}]}"}), 0,
     {"interim.user_agent_caps[0].before: must be a version such as 1.70, got 'v2'"}},
    // a user_agent_caps entry without max names its index and line
    {minimal + yaml({"interim:", "  user_agent_caps:", "    - {match: A, max: 1}", "    - {match: B}"}), 9,
     {"interim.user_agent_caps[1]"}},
    // a bad duration names the key path and line
    {minimal + yaml({"interim:", "  every: 10"}), 7, {"interim.every", "'10'"}},
    // a bad duration in a route override names the route
    {routes_head + yaml({"  - {path_prefix: /a, upstream: dav}", "  - path_prefix: /b", "    upstream: dav",
                         "    timeouts:", "      connect: 1.5s"}),
     8, {"routes[1].timeouts.connect"}},
    // a zero interval or zero timeout is rejected
    {minimal + "interim: {every: 0s}\n", 6, {"interim.every"}},
    {minimal + "timeouts: {idle: 0ms}\n", 6, {"timeouts.idle"}},
    // a bad listen address names listen[i] and its line
    {yaml({"listen:", "  - 127.0.0.1:8080", "  - 127.0.0.1:99999", "upstreams: {dav: {servers: [127.0.0.1:8081]}}",
           "routes: [{upstream: dav}]"}),
     3, {"listen[1]", "127.0.0.1:99999"}},
    // a listen address must be an IP, not a name
    {yaml({"upstreams: {dav: {servers: [127.0.0.1:8081]}}", "listen: [localhost:8080]", "routes: [{upstream: dav}]"}),
     2, {"listen[0]", "IP"}},
    // a bad upstream server names upstreams.NAME.servers[i] and its line (6: no port)
    {yaml({"listen: [127.0.0.1:8080]", "upstreams:", "  dav:", "    servers:", "      - 127.0.0.1:8081",
           "      - 127.0.0.1", "routes: [{upstream: dav}]"}),
     6, {"upstreams.dav.servers[1]"}},
    // an upstream server on port 0 is rejected
    {yaml({"listen: [127.0.0.1:8080]", "upstreams:", "  dav: {servers: [127.0.0.1:0]}", "routes: [{upstream: dav}]"}),
     3, {"upstreams.dav.servers[0]"}},
    // unknown key is reported with its line
    {minimal + yaml({"timeouts: {idle: 5s}", "frobnicate: 1"}), 7, {"frobnicate", "unknown key"}},
    // unknown nested key names the full key path and line, and lists what was expected
    {minimal + yaml({"interim:", "  mode: auto", "  frist_after: 1s"}), 8, {"interim.frist_after", "first_after"}},
    // unknown key inside a route's override names the route
    {routes_head + yaml({"  - path_prefix: /", "    upstream: dav", "    interim: {evry: 5s}"}), 6,
     {"routes[0].interim.evry"}},
    // a list where a mapping is expected names the key and line
    {minimal + "timeouts: [5s, 10s]\n", 6, {"timeouts", "mapping"}},
    {yaml({"listen: [127.0.0.1:8080]", "upstreams:", "  dav: [127.0.0.1:8081]", "routes: [{upstream: dav}]"}), 3,
     {"upstreams.dav"}},
    // a route naming a missing upstream is reported
    {routes_head + yaml({"  - {path_prefix: /a, upstream: dav}", "  - {path_prefix: /, upstream: dva}"}), 5,
     {"routes[1].upstream", "dva"}},
    // a path_prefix not starting with / is rejected
    {routes_head + yaml({"  - {path_prefix: dav, upstream: dav}"}), 4, {"routes[0].path_prefix"}},
    // a bad interim mode or max is reported with key and line
    {minimal + "interim: {mode: sometimes}\n", 6, {"interim.mode"}},
    {minimal + "interim: {max: -1}\n", 6, {"interim.max"}},
    // missing required sections are reported by name
    {yaml({"upstreams: {dav: {servers: [127.0.0.1:8081]}}", "routes: [{upstream: dav}]"}), 0, {"listen"}},
    {yaml({"listen: [127.0.0.1:8080]", "routes: [{upstream: dav}]"}), 0, {"upstreams"}},
    {yaml({"listen: [127.0.0.1:8080]", "upstreams: {dav: {servers: [127.0.0.1:8081]}}"}), 0, {"routes"}},
    // a YAML syntax error is reported with its line
    {minimal + yaml({"interim:", "  every: 1s: 2s"}), 7, {"YAML"}},
    // an empty document is rejected
    {"", 0, {"empty"}},
    {"# nothing but a comment\n", 0, {"empty"}},
    // a document that is not a mapping is rejected with its line
    {"just a string\n", 1, {"mapping"}},
    // bad route hosts, methods and a second default are errors with their line
    {yaml({"listen: [127.0.0.1:8080]", ups7, "routes:", "  - {host: 'a.*.com', upstream: app}"}), 0, {},
     "t.yaml:4: routes[0].host: bad host 'a.*.com' (expected a.example.com, *.example.com or a.example.com:8443)"},
    {yaml({"listen: [127.0.0.1:8080]", ups7, "routes:", "  - {host: 'a/b', upstream: app}"}), 0,
     {"t.yaml:4: routes[0].host: bad host 'a/b'"}},
    {yaml({"listen: [127.0.0.1:8080]", ups7, "routes:", "  - {methods: [], upstream: app}"}), 0,
     {"t.yaml:4: routes[0].methods: must list at least one method"}},
    {yaml({"listen: [127.0.0.1:8080]", ups7, "routes:", "  - {default: yes please, upstream: app}"}), 0,
     {"t.yaml:4: routes[0].default: must be true or false"}},
    {yaml({"listen: [127.0.0.1:8080]", ups7, "routes:", "  - {upstream: app, default: true}",
           "  - {upstream: app, default: true}"}),
     0, {}, "t.yaml:5: routes[1].default: only one route can be the default"},
    // bad balance and fail_threshold values name key and line
    {upstream_a("  a: {servers: [127.0.0.1:1], balance: random}"), 0, {},
     "t.yaml:3: upstreams.a.balance: must be round_robin or least_in_flight, got 'random'"},
    {upstream_a("  a: {servers: [127.0.0.1:1], fail_threshold: 0}"), 0,
     {"t.yaml:3: upstreams.a.fail_threshold: must be between 1 and 1000"}},
    // upstream tls: an unknown key under tls
    {upstream_a("  a: {servers: [127.0.0.1:1], tls: {verify: no}}"), 0, {"t.yaml:3: upstreams.a.tls.verify: unknown key"}},
    // TLS listener mistakes name key and line
    {listener("  - {address: 127.0.0.1:8443, tls: {certificates: []}}"), 0, {},
     "t.yaml:2: listen[0].tls.certificates: must be a non-empty list of {cert: FILE, key: FILE}"},
    {listener("  - {address: 127.0.0.1:8443, tls: {certificates: [{cert: a.pem}]}}"), 0, {},
     "t.yaml:2: listen[0].tls.certificates[0]: needs both cert and key"},
    {listener("  - {tls: {certificates: [{cert: a, key: b}]}}"), 0, {"t.yaml:2: listen[0].address: missing"}},
    {listener("  - {address: 127.0.0.1:8443, cert: a.pem}"), 0, {"t.yaml:2: listen[0].cert: unknown key"}},
    // bad upstream_prefix and public_origin are reported with key and line
    {routes_head + "  - {path_prefix: /dav/, upstream: dav, upstream_prefix: dav}\n", 4,
     {"routes[0].upstream_prefix: must start with /"}},
    {public_origin("files.example.com"), 4, {"routes[0].public_origin: must be http://HOST[:PORT]"}},
    {public_origin("ftp://x"), 4, {"routes[0].public_origin: must be http://HOST[:PORT]"}},
    {public_origin("https://x/path"), 4, {"routes[0].public_origin: must be http://HOST[:PORT]"}},
    {public_origin("https://"), 4, {"routes[0].public_origin: must be http://HOST[:PORT]"}},
    // admin.listen is checked
    {minimal + yaml({"admin: {listen: localhost:9901}"}), 0, {"t.yaml:6: admin.listen: bad address 'localhost:9901'"}},
    {minimal + yaml({"admin: {lisen: 127.0.0.1:9901}"}), 0, {"t.yaml:6: admin.lisen: unknown key"}},
    // hardening limits and drain_timeout
    {hardening_base + "limits: {max_body_bytes: lots}\n", 0, {"limits.max_body_bytes"}},
    {hardening_base + "limits: {max_request_line_bytes: 10}\n", 0, {"between 256"}},
    {hardening_base + "limits: {max_conns: 1}\n", 0, {"max_conns"}},
    {hardening_base + "drain_timeout: soon\n", 0, {"drain_timeout"}},
};

}  // namespace

TEST_CASE("config: a file that cannot be opened is a config_error naming the path") {
  CHECK_THROWS_WITH_AS(load_config("/nonexistent/holdon.yaml"),
                       doctest::Contains("/nonexistent/holdon.yaml"), config_error);
}

// The old one-case-per-rule tests, merged into one table (see the comments in `refusals`).
TEST_CASE("config: a refused document's error names what is wrong, with its key and line") {
  for (const auto& r : refusals) {
    CAPTURE(r.text);
    const std::string msg = error_of(r.text);
    if (!r.whole.empty()) CHECK(msg == r.whole);
    if (r.line != 0) CHECK(contains(msg, "t.yaml:" + std::to_string(r.line) + ":"));
    for (auto part : r.parts) {
      CAPTURE(part);
      CHECK(contains(msg, part));
    }
  }
}
