// Unit tests for holdon::admit_request and parse_refusal: a raw head through the real parser
// and a configuration through parse_config in, the admission out.
#include <doctest/doctest.h>

#include <boost/beast/http/error.hpp>
#include <optional>
#include <string>
#include <string_view>
#include <utility>

#include "holdon/config.hpp"
#include "holdon/front.hpp"
#include "holdon/request_admission.hpp"

using namespace holdon;

namespace {

const std::string routes_yaml =
    "listen: [127.0.0.1:8080]\n"
    "upstreams: {app: {servers: [127.0.0.1:8081]}}\n"
    "routes:\n"
    "  - {host: a.example, path_prefix: /dav, upstream: app}\n"
    "  - {host: b.example, path_prefix: /dav, upstream: app}\n"
    "  - {methods: [GET], path_prefix: /files, upstream: app}\n";

// Parses `raw` (a complete head) and admits it; `peer`: the TCP peer, a declared front or not.
// The head's fields (and so admission::proxy_sign) view `raw`: it lives as long as the admission.
struct admitted {
  std::string raw;
  request_parser parser;
  admission a;
  admitted(std::string raw_head, const config& c, std::string_view peer = "192.0.2.1")
      : raw(std::move(raw_head)) {
    error_code ec;
    parser.parse_head(raw, ec);
    REQUIRE_FALSE(ec);
    a = admit_request(parser.head(), c, find_front(c.fronts, peer), peer);
  }
};

std::string head(std::string_view request_line, std::string_view fields) {
  return std::string(request_line) + "\r\n" + std::string(fields) + "\r\n";
}

}  // namespace

TEST_CASE("admission: parse errors become 431, 413 or 400; none is no refusal") {
  namespace http = boost::beast::http;
  CHECK(parse_refusal({}).status == 0);
  CHECK(parse_refusal(http::error::header_limit).status == 431);
  CHECK(parse_refusal(http::error::body_limit).status == 413);
  auto bad = parse_refusal(http::error::bad_method);
  CHECK(bad.status == 400);
  CHECK(bad.why.rfind("malformed request: ", 0) == 0);
}

TEST_CASE("admission: version, Host, framing and route refusals, in that order") {
  auto c = parse_config(routes_yaml);
  struct row {
    const char* line;
    const char* fields;
    unsigned status;
  };
  const row rows[] = {
      {"GET /dav/x HTTP/1.1", "Host: a.example\r\n", 0},
      {"GET /dav/x HTTP/1.0", "", 404},                                   // no Host: no host route
      {"GET /files/x HTTP/1.0", "", 0},                                   // HTTP/1.0 needs no Host
      {"GET /dav/x HTTP/1.2", "Host: a.example\r\n", 505},
      {"GET /dav/x HTTP/1.1", "", 400},                                   // HTTP/1.1 without Host
      {"GET /dav/x HTTP/1.1", "Host: a.example\r\nHost: b.example\r\n", 400},
      {"PUT /dav/x HTTP/1.1", "Host: a.example\r\nContent-Length: 1\r\nTransfer-Encoding: chunked\r\n", 400},
      {"PUT /dav/x HTTP/1.1", "Host: a.example\r\nTransfer-Encoding: gzip, chunked\r\n", 501},
      {"CONNECT a.example:443 HTTP/1.1", "Host: a.example\r\n", 405},
      {"GET /dav/x HTTP/1.1", "Host: c.example\r\n", 404},                // no route for that host
      {"PUT /files/x HTTP/1.1", "Host: c.example\r\nContent-Length: 0\r\n", 404},  // method not routed
      {"HEAD /dav/x HTTP/1.2", "", 505},                                  // the version is told first
  };
  for (const auto& r : rows) {
    CAPTURE(r.line);
    CAPTURE(r.fields);
    admitted x(head(r.line, r.fields), c);
    CHECK(x.a.refused.status == r.status);
    CHECK((x.a.route != nullptr) == (r.status == 0));
    if (r.status) CHECK_FALSE(x.a.refused.why.empty());
  }
}

