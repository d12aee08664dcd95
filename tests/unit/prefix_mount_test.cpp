// Unit tests for holdon::prefix_mount: paths and URLs between a public prefix (and origin)
// and the upstream's.
#include <doctest/doctest.h>

#include "holdon/prefix_mount.hpp"

using namespace holdon;

namespace {
const prefix_mount dav{"/dav/", "/", ""};                 // /dav/x <-> /x
const prefix_mount app{"/files", "/remote.php/dav", ""};  // no trailing slashes
const prefix_mount pub{"/dav/", "/", "https://files.example.com"};
const prefix_mount origin_only{"/", "", "https://files.example.com:8443"};
const prefix_mount none{"/", "", ""};
constexpr const char* host = "127.0.0.1:8080";   // what the client sent in Host
constexpr const char* up = "127.0.0.1:18080";    // the upstream's address
}  // namespace

TEST_CASE("prefix_mount: request paths move from the public prefix to the upstream's") {
  CHECK(path_to_upstream(dav, "/dav/") == "/");
  CHECK(path_to_upstream(dav, "/dav/litmus/a?x=1") == "/litmus/a?x=1");
  CHECK(path_to_upstream(dav, "/dav/?q") == "/?q");
  CHECK(path_to_upstream(app, "/files") == "/remote.php/dav");
  CHECK(path_to_upstream(app, "/files/a/b") == "/remote.php/dav/a/b");
  CHECK(path_to_upstream(app, "/filesx") == "/filesx");  // not under the prefix: unchanged
  CHECK(path_to_upstream(none, "/dav/a") == "/dav/a");
  CHECK(path_to_upstream(prefix_mount{"/my dir/", "/", ""}, "/my%20dir/a") == "/a");
  CHECK(path_to_upstream(prefix_mount{"/dav/", "/my dir/", ""}, "/dav/a") == "/my%20dir/a");
}

TEST_CASE("prefix_mount: upstream paths move back under the public prefix") {
  CHECK(path_to_public(dav, "/") == "/dav/");
  CHECK(path_to_public(dav, "/litmus/a%20b") == "/dav/litmus/a%20b");
  CHECK(path_to_public(app, "/remote.php/dav") == "/files");
  CHECK(path_to_public(app, "/remote.php/dav/a") == "/files/a");
  CHECK_FALSE(path_to_public(app, "/remote.php/davx").has_value());
  CHECK_FALSE(path_to_public(app, "/other").has_value());
  // Percent-encoded on the wire, decoded in the config: still a match.
  CHECK(path_to_public(prefix_mount{"/dav/", "/remote dir/", ""}, "/remote%20dir/x") == "/dav/x");
  CHECK(path_to_public(prefix_mount{"/dav/", "/remote dir/", ""}, "/remote%2fdir/x") == std::nullopt);
}

TEST_CASE("prefix_mount: match_prefix decodes the path, not the prefix, and respects segments") {
  CHECK(match_prefix("/dav", "/dav") == 4u);
  CHECK(match_prefix("/dav", "/dav/x") == 4u);
  CHECK(match_prefix("/dav", "/dav?q") == 4u);
  CHECK_FALSE(match_prefix("/dav", "/davx").has_value());
  CHECK(match_prefix("/dav/", "/%64av/x") == 7u);
  CHECK_FALSE(match_prefix("/dav/", "/da").has_value());
  CHECK_FALSE(match_prefix("/dav/", "/dav%").has_value());
}

TEST_CASE("prefix_mount: split_url and same_origin") {
  auto u = split_url("https://Files.Example.com:443/a?b");
  REQUIRE(u);
  CHECK(u->scheme == "https");
  CHECK(u->authority == "Files.Example.com:443");
  CHECK(u->path == "/a?b");
  CHECK(split_url("http://h")->path == "/");
  CHECK(split_url("/p")->scheme.empty());
  CHECK_FALSE(split_url("p").has_value());
  CHECK_FALSE(split_url("http:///p").has_value());
  CHECK(same_origin("https", "files.example.com:443", "HTTPS", "FILES.example.com"));
  CHECK(same_origin("http", "h:80", "http", "h"));
  CHECK_FALSE(same_origin("http", "h:443", "https", "h"));
  CHECK_FALSE(same_origin("http", "h:8080", "http", "h"));
}

TEST_CASE("prefix_mount: Destination naming holdon goes to the upstream's origin and prefix") {
  CHECK(url_to_upstream(dav, "http://127.0.0.1:8080/dav/a", host, up) == "http://127.0.0.1:18080/a");
  CHECK(url_to_upstream(dav, "/dav/a%20b", host, up) == "http://127.0.0.1:18080/a%20b");
  CHECK(url_to_upstream(pub, "https://files.example.com/dav/x/", host, up) == "http://127.0.0.1:18080/x/");
  CHECK(url_to_upstream(pub, "https://files.example.com:443/dav/x", host, up) == "http://127.0.0.1:18080/x");
  CHECK(url_to_upstream(origin_only, "https://files.example.com:8443/a", "files.example.com:8443", up) ==
        "http://127.0.0.1:18080/a");
  // Another server: left alone (the upstream refuses a cross-server COPY itself).
  CHECK(url_to_upstream(dav, "http://elsewhere/dav/a", host, up) == "http://elsewhere/dav/a");
  CHECK(url_to_upstream(origin_only, "https://files.example.com/a", host, up) == "https://files.example.com/a");
  CHECK(url_to_upstream(dav, "not a url", host, up) == "not a url");
}

