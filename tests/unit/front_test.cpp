// Unit tests for holdon's front unit: address ranges, which peer is a declared front, the
// fields that give a proxy away, the end client behind fronts, and the `fronts` config section.
#include <doctest/doctest.h>

#include <string>

#include "holdon/config.hpp"
#include "holdon/front.hpp"
#include "holdon/http_head.hpp"
#include "match_table.hpp"

using namespace holdon;

namespace {
std::vector<front_config> fronts_of(std::initializer_list<const char*> ranges) {
  front_config f;
  f.kind = front_kind::haproxy;
  for (auto r : ranges) f.addresses.push_back(*parse_address_range(r));
  return {f};
}

std::string config_error_of(const std::string& fronts_yaml) {
  try {
    parse_config("listen: [127.0.0.1:8080]\nupstreams: {a: {servers: [127.0.0.1:8081]}}\n"
                 "routes: [{upstream: a}]\n" + fronts_yaml, "t.yaml");
  } catch (const config_error& e) {
    return e.what();
  }
  return "";
}
}  // namespace

TEST_CASE("front: address ranges match IPv4, IPv6 and IPv4-mapped peers") {
  auto in_range = [](std::string_view range, std::string_view ip) {
    auto r = parse_address_range(range);
    REQUIRE(r);
    auto a = parse_ip(ip);
    REQUIRE(a);
    return contains(*r, *a);
  };
  // {range, ip, in}
  match_table::check_matches(in_range, {
      {"10.0.0.0/8", "10.200.3.4", true},
      {"10.0.0.0/8", "11.0.0.1", false},
      {"10.0.0.0/8", "::ffff:10.1.2.3", true},  // a dual-stack listener's view
      {"192.168.1.0/25", "192.168.1.127", true},
      {"192.168.1.0/25", "192.168.1.128", false},
      {"127.0.0.1", "127.0.0.1", true},
      {"127.0.0.1", "127.0.0.2", false},
      {"0.0.0.0/0", "203.0.113.9", true},
      {"0.0.0.0/0", "2001:db8::1", false},
      {"::1", "::1", true},
      {"fd00::/8", "fd12:3456::1", true},
      {"fd00::/8", "fe80::1", false},
      {"2001:db8::/32", "2001:db8:ffff::1", true},
      {"2001:db8::/33", "2001:db8:8000::1", false},
      {"10.1.2.3/8", "10.9.9.9", true},  // host bits are ignored
  });
  for (auto bad : {"", "10.0.0.0/33", "::/129", "10.0.0/8", "example.com", "10.0.0.0/", "10.0.0.0/x", "1.2.3.4:80"}) {
    CAPTURE(bad);
    CHECK_FALSE(parse_address_range(bad));
  }
}

TEST_CASE("front: find_front picks the declared front a peer belongs to") {
  auto fronts = fronts_of({"10.0.0.0/8", "::1"});
  CHECK(find_front(fronts, "10.3.3.3") == &fronts[0]);
  CHECK(find_front(fronts, "::1") == &fronts[0]);
  CHECK(find_front(fronts, "127.0.0.1") == nullptr);
  CHECK(find_front(fronts, "unknown") == nullptr);
  CHECK(find_front({}, "10.3.3.3") == nullptr);
}

TEST_CASE("front: proxy fields are recognised, ordinary ones are not") {
  for (auto name : {"Via", "Forwarded", "X-Forwarded-For", "x-forwarded-proto", "X-Forwarded-Host",
                    "X-Forwarded-Server", "X-Real-IP", "X-Request-ID", "X-Varnish", "CF-Ray", "CDN-Loop",
                    "X-Amzn-Trace-Id", "X-Azure-Ref", "Fastly-FF", "x-envoy-expected-rq-timeout-ms",
                    "X-Host", "True-Client-IP"}) {
    CAPTURE(name);
    header_fields f;
    f.insert("Host", "a");
    f.insert(name, "1");
    CHECK(proxy_sign(f) == name);
  }
  header_fields plain;
  for (auto name : {"Host", "User-Agent", "Depth", "Accept", "X-Forwarded", "Envoy", "X-Custom", "Content-Length"})
    plain.insert(name, "1");
  CHECK(proxy_sign(plain).empty());
}

