// Wire tests for large Content-Length bodies, which holdon moves between plain TCP sockets
// with splice(2) (src/splice.cpp) rather than through its buffers: the bytes must arrive exact
// and in order, both connections must be reusable afterwards, and a body cut short must be
// seen as cut short by the client and never leave the upstream connection pooled.
#include <doctest/doctest.h>

#include "wire/wire_harness.hpp"

using namespace wire;

namespace {
// n bytes that differ from one position to the next, so a lost or repeated piece shows.
std::string pattern(std::size_t n, unsigned seed) {
  std::string s(n, '\0');
  std::uint32_t x = seed * 2654435761u + 1;
  for (auto& c : s) {
    x = x * 1664525u + 1013904223u;
    c = static_cast<char>('a' + (x >> 24) % 26);
  }
  return s;
}
}  // namespace

TEST_CASE("wire: a large response body arrives byte for byte, then both connections are reused") {
  const auto big = pattern(3 * 1024 * 1024 + 17, 1);
  fake_upstream up([&](conn& c) {
    for (int i = 0; i < 2; ++i) {
      auto req = read_head(c);
      if (req.target == "/big") {
        c.send("HTTP/1.1 200 OK\r\nContent-Length: " + std::to_string(big.size()) + "\r\n\r\n");
        send_in_pieces(c, big, 100 * 1000);
      } else {
        c.send(response(200, "after"));
      }
    }
    c.read_to_eof();
  });
  proxy px(up.port(), "");
  auto c = px.connect();
  c.send("GET /big HTTP/1.1\r\nHost: a\r\n\r\n");
  auto h = read_head(c);
  CHECK(h.status == 200);
  CHECK(h.header("Content-Length") == std::to_string(big.size()));
  CHECK(c.read_exact(big.size(), 10000ms) == big);
  c.send("GET /after HTTP/1.1\r\nHost: a\r\n\r\n");  // the same client connection
  auto h2 = read_head(c);
  CHECK(h2.status == 200);
  CHECK(read_body(c, h2) == "after");
  CHECK(up.accepted() == 1);  // and the same upstream connection
}

TEST_CASE("wire: an upstream cut off in a large body: the client gets what was sent, then the close") {
  const auto part = pattern(700 * 1000, 2);
  // The upstream closes 1.3 MB short.
  fake_upstream up(cut_off_at("/cut", "HTTP/1.1 200 OK\r\nContent-Length: 2000000\r\n\r\n", part, 64 * 1024,
                              response(200, "fine")));
  proxy px(up.port(), "");
  auto cut = head_then_eof(px.port(), get("/cut"), 10000ms);
  CHECK(cut.h.status == 200);
  CHECK(cut.body == part);  // closed by holdon: the client can tell it is short
  CHECK(eventually([&] { return px.stats().exchanges_in_flight.load() == 0; }));
  CHECK(px.stats().exchanges_failed.load() == 1);
  CHECK(round_trip(px.port(), get("/next")).body == "fine");
  CHECK(up.accepted() == 2);  // a fresh upstream connection, not the cut one
}

TEST_CASE("wire: a large request body reaches the upstream byte for byte, and keep-alive holds") {
  const auto body = pattern(2 * 1024 * 1024 + 5, 3);
  event got_all;
  std::string received;
  fake_upstream up([&](conn& c) {
    auto req = read_head(c);
    CHECK(req.method == "PUT");
    CHECK(req.header("Content-Length") == std::to_string(body.size()));
    received = c.read_exact(body.size(), 10000ms);
    got_all.set();
    c.send(response(201, "stored"));
    auto next = read_head(c);
    CHECK(next.target == "/after");
    c.send(response(200, "after"));
    c.read_to_eof();
  });
  proxy px(up.port(), "");
  auto c = px.connect();
  c.send("PUT /file HTTP/1.1\r\nHost: a\r\nContent-Length: " + std::to_string(body.size()) + "\r\n\r\n");
  send_in_pieces(c, body, 50 * 1000);
  auto h = read_head(c, 10000ms);
  CHECK(h.status == 201);
  CHECK(read_body(c, h) == "stored");
  REQUIRE(got_all.wait(1000ms));
  CHECK(received == body);
  c.send("GET /after HTTP/1.1\r\nHost: a\r\n\r\n");
  auto h2 = read_head(c);
  CHECK(read_body(c, h2) == "after");
  CHECK(up.accepted() == 1);
}

TEST_CASE("wire: a client cut off in a large upload: the upstream never gets a complete body") {
  const auto part = pattern(600 * 1000, 4);
  event upstream_done;
  std::size_t upstream_got = 0;
  fake_upstream up([&](conn& c) {
    read_head(c);
    upstream_got = c.read_to_eof(10000ms).size();  // holdon closes it: the body stays short
    upstream_done.set();
  });
  proxy px(up.port(), "");
  {
    auto c = px.connect();
    c.send("PUT /file HTTP/1.1\r\nHost: a\r\nContent-Length: 5000000\r\n\r\n");
    send_in_pieces(c, part, 64 * 1024);
  }  // the client goes away 4.4 MB short
  REQUIRE(upstream_done.wait(10000ms));
  CHECK(upstream_got <= part.size());
  CHECK(eventually([&] { return px.stats().exchanges_in_flight.load() == 0; }));
}
