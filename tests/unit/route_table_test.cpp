// Unit tests for holdon's route table: request target -> path -> first matching route.
// Each case is a table of rows {input..., expected}; CAPTURE names the failing row.
#include <doctest/doctest.h>

#include <initializer_list>
#include <string>
#include <string_view>
#include <vector>

#include "holdon/config.hpp"
#include "holdon/route_table.hpp"
#include "match_table.hpp"

using namespace holdon;
using match_table::match_row;

namespace {

route_config route(std::string prefix, std::string upstream) {
  route_config r;
  r.path_prefix = std::move(prefix);
  r.upstream = std::move(upstream);
  return r;
}

struct path_row {
  std::string_view target, path;
};
void check_target_paths(std::initializer_list<path_row> rows) {
  for (const auto& [target, path] : rows) {
    CAPTURE(target);
    CHECK(target_path(target) == path);
  }
}

// {pattern, subject, matches}: a path prefix against a path, or a host pattern against a host.
void check_prefixes(std::initializer_list<match_row> rows) { match_table::check_matches(prefix_matches, rows); }
void check_hosts(std::initializer_list<match_row> rows) { match_table::check_matches(host_matches, rows); }

// {target, upstream}: the upstream name of the route a target lands on, or "<none>".
struct route_row {
  std::string_view target, upstream;
};
void check_routed(const std::vector<route_config>& routes, std::initializer_list<route_row> rows) {
  for (const auto& [target, upstream] : rows) {
    CAPTURE(target);
    const route_config* r = match_route(routes, target);
    CHECK((r ? r->upstream : "<none>") == upstream);
  }
}

}  // namespace

// ---------------------------------------------------------------- target_path

TEST_CASE("routes: an origin-form target is its own path, query included") {
  check_target_paths({{"/", "/"}, {"/dav/file.txt", "/dav/file.txt"}, {"/a?b=c", "/a?b=c"}});
}

TEST_CASE("routes: an absolute-form target is reduced to its path and query") {
  check_target_paths({
      {"http://h:1/a?b", "/a?b"},
      {"http://dav.example/dav/x", "/dav/x"},
      {"https://[::1]:8443/p", "/p"},
  });
}

TEST_CASE("routes: an absolute-form target without a path has the path /") {
  check_target_paths({{"http://h", "/"}, {"http://h:8080", "/"}});
}

TEST_CASE("routes: the asterisk-form target stays *") { check_target_paths({{"*", "*"}}); }

// ---------------------------------------------------------------- prefix_matches

TEST_CASE("routes: prefix /dav matches /dav, /dav/x and /dav?q but not /davx") {
  check_prefixes({
      {"/dav", "/dav", true},
      {"/dav", "/dav/", true},
      {"/dav", "/dav/x", true},
      {"/dav", "/dav/x/y?z", true},
      {"/dav", "/dav?q", true},
      {"/dav", "/davx", false},
      {"/dav", "/da", false},
      {"/dav", "/", false},
      {"/dav", "/other/dav", false},
      {"/dav", "/DAV", false},  // paths are case-sensitive
  });
}

TEST_CASE("routes: a prefix ending in / matches everything below it") {
  check_prefixes({
      {"/dav/", "/dav/", true},
      {"/dav/", "/dav/x", true},
      {"/dav/", "/dav/x/y", true},
      {"/dav/", "/dav", false},
      {"/dav/", "/davx/y", false},
  });
}

TEST_CASE("routes: prefix / matches every path") {
  check_prefixes({{"/", "/", true}, {"/", "/x", true}, {"/", "/dav/x?y", true}, {"/", "/?q", true}});
}

// ---------------------------------------------------------------- match_route

TEST_CASE("routes: the first matching route wins, in configuration order") {
  check_routed({route("/dav", "dav"), route("/dav/special", "special"), route("/", "files")},
               {
                   {"/dav/special/x", "dav"},  // not the longest prefix: the first
                   {"/dav", "dav"},
                   {"/davx", "files"},
                   {"/index.html", "files"},
               });
  check_routed({route("/", "files"), route("/dav", "dav")}, {{"/dav/x", "files"}});
}

TEST_CASE("routes: the matched pointer refers to the route in the table") {
  std::vector<route_config> routes{route("/a", "a"), route("/b", "b")};
  CHECK(match_route(routes, "/b/1") == &routes[1]);
  CHECK(match_route(routes, "/a") == &routes[0]);
}

TEST_CASE("routes: no matching route gives nullptr") {
  std::vector<route_config> routes{route("/dav", "dav"), route("/api/", "api")};
  for (std::string_view target : {"/other", "/api", "/davx"}) {
    CAPTURE(target);
    CHECK(match_route(routes, target) == nullptr);
  }
  CHECK(match_route({}, "/") == nullptr);
}

TEST_CASE("routes: absolute-form targets are routed by their path") {
  check_routed({route("/dav", "dav"), route("/", "files")}, {
                                                                {"http://dav.example:8080/dav/x?y", "dav"},
                                                                {"http://dav.example/davx", "files"},
                                                                {"http://dav.example", "files"},
                                                            });
}

TEST_CASE("routes: an absolute-form target without a path keeps its query under /") {
  // RFC 3986 §3.2: the authority ends at the first "/", "?" or "#"; RFC 9112 §3.2.1:
  // an empty path becomes "/". The exchange sends target_path() upstream as the target.
  check_target_paths({{"http://h?q=1", "/?q=1"}, {"http://h:8080?x=/dav", "/?x=/dav"}});
}

TEST_CASE("routes: a slash in the query of a path-less absolute-form target is not its path") {
  // "http://h?x=/dav" has the path "/", so it must not land on the /dav route.
  check_routed({route("/dav", "dav"), route("/", "files")}, {{"http://h?x=/dav", "files"}});
}

