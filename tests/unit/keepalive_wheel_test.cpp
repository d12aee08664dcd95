// Unit tests for keepalive_wheel with a fake client on a bare io_context: never early, at most
// one slot late, stale entries and dead clients dropped, one timer for many entries.
#include <doctest/doctest.h>

#include <memory>
#include <vector>

#include "holdon/keepalive_wheel.hpp"

using namespace holdon;
using namespace std::chrono_literals;
using clock_type = keepalive_wheel::clock;

namespace {
struct fake_client : wheel_client {
  std::vector<std::pair<unsigned, clock_type::time_point>> calls;
  void on_wheel_due(unsigned seq) override { calls.emplace_back(seq, clock_type::now()); }
};

// Runs the context until the wheel has nothing pending (bounded).
void run_until_idle(net::io_context& ioc, keepalive_wheel& w) {
  ioc.restart();  // a context that ran out of work stays stopped until restarted
  auto deadline = clock_type::now() + 3s;
  while (w.pending() > 0 && clock_type::now() < deadline) ioc.run_one_for(100ms);
}
}  // namespace

TEST_CASE("keepalive_wheel: an entry fires at or after its due time, at most about a slot late") {
  net::io_context ioc;
  keepalive_wheel w(ioc);
  w.set_resolution(5ms);
  auto c = std::make_shared<fake_client>();
  auto now = clock_type::now();
  w.add(c, 1, now + 30ms);
  w.add(c, 2, now + 60ms);
  CHECK(w.pending() == 2);
  run_until_idle(ioc, w);
  REQUIRE(c->calls.size() == 2);
  CHECK(c->calls[0].first == 1);
  CHECK(c->calls[0].second >= now + 30ms);
  CHECK(c->calls[1].first == 2);
  CHECK(c->calls[1].second >= now + 60ms);
  CHECK(c->calls[1].second - c->calls[0].second >= 25ms);
}

TEST_CASE("keepalive_wheel: a client that is gone is skipped; every entry of a slot fires in one wake-up") {
  net::io_context ioc;
  keepalive_wheel w(ioc);
  w.set_resolution(5ms);
  auto alive = std::make_shared<fake_client>();
  auto gone = std::make_shared<fake_client>();
  auto due = clock_type::now() + 20ms;
  for (unsigned i = 0; i < 100; ++i) w.add(alive, i, due);
  w.add(gone, 7, due);
  gone.reset();
  run_until_idle(ioc, w);
  REQUIRE(alive->calls.size() == 100);
  CHECK(alive->calls.back().second - alive->calls.front().second < 5ms);
  CHECK(w.pending() == 0);
}

TEST_CASE("keepalive_wheel: an entry due in a slot already past goes in the next one, not never") {
  net::io_context ioc;
  keepalive_wheel w(ioc);
  w.set_resolution(5ms);
  auto c = std::make_shared<fake_client>();
  w.add(c, 1, clock_type::now() + 10ms);
  run_until_idle(ioc, w);
  auto added = clock_type::now();
  w.add(c, 2, added - 50ms);  // late already (a late wake-up scheduled it in the past)
  run_until_idle(ioc, w);
  REQUIRE(c->calls.size() == 2);
  CHECK(c->calls[1].first == 2);
  CHECK(c->calls[1].second - added < 200ms);  // the next slot, not a lap (256 x 5 ms) later
}

TEST_CASE("keepalive_wheel: entries beyond one lap wait for their own lap") {
  net::io_context ioc;
  keepalive_wheel w(ioc);
  w.set_resolution(1ms);  // 256 slots: one lap is 256 ms
  auto c = std::make_shared<fake_client>();
  auto now = clock_type::now();
  w.add(c, 1, now + 300ms);  // the same slot as now + 44 ms, one lap later
  w.add(c, 2, now + 44ms);
  run_until_idle(ioc, w);
  REQUIRE(c->calls.size() == 2);
  CHECK(c->calls[0].first == 2);
  CHECK(c->calls[1].first == 1);
  CHECK(c->calls[1].second >= now + 300ms);
}