TEST_CASE("prefix_mount: Location and hrefs from the upstream go back to the public side") {
  CHECK(url_to_public(dav, "/litmus/", host, up) == "/dav/litmus/");
  CHECK(url_to_public(dav, "http://127.0.0.1:8080/litmus/a", host, up) == "http://127.0.0.1:8080/dav/litmus/a");
  CHECK(url_to_public(dav, "http://127.0.0.1:18080/a", host, up) == "http://127.0.0.1:8080/dav/a");
  CHECK(url_to_public(pub, "http://127.0.0.1:18080/a", host, up) == "https://files.example.com/dav/a");
  CHECK(url_to_public(pub, "http://127.0.0.1:8080/a", host, up) == "https://files.example.com/dav/a");
  CHECK(url_to_public(dav, "http://elsewhere/a", host, up) == "http://elsewhere/a");
  CHECK(url_to_public(app, "/outside", host, up) == "/outside");
  CHECK(url_to_public(none, "/a", host, up) == "/a");
}

TEST_CASE("prefix_mount: If header resource tags are mapped, state tokens and etags are not") {
  CHECK(if_header_to_upstream(dav, "<http://127.0.0.1:8080/dav/lockme> (<opaquelocktoken:1234>)", host, up) ==
        "<http://127.0.0.1:18080/lockme> (<opaquelocktoken:1234>)");
  CHECK(if_header_to_upstream(dav, "(<opaquelocktoken:1> [\"e<t>ag\"]) (Not <DAV:no-lock>)", host, up) ==
        "(<opaquelocktoken:1> [\"e<t>ag\"]) (Not <DAV:no-lock>)");
  CHECK(if_header_to_upstream(dav, "</dav/a> (<t:1>) </dav/b> ([W/\"x\"])", host, up) ==
        "<http://127.0.0.1:18080/a> (<t:1>) <http://127.0.0.1:18080/b> ([W/\"x\"])");
  CHECK(if_header_to_upstream(dav, "<unterminated", host, up) == "<unterminated");
}

// ---------------------------------------------------------------- schemes follow TLS

TEST_CASE("prefix_mount: over HTTPS, a Destination naming holdon by https goes to the upstream") {
  // The client spoke TLS to holdon: https://HOST is holdon itself, http://HOST is not.
  CHECK(url_to_upstream(dav, "https://127.0.0.1:8080/dav/a", host, up, "https") == "http://127.0.0.1:18080/a");
  CHECK(url_to_upstream(dav, "http://127.0.0.1:8080/dav/a", host, up, "https") == "http://127.0.0.1:8080/dav/a");
  CHECK(url_to_upstream(dav, "https://127.0.0.1:8080/dav/a", host, up) == "https://127.0.0.1:8080/dav/a");
}

TEST_CASE("prefix_mount: a TLS upstream gets https URLs and its https URLs are its own") {
  CHECK(url_to_upstream(dav, "/dav/a", host, up, "https", "https") == "https://127.0.0.1:18080/a");
  CHECK(url_to_public(dav, "https://127.0.0.1:18080/a", host, up, "https", "https") == "https://127.0.0.1:8080/dav/a");
  CHECK(url_to_public(dav, "http://127.0.0.1:18080/a", host, up, "https", "https") == "http://127.0.0.1:18080/a");
}

TEST_CASE("prefix_mount: URLs going back to an HTTPS client use https") {
  CHECK(url_to_public(dav, "http://127.0.0.1:18080/a", host, up, "https") == "https://127.0.0.1:8080/dav/a");
  CHECK(url_to_public(dav, "http://127.0.0.1:18080/a", host, up) == "http://127.0.0.1:8080/dav/a");
  CHECK(if_header_to_upstream(dav, "<https://127.0.0.1:8080/dav/a> (<opaquelocktoken:x>)", host, up, "https") ==
        "<http://127.0.0.1:18080/a> (<opaquelocktoken:x>)");
}

// ---------------------------------------------------------------- the fields of one exchange

TEST_CASE("prefix_mount: map_request_fields maps Destination and If, and only those still forwarded") {
  header_fields client;
  client.insert("Host", "127.0.0.1:8080");
  client.insert("Destination", "http://127.0.0.1:8080/dav/b");
  client.insert("If", "</dav/a> (<opaquelocktoken:1>)");
  header_fields up_fields;
  up_fields.assign(client);
  map_request_fields(dav, {host, up}, client, up_fields);
  CHECK(up_fields["Destination"] == "http://127.0.0.1:18080/b");
  CHECK(up_fields["If"] == "<http://127.0.0.1:18080/a> (<opaquelocktoken:1>)");
  CHECK(up_fields["Host"] == "127.0.0.1:8080");
  header_fields dropped;  // Destination was removed on the way (a Connection token, say)
  dropped.insert("Host", "127.0.0.1:8080");
  map_request_fields(dav, {host, up}, client, dropped);
  CHECK(dropped.find("Destination") == dropped.end());
}

TEST_CASE("prefix_mount: map_response_fields maps Location and says when the body is XML to rewrite") {
  struct row {
    const char* type;
    const char* encoding;
    bool xml;
  };
  for (auto [type, encoding, xml] : {row{"application/xml; charset=utf-8", "", true}, row{"text/xml", "identity", true},
                                     row{"application/davmount+xml", "", true}, row{"application/xml", "gzip", false},
                                     row{"text/html", "", false}, row{"", "", false}}) {
    CAPTURE(type);
    header_fields f;
    f.insert("Location", "http://127.0.0.1:18080/a");
    if (*type) f.insert("Content-Type", type);
    if (*encoding) f.insert("Content-Encoding", encoding);
    CHECK(map_response_fields(dav, {host, up}, f) == xml);
    CHECK(f["Location"] == "http://127.0.0.1:8080/dav/a");
  }
}
