// Wire tests: read buffers. A keep-alive client between requests and a reused upstream
// connection awaiting its response are read eagerly (eager_read.hpp: no system call to arm
// the read), each holding a block, which the next tick takes back: past it, a connection that
// is idle or waiting holds no buffer (holdon_read_buffer_bytes), and is still served.
#include <doctest/doctest.h>

#include "wire/wire_harness.hpp"

using namespace wire;

namespace {
// A tick of 10 ms (a quarter of the shortest duration); requests without a User-Agent get no 102.
const std::string short_tick = "interim: {first_after: 40ms, every: 40ms}\n";
}  // namespace

TEST_CASE("wire: a keep-alive client idle past a tick holds no read buffer, and its next request is served") {
  fake_upstream up(answer_every("ok"));
  proxy px(up.port(), short_tick);
  auto c = px.connect();
  CHECK(round_trip(c, get("/1")).h.status == 200);
  CHECK(eventually([&] { return px.stats().read_buffer_bytes.load() == 0; }));
  auto r = round_trip(c, get("/2"));  // read after a readability wait now
  CHECK(r.h.status == 200);
  CHECK(r.body == "ok");
  CHECK(up.accepted() == 1);
}

TEST_CASE("wire: a response awaited on a reused upstream connection past a tick holds no read buffer") {
  event asked, go;
  fake_upstream up([&](conn& c) {
    read_head(c);
    c.send(response(200, "first"));
    read_head(c);
    asked.set();
    go.wait(5000ms);
    c.send(response(200, "second"));
    c.read_to_eof();
  });
  proxy px(up.port(), short_tick);
  auto c = px.connect();
  CHECK(round_trip(c, get("/1")).body == "first");
  c.send(get("/2"));
  REQUIRE(asked.wait(5000ms));
  // The client's block went back when its request was forwarded; the upstream read's at a tick.
  CHECK(eventually([&] { return px.stats().read_buffer_bytes.load() == 0; }));
  CHECK(px.stats().exchanges_in_flight.load() == 1);
  go.set();
  auto h = read_head(c);
  CHECK(h.status == 200);
  CHECK(read_body(c, h) == "second");
  CHECK(up.accepted() == 1);
}
