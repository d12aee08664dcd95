// Unit tests for holdon's route table: request target -> path -> first matching route.
#include <doctest/doctest.h>

#include <string>
#include <vector>

#include "holdon/config.hpp"
#include "holdon/route_table.hpp"

using namespace holdon;

namespace {

route_config route(std::string prefix, std::string upstream) {
  route_config r;
  r.path_prefix = std::move(prefix);
  r.upstream = std::move(upstream);
  return r;
}

// The upstream name of the route a target lands on, or "<none>".
std::string routed(const std::vector<route_config>& routes, std::string_view target) {
  const route_config* r = match_route(routes, target);
  return r ? r->upstream : "<none>";
}

}  // namespace

// ---------------------------------------------------------------- target_path

TEST_CASE("routes: an origin-form target is its own path, query included") {
  CHECK(target_path("/") == "/");
  CHECK(target_path("/dav/file.txt") == "/dav/file.txt");
  CHECK(target_path("/a?b=c") == "/a?b=c");
}

TEST_CASE("routes: an absolute-form target is reduced to its path and query") {
  CHECK(target_path("http://h:1/a?b") == "/a?b");
  CHECK(target_path("http://dav.example/dav/x") == "/dav/x");
  CHECK(target_path("https://[::1]:8443/p") == "/p");
}

TEST_CASE("routes: an absolute-form target without a path has the path /") {
  CHECK(target_path("http://h") == "/");
  CHECK(target_path("http://h:8080") == "/");
}

TEST_CASE("routes: the asterisk-form target stays *") { CHECK(target_path("*") == "*"); }

// ---------------------------------------------------------------- prefix_matches

TEST_CASE("routes: prefix /dav matches /dav, /dav/x and /dav?q but not /davx") {
  CHECK(prefix_matches("/dav", "/dav"));
  CHECK(prefix_matches("/dav", "/dav/"));
  CHECK(prefix_matches("/dav", "/dav/x"));
  CHECK(prefix_matches("/dav", "/dav/x/y?z"));
  CHECK(prefix_matches("/dav", "/dav?q"));
  CHECK_FALSE(prefix_matches("/dav", "/davx"));
  CHECK_FALSE(prefix_matches("/dav", "/da"));
  CHECK_FALSE(prefix_matches("/dav", "/"));
  CHECK_FALSE(prefix_matches("/dav", "/other/dav"));
  CHECK_FALSE(prefix_matches("/dav", "/DAV"));  // paths are case-sensitive
}

TEST_CASE("routes: a prefix ending in / matches everything below it") {
  CHECK(prefix_matches("/dav/", "/dav/"));
  CHECK(prefix_matches("/dav/", "/dav/x"));
  CHECK(prefix_matches("/dav/", "/dav/x/y"));
  CHECK_FALSE(prefix_matches("/dav/", "/dav"));
  CHECK_FALSE(prefix_matches("/dav/", "/davx/y"));
}

TEST_CASE("routes: prefix / matches every path") {
  for (auto p : {"/", "/x", "/dav/x?y", "/?q"}) {
    CAPTURE(p);
    CHECK(prefix_matches("/", p));
  }
}

// ---------------------------------------------------------------- match_route

TEST_CASE("routes: the first matching route wins, in configuration order") {
  std::vector<route_config> routes{route("/dav", "dav"), route("/dav/special", "special"),
                                   route("/", "files")};
  CHECK(routed(routes, "/dav/special/x") == "dav");  // not the longest prefix: the first
  CHECK(routed(routes, "/dav") == "dav");
  CHECK(routed(routes, "/davx") == "files");
  CHECK(routed(routes, "/index.html") == "files");

  std::vector<route_config> catch_all_first{route("/", "files"), route("/dav", "dav")};
  CHECK(routed(catch_all_first, "/dav/x") == "files");
}

TEST_CASE("routes: the matched pointer refers to the route in the table") {
  std::vector<route_config> routes{route("/a", "a"), route("/b", "b")};
  CHECK(match_route(routes, "/b/1") == &routes[1]);
  CHECK(match_route(routes, "/a") == &routes[0]);
}

TEST_CASE("routes: no matching route gives nullptr") {
  std::vector<route_config> routes{route("/dav", "dav"), route("/api/", "api")};
  CHECK(match_route(routes, "/other") == nullptr);
  CHECK(match_route(routes, "/api") == nullptr);
  CHECK(match_route(routes, "/davx") == nullptr);
  CHECK(match_route({}, "/") == nullptr);
}

TEST_CASE("routes: absolute-form targets are routed by their path") {
  std::vector<route_config> routes{route("/dav", "dav"), route("/", "files")};
  CHECK(routed(routes, "http://dav.example:8080/dav/x?y") == "dav");
  CHECK(routed(routes, "http://dav.example/davx") == "files");
  CHECK(routed(routes, "http://dav.example") == "files");
}

TEST_CASE("routes: an absolute-form target without a path keeps its query under /") {
  // RFC 3986 §3.2: the authority ends at the first "/", "?" or "#"; RFC 9112 §3.2.1:
  // an empty path becomes "/". The exchange sends target_path() upstream as the target.
  CHECK(target_path("http://h?q=1") == "/?q=1");
  CHECK(target_path("http://h:8080?x=/dav") == "/?x=/dav");
}

TEST_CASE("routes: a slash in the query of a path-less absolute-form target is not its path") {
  // "http://h?x=/dav" has the path "/", so it must not land on the /dav route.
  std::vector<route_config> routes{route("/dav", "dav"), route("/", "files")};
  CHECK(routed(routes, "http://h?x=/dav") == "files");
}

