// Wire tests for prefix mounts: holdon in-process between a raw client and a scripted
// upstream, with a route /dav/ -> / (README "Prefix mounts"). Asserts the bytes the
// upstream receives (target, Destination, If) and the bytes the client receives
// (Location, re-framed XML body with mapped hrefs, untouched non-XML bodies).
#include <doctest/doctest.h>

#include "wire/wire_harness.hpp"

using namespace wire;

namespace {

// holdon with a prefix-mounted route in front of the plain one (the shared harness only
// makes a single "/" route).
std::string mount_yaml(std::uint16_t upstream_port, const std::string& route_extra, const std::string& extra_yaml) {
  return "listen: [127.0.0.1:0]\nthreads: 1\nupstreams:\n  app: {servers: [127.0.0.1:" + std::to_string(upstream_port) +
         "]}\nroutes:\n  - {path_prefix: /dav/, upstream: app, upstream_prefix: /" + route_extra +
         "}\n  - {path_prefix: /, upstream: app}\nlog: {access: off}\n" + extra_yaml;
}

class mount_proxy : public proxy {
 public:
  mount_proxy(std::uint16_t upstream_port, const std::string& route_extra, const std::string& extra_yaml = "")
      : proxy(mount_yaml(upstream_port, route_extra, extra_yaml)) {}
};

const std::string body_part1 =
    "<?xml version=\"1.0\"?>\n<D:multistatus xmlns:D=\"DAV:\"><D:response><D:href>/lit";
const std::string body_part2 =
    "mus/a%20b</D:href></D:response><D:response><D:href>http://127.0.0.1:UP/c</D:href>"
    "</D:response></D:multistatus>\n";

// The upstream: records the request head, answers a 207 XML body in two writes (an href
// split between them) with Content-Length, and a Location naming itself.
std::string serve_207(conn& c, std::uint16_t own_port, const std::string& status_line = "HTTP/1.1 207 Multi-Status") {
  auto req = read_head(c);
  auto p2 = body_part2;
  p2.replace(p2.find("UP"), 2, std::to_string(own_port));
  c.send(status_line + "\r\nContent-Type: application/xml; charset=utf-8\r\nContent-Length: " +
         std::to_string(body_part1.size() + p2.size()) + "\r\nLocation: http://127.0.0.1:" +
         std::to_string(own_port) + "/litmus/\r\n\r\n" + body_part1);
  std::this_thread::sleep_for(30ms);  // let holdon relay the first part alone
  c.send(p2);
  return req.raw;
}
}  // namespace

TEST_CASE("wire: a prefix mount maps target, Destination and If up, Location and hrefs down") {
  std::string seen;
  event seen_set;  // serve_207 returns after the last byte is sent: the client may be done first
  std::atomic<std::uint16_t> up_port{0};
  fake_upstream up([&](conn& c) {
    seen = serve_207(c, up_port.load());
    seen_set.set();
    c.read_to_eof();
  });
  up_port = up.port();
  mount_proxy px(up.port(), "");
  auto c = px.connect();
  c.send("COPY /dav/litmus/a%20b HTTP/1.1\r\nHost: 127.0.0.1:" + std::to_string(px.port()) +
         "\r\nUser-Agent: t\r\nDestination: http://127.0.0.1:" + std::to_string(px.port()) +
         "/dav/litmus/c\r\nIf: </dav/litmus/a%20b> (<opaquelocktoken:x>)\r\nContent-Length: 0\r\n\r\n");
  auto h = read_head(c);
  auto body = read_body(c, h);
  CHECK(h.status == 207);
  CHECK(h.header("Content-Length").empty());  // the length changed: re-framed
  CHECK(h.header("Transfer-Encoding") == "chunked");
  CHECK(h.header("Location") == "http://127.0.0.1:" + std::to_string(px.port()) + "/dav/litmus/");
  CHECK(body ==
        "<?xml version=\"1.0\"?>\n<D:multistatus xmlns:D=\"DAV:\"><D:response><D:href>/dav/litmus/a%20b</D:href>"
        "</D:response><D:response><D:href>http://127.0.0.1:" + std::to_string(px.port()) +
        "/dav/c</D:href></D:response></D:multistatus>\n");
  auto up_s = std::to_string(up.port());
  REQUIRE(seen_set.wait(5000ms));
  CHECK(seen.rfind("COPY /litmus/a%20b HTTP/1.1\r\n", 0) == 0);
  CHECK(seen.find("Destination: http://127.0.0.1:" + up_s + "/litmus/c\r\n") != std::string::npos);
  CHECK(seen.find("If: <http://127.0.0.1:" + up_s + "/litmus/a%20b> (<opaquelocktoken:x>)\r\n") != std::string::npos);
}