TEST_CASE("front: the end client is the rightmost forwarded address that is not a front") {
  auto fronts = fronts_of({"10.0.0.0/8", "::1"});
  struct row {
    const char* name;
    const char* value;
    const char* client;
  };
  for (auto [name, value, client] : {
           row{"X-Forwarded-For", "203.0.113.7", "203.0.113.7"},
           row{"X-Forwarded-For", "198.51.100.1, 203.0.113.7", "203.0.113.7"},  // the left one is the client's word
           row{"X-Forwarded-For", "203.0.113.7, 10.0.0.5", "203.0.113.7"},      // a front of ours in the chain
           row{"X-Forwarded-For", "2001:db8::7", "2001:db8::7"},
           row{"X-Forwarded-For", "203.0.113.7:41234", "203.0.113.7"},
           row{"X-Forwarded-For", "garbage", "10.9.9.9"},
           row{"X-Forwarded-For", "203.0.113.7, unknown", "10.9.9.9"},
           row{"Forwarded", "for=192.0.2.60;proto=http;by=203.0.113.43", "192.0.2.60"},
           row{"Forwarded", "for=192.0.2.43, for=\"[2001:db8:cafe::17]:4711\"", "2001:db8:cafe::17"},
           row{"Forwarded", "for=unknown", "10.9.9.9"},
       }) {
    CAPTURE(value);
    header_fields f;
    f.insert(name, value);
    CHECK(forwarded_client(f, fronts, "10.9.9.9") == client);
  }
  header_fields none;
  CHECK(forwarded_client(none, fronts, "10.9.9.9") == "10.9.9.9");
}

TEST_CASE("front: every built-in kind has a name, and the table says what it does with 1xx") {
  for (auto name : {"none", "haproxy", "nginx", "apache", "caddy", "traefik", "envoy", "varnish", "squid",
                    "lighttpd", "trafficserver", "cloudflare", "aws-alb", "generic"}) {
    CAPTURE(name);
    auto k = front_kind_named(name);
    REQUIRE(k);
    CHECK(facts_of(*k).name == name);
    CHECK_FALSE(facts_of(*k).upstream_1xx.empty());
  }
  CHECK_FALSE(front_kind_named("Nginx"));
  CHECK(facts_of(front_kind::nginx).default_mode == interim_mode::never);
  CHECK(facts_of(front_kind::apache).cap == 9);
  CHECK(facts_of(front_kind::caddy).go_capped);
}

TEST_CASE("config: fronts are parsed with their overrides") {
  auto c = parse_config(
      "listen: [127.0.0.1:8080]\nupstreams: {a: {servers: [127.0.0.1:8081]}}\nroutes: [{upstream: a}]\n"
      "fronts:\n"
      "  - {name: ingress, addresses: [10.0.0.0/8, \"fd00::/8\"], kind: nginx}\n"
      "  - addresses: 127.0.0.1\n"
      "    kind: caddy\n"
      "    mode: always\n"
      "    every: 20s\n"
      "    max: 4\n"
      "    idle_timeout: 90s\n"
      "    go_1_24: true\n");
  REQUIRE(c.fronts.size() == 2);
  CHECK(c.fronts[0].name == "ingress");
  CHECK(c.fronts[0].kind == front_kind::nginx);
  CHECK(c.fronts[0].addresses.size() == 2);
  CHECK_FALSE(c.fronts[0].mode);
  CHECK(c.fronts[1].name == "caddy");
  CHECK(c.fronts[1].mode == interim_mode::always);
  CHECK(c.fronts[1].every == duration(20000));
  CHECK(c.fronts[1].max == 4u);
  CHECK(c.fronts[1].idle_timeout == duration(90000));
  CHECK(c.fronts[1].go_1_24);
}

TEST_CASE("config: bad fronts are errors that name the key and the line") {
  struct row {
    const char* yaml;
    const char* error;
  };
  for (auto [yaml, error] : {
           row{"fronts: {kind: nginx}\n", "t.yaml:4: fronts: must be a list"},
           row{"fronts:\n  - {addresses: [10.0.0.0/8]}\n", "t.yaml:5: fronts[0].kind: missing (one of: none, haproxy,"},
           row{"fronts:\n  - {addresses: [10.0.0.0/8], kind: nginix}\n", "t.yaml:5: fronts[0].kind: unknown kind 'nginix'"},
           row{"fronts:\n  - {kind: nginx}\n", "t.yaml:5: fronts[0].addresses: missing"},
           row{"fronts:\n  - {addresses: [10.0.0.0/33], kind: nginx}\n", "t.yaml:5: fronts[0].addresses: bad address '10.0.0.0/33'"},
           row{"fronts:\n  - {addresses: [], kind: nginx}\n", "t.yaml:5: fronts[0].addresses: must list at least one"},
           row{"fronts:\n  - {addresses: [127.0.0.1], kind: nginx, mode: sometimes}\n", "t.yaml:5: fronts[0].mode: must be auto, always or never"},
           row{"fronts:\n  - {addresses: [127.0.0.1], kind: haproxy, every: 0s}\n", "t.yaml:5: fronts[0].every: must be more than 0"},
           row{"fronts:\n  - {addresses: [127.0.0.1], kind: nginx, go_1_24: true}\n", "t.yaml:5: fronts[0].go_1_24: only for the Go-based kinds"},
           row{"fronts:\n  - {addresses: [127.0.0.1], kind: nginx, timeout: 5s}\n", "t.yaml:5: fronts[0].timeout: unknown key"},
       }) {
    CAPTURE(yaml);
    auto e = config_error_of(yaml);
    CHECK(e.find(error) == 0);
    if (e.find(error) != 0) MESSAGE(e);
  }
}
