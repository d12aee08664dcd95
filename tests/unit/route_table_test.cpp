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