TEST_CASE("routes: OPTIONS * reaches only a catch-all route") {
  check_routed({route("/dav", "dav")}, {{"*", "<none>"}});
  check_routed({route("/dav", "dav"), route("/", "files")}, {{"*", "files"}});
}

// ---------------------------------------------------------------- host, method, default

namespace {
route_config host_route(std::vector<std::string> hosts, std::string prefix, std::string upstream,
                        std::vector<std::string> methods = {}) {
  auto r = route(std::move(prefix), std::move(upstream));
  r.hosts = std::move(hosts);
  r.methods = std::move(methods);
  return r;
}

// {host, method, target, upstream}: the upstream name select_route picks, or "<none>".
struct select_row {
  std::string_view host, method, target, upstream;
};
void check_selected(const std::vector<route_config>& routes, std::initializer_list<select_row> rows) {
  for (const auto& [host, method, target, upstream] : rows) {
    CAPTURE(host);
    CAPTURE(method);
    CAPTURE(target);
    const route_config* r = select_route(routes, host, method, target);
    CHECK((r ? r->upstream : "<none>") == upstream);
  }
}
}  // namespace

TEST_CASE("routes: an exact host matches case-insensitively on any port, a trailing dot ignored") {
  check_hosts({
      {"dav.example.com", "dav.example.com", true},
      {"dav.example.com", "DAV.Example.COM", true},
      {"DAV.example.com", "dav.example.com:8443", true},
      {"dav.example.com", "dav.example.com.", true},
      {"dav.example.com", "dav.example.com.:80", true},
      {"dav.example.com", "www.example.com", false},
      {"dav.example.com", "dav.example.com.evil", false},
      {"dav.example.com", "xdav.example.com", false},
      {"dav.example.com", "", false},
  });
}

TEST_CASE("routes: a host pattern with a port needs that port") {
  check_hosts({
      {"dav.example.com:8443", "dav.example.com:8443", true},
      {"dav.example.com:8443", "dav.example.com:443", false},
      {"dav.example.com:8443", "dav.example.com", false},
  });
}

TEST_CASE("routes: *.example.com matches subdomains at any depth but not example.com") {
  check_hosts({
      {"*.example.com", "a.example.com", true},
      {"*.example.com", "a.b.example.com:8080", true},
      {"*.Example.com", "A.EXAMPLE.COM", true},
      {"*.example.com", "example.com", false},
      {"*.example.com", ".example.com", false},
      {"*.example.com", "a.example.org", false},
      {"*.example.com", "aexample.com", false},
  });
}

TEST_CASE("routes: IPv6 and IPv4 literal hosts compare without their port") {
  check_hosts({
      {"[::1]", "[::1]:8080", true},
      {"[::1]:8080", "[::1]:8080", true},
      {"[::1]:8080", "[::1]", false},
      {"127.0.0.1", "127.0.0.1:8080", true},
  });
}

TEST_CASE("routes: the request host is the absolute-form authority, else the Host header, lower-cased") {
  struct row {
    std::string_view host_header, target, host;
  };
  for (const auto& [host_header, target, host] : {
           row{"Dav.Example.com:8080", "/x", "dav.example.com:8080"},
           row{"ignored.example", "http://Other.Example:81/x", "other.example:81"},
           row{"h", "https://user@Other.example/x?y", "other.example"},
           row{"h.example", "*", "h.example"},
           row{"", "/", ""},
       }) {
    CAPTURE(host_header);
    CAPTURE(target);
    CHECK(request_host(host_header, target) == host);
  }
}

TEST_CASE("routes: host, method and path must all match and the first such route wins") {
  check_selected(
      {
          host_route({"dav.example.com"}, "/", "dav"),
          host_route({"*.example.com"}, "/api", "api-write", {"PUT", "POST", "DELETE"}),
          host_route({"*.example.com"}, "/api", "api-read"),
          host_route({}, "/", "catch-all"),
      },
      {
          {"dav.example.com", "PROPFIND", "/x", "dav"},
          {"dav.example.com:443", "PUT", "/api/x", "dav"},  // first match
          {"www.example.com", "PUT", "/api/x", "api-write"},
          {"www.example.com", "GET", "/api/x", "api-read"},
          {"www.example.com", "put", "/api/x", "api-read"},  // methods are case-sensitive
          {"www.example.com", "GET", "/other", "catch-all"},
          {"example.org", "PUT", "/api/x", "catch-all"},
      });
}

TEST_CASE("routes: no match gives nullptr, or the route marked default wherever it stands") {
  std::vector<route_config> routes{host_route({"a.example"}, "/", "a"), host_route({"b.example"}, "/", "b")};
  CHECK(select_route(routes, "c.example", "GET", "/") == nullptr);
  routes[1].is_default = true;
  check_selected(routes, {{"c.example", "GET", "/", "b"}, {"a.example", "GET", "/", "a"}, {"", "GET", "/", "b"}});
}

TEST_CASE("routes: a route with several hosts matches any of them") {
  check_selected({host_route({"a.example", "*.b.example"}, "/", "ab")}, {
                                                                            {"a.example", "GET", "/", "ab"},
                                                                            {"x.b.example", "GET", "/", "ab"},
                                                                            {"b.example", "GET", "/", "<none>"},
                                                                        });
}

TEST_CASE("routes: select_route applies the path rules of match_route") {
  check_selected({route("/dav", "dav"), route("/", "files")}, {
                                                                  {"h", "GET", "/davx", "files"},
                                                                  {"h", "GET", "http://h/dav/x", "dav"},
                                                                  {"h", "OPTIONS", "*", "files"},
                                                              });
}