TEST_CASE("routes: OPTIONS * reaches only a catch-all route") {
  CHECK(routed({route("/dav", "dav")}, "*") == "<none>");
  CHECK(routed({route("/dav", "dav"), route("/", "files")}, "*") == "files");
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
std::string selected(const std::vector<route_config>& routes, std::string_view host, std::string_view method,
                     std::string_view target) {
  const route_config* r = select_route(routes, host, method, target);
  return r ? r->upstream : "<none>";
}
}  // namespace

TEST_CASE("routes: an exact host matches case-insensitively on any port, a trailing dot ignored") {
  CHECK(host_matches("dav.example.com", "dav.example.com"));
  CHECK(host_matches("dav.example.com", "DAV.Example.COM"));
  CHECK(host_matches("DAV.example.com", "dav.example.com:8443"));
  CHECK(host_matches("dav.example.com", "dav.example.com."));
  CHECK(host_matches("dav.example.com", "dav.example.com.:80"));
  CHECK_FALSE(host_matches("dav.example.com", "www.example.com"));
  CHECK_FALSE(host_matches("dav.example.com", "dav.example.com.evil"));
  CHECK_FALSE(host_matches("dav.example.com", "xdav.example.com"));
  CHECK_FALSE(host_matches("dav.example.com", ""));
}

TEST_CASE("routes: a host pattern with a port needs that port") {
  CHECK(host_matches("dav.example.com:8443", "dav.example.com:8443"));
  CHECK_FALSE(host_matches("dav.example.com:8443", "dav.example.com:443"));
  CHECK_FALSE(host_matches("dav.example.com:8443", "dav.example.com"));
}

TEST_CASE("routes: *.example.com matches subdomains at any depth but not example.com") {
  CHECK(host_matches("*.example.com", "a.example.com"));
  CHECK(host_matches("*.example.com", "a.b.example.com:8080"));
  CHECK(host_matches("*.Example.com", "A.EXAMPLE.COM"));
  CHECK_FALSE(host_matches("*.example.com", "example.com"));
  CHECK_FALSE(host_matches("*.example.com", ".example.com"));
  CHECK_FALSE(host_matches("*.example.com", "a.example.org"));
  CHECK_FALSE(host_matches("*.example.com", "aexample.com"));
}

TEST_CASE("routes: IPv6 and IPv4 literal hosts compare without their port") {
  CHECK(host_matches("[::1]", "[::1]:8080"));
  CHECK(host_matches("[::1]:8080", "[::1]:8080"));
  CHECK_FALSE(host_matches("[::1]:8080", "[::1]"));
  CHECK(host_matches("127.0.0.1", "127.0.0.1:8080"));
}

TEST_CASE("routes: the request host is the absolute-form authority, else the Host header, lower-cased") {
  CHECK(request_host("Dav.Example.com:8080", "/x") == "dav.example.com:8080");
  CHECK(request_host("ignored.example", "http://Other.Example:81/x") == "other.example:81");
  CHECK(request_host("h", "https://user@Other.example/x?y") == "other.example");
  CHECK(request_host("h.example", "*") == "h.example");
  CHECK(request_host("", "/") == "");
}

TEST_CASE("routes: host, method and path must all match and the first such route wins") {
  std::vector<route_config> routes{
      host_route({"dav.example.com"}, "/", "dav"),
      host_route({"*.example.com"}, "/api", "api-write", {"PUT", "POST", "DELETE"}),
      host_route({"*.example.com"}, "/api", "api-read"),
      host_route({}, "/", "catch-all"),
  };
  CHECK(selected(routes, "dav.example.com", "PROPFIND", "/x") == "dav");
  CHECK(selected(routes, "dav.example.com:443", "PUT", "/api/x") == "dav");  // first match
  CHECK(selected(routes, "www.example.com", "PUT", "/api/x") == "api-write");
  CHECK(selected(routes, "www.example.com", "GET", "/api/x") == "api-read");
  CHECK(selected(routes, "www.example.com", "put", "/api/x") == "api-read");  // methods are case-sensitive
  CHECK(selected(routes, "www.example.com", "GET", "/other") == "catch-all");
  CHECK(selected(routes, "example.org", "PUT", "/api/x") == "catch-all");
}

TEST_CASE("routes: no match gives nullptr, or the route marked default wherever it stands") {
  std::vector<route_config> routes{host_route({"a.example"}, "/", "a"), host_route({"b.example"}, "/", "b")};
  CHECK(select_route(routes, "c.example", "GET", "/") == nullptr);
  routes[1].is_default = true;
  CHECK(selected(routes, "c.example", "GET", "/") == "b");
  CHECK(selected(routes, "a.example", "GET", "/") == "a");
  CHECK(selected(routes, "", "GET", "/") == "b");
}

TEST_CASE("routes: a route with several hosts matches any of them") {
  std::vector<route_config> routes{host_route({"a.example", "*.b.example"}, "/", "ab")};
  CHECK(selected(routes, "a.example", "GET", "/") == "ab");
  CHECK(selected(routes, "x.b.example", "GET", "/") == "ab");
  CHECK(selected(routes, "b.example", "GET", "/") == "<none>");
}

TEST_CASE("routes: select_route applies the path rules of match_route") {
  std::vector<route_config> routes{route("/dav", "dav"), route("/", "files")};
  CHECK(selected(routes, "h", "GET", "/davx") == "files");
  CHECK(selected(routes, "h", "GET", "http://h/dav/x") == "dav");
  CHECK(selected(routes, "h", "OPTIONS", "*") == "files");
}