TEST_CASE("wire: a mapped XML body goes to an HTTP/1.0 client delimited by close") {
  std::atomic<std::uint16_t> up_port{0};
  fake_upstream up([&](conn& c) {
    serve_207(c, up_port.load());
    c.read_to_eof();
  });
  up_port = up.port();
  mount_proxy px(up.port(), "");
  auto c = px.connect();
  c.send("PROPFIND /dav/ HTTP/1.0\r\nHost: h\r\nDepth: 1\r\n\r\n");
  auto h = read_head(c);
  CHECK(h.start == "HTTP/1.1 207 Multi-Status");
  CHECK(h.header("Content-Length").empty());
  CHECK(h.header("Transfer-Encoding").empty());
  auto body = c.read_to_eof();  // holdon closes after the body: the only framing 1.0 has
  CHECK(body.find("<D:href>/dav/litmus/a%20b</D:href>") != std::string::npos);
  CHECK(body.find("<D:href>http://h/dav/c</D:href>") != std::string::npos);
}

TEST_CASE("wire: a non-XML body on a mounted route is relayed byte for byte with its length") {
  const std::string payload = "<D:href xmlns:D=\"DAV:\">/not/rewritten</D:href>";
  recording_upstream rec(response(200, payload, "Content-Type: text/plain\r\n"));
  mount_proxy px(rec.up.port(), "");
  auto c = px.connect();
  c.send("GET /dav/file.txt HTTP/1.1\r\nHost: h\r\nUser-Agent: t\r\nDestination: http://elsewhere/x\r\n\r\n");
  auto h = read_head(c);
  CHECK(h.header("Content-Length") == std::to_string(payload.size()));
  CHECK(read_body(c, h) == payload);
  REQUIRE(rec.seen_set.wait(5000ms));
  CHECK(rec.seen.rfind("GET /file.txt HTTP/1.1\r\n", 0) == 0);
  CHECK(rec.seen.find("Destination: http://elsewhere/x\r\n") != std::string::npos);  // another server: left alone
}

TEST_CASE("wire: public_origin turns a public https Destination into the upstream's origin") {
  recording_upstream rec(response(201, "", "Location: http://files.example.com/x\r\n"));
  mount_proxy px(rec.up.port(), ", public_origin: 'https://files.example.com'");
  auto c = px.connect();
  c.send("MOVE /dav/a HTTP/1.1\r\nHost: files.example.com\r\nUser-Agent: t\r\n"
         "Destination: https://files.example.com/dav/b\r\n\r\n");
  auto h = read_head(c);
  CHECK(h.status == 201);
  CHECK(h.header("Location") == "https://files.example.com/dav/x");
  REQUIRE(rec.seen_set.wait(5000ms));
  CHECK(rec.seen.find("Destination: http://127.0.0.1:" + std::to_string(rec.up.port()) + "/b\r\n") != std::string::npos);
}

TEST_CASE("wire: first_after 0 sends one 102 before even an immediate answer") {
  fake_upstream up([&](conn& c) {
    try {
      for (;;) {  // pooled: one upstream connection serves the requests one after another
        read_head(c);
        c.send(response(207, "<x/>"));  // at once
      }
    } catch (const std::exception&) {  // holdon closed the connection
    }
  });
  mount_proxy px(up.port(), "", "interim: {mode: always, first_after: 0ms, every: 10s}\n");
  for (int i = 0; i < 20; ++i) {
    auto c = px.connect();
    c.send("PROPFIND / HTTP/1.1\r\nHost: h\r\nContent-Length: 0\r\n\r\n");
    auto first = read_head(c);
    CHECK(first.raw == "HTTP/1.1 102 Processing\r\n\r\n");
    auto h = read_head(c);
    CHECK(h.status == 207);
  }
  CHECK(px.stats().keepalive_sent.load() == 20);
}