TEST_CASE("admission: host routing, an absolute-form target's authority over Host") {
  auto c = parse_config(routes_yaml);
  CHECK(admitted(head("GET /dav/x HTTP/1.1", "Host: a.example\r\n"), c).a.route == &c.routes[0]);
  CHECK(admitted(head("GET /dav/x HTTP/1.1", "Host: B.Example:80\r\n"), c).a.route == &c.routes[1]);
  CHECK(admitted(head("GET http://b.example/dav/x HTTP/1.1", "Host: b.example\r\n"), c).a.route == &c.routes[1]);
  CHECK(admitted(head("GET /files/x HTTP/1.1", "Host: z.example\r\n"), c).a.route == &c.routes[2]);
}

TEST_CASE("admission: the interim decision follows the User-Agent, HTTP/1.0 and proxy signs") {
  auto c = parse_config(routes_yaml);
  auto with = [&](std::string_view fields, std::string_view line = "PROPFIND /dav/x HTTP/1.1") {
    return admitted(head(line, "Host: a.example\r\n" + std::string(fields)), c).a;
  };
  CHECK(with("User-Agent: curl/7.88.1\r\n").interim.keepalive);
  CHECK_FALSE(with("User-Agent: python-requests/2.28.1\r\n").interim.keepalive);
  CHECK_FALSE(with("").interim.keepalive);  // unknown means no 102
  CHECK_FALSE(with("User-Agent: curl/7.88.1\r\n", "PROPFIND /dav/x HTTP/1.0").interim.keepalive);
  // The first User-Agent counts.
  CHECK(with("User-Agent: curl/7.88.1\r\nUser-Agent: python-requests/2.28.1\r\n").interim.keepalive);
  CHECK(with("User-Agent: curl/7.88.1\r\nExpect: 100-continue\r\n").interim.forward_continue);

  admitted proxied_head(head("PROPFIND /dav/x HTTP/1.1", "Host: a.example\r\nUser-Agent: curl/7.88.1\r\nVia: 1.1 lb\r\n"), c);
  const auto& proxied = proxied_head.a;
  CHECK_FALSE(proxied.interim.keepalive);
  CHECK(proxied.interim.undeclared_proxy);
  CHECK(iequals_ascii(proxied.proxy_sign, "Via"));
  CHECK(proxied.end_client.empty());
}

TEST_CASE("admission: behind a declared front, its kind decides and X-Forwarded-For names the client") {
  auto c = parse_config(routes_yaml + "fronts:\n  - {addresses: [127.0.0.1], kind: nginx}\n"
                                      "  - {addresses: [127.0.0.2], kind: none}\n");
  auto fields = "Host: a.example\r\nUser-Agent: curl/7.88.1\r\nVia: 1.1 lb\r\nX-Forwarded-For: 198.51.100.7\r\n";
  admitted via_nginx_head(head("PROPFIND /dav/x HTTP/1.1", fields), c, "127.0.0.1");
  const auto& via_nginx = via_nginx_head.a;
  CHECK(via_nginx.refused.status == 0);
  CHECK_FALSE(via_nginx.interim.undeclared_proxy);  // declared: its Via is expected
  CHECK(via_nginx.proxy_sign.empty());
  CHECK(via_nginx.end_client == "198.51.100.7");
  // kind none: declared, but its forwarded fields are not believed.
  auto untrusted = admitted(head("PROPFIND /dav/x HTTP/1.1", fields), c, "127.0.0.2").a;
  CHECK(untrusted.end_client.empty());
  // Not a front at all: the same request is an undeclared proxy's.
  auto stranger = admitted(head("PROPFIND /dav/x HTTP/1.1", fields), c, "127.0.0.3").a;
  CHECK(stranger.interim.undeclared_proxy);
  CHECK(stranger.end_client.empty());
}
