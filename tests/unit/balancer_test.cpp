// Unit tests for the balancer: server choice per mode and passive health over time.
#include <doctest/doctest.h>

#include <vector>

#include "holdon/balancer.hpp"

using namespace holdon;
using namespace std::chrono_literals;

namespace {
std::vector<upstream_config> one_upstream(std::size_t servers, balance_mode mode = balance_mode::round_robin,
                                          unsigned threshold = 3, duration backoff = 10s) {
  upstream_config u;
  u.name = "app";
  for (std::size_t i = 0; i < servers; ++i) u.servers.push_back({"127.0.0.1", static_cast<std::uint16_t>(9000 + i)});
  u.balance = mode;
  u.fail_threshold = threshold;
  u.fail_backoff = backoff;
  return {u};
}
const auto t0 = balancer::clock::time_point{} + 1000h;
}  // namespace

TEST_CASE("balancer: round robin cycles through the servers in order") {
  balancer b(one_upstream(3));
  std::vector<std::size_t> got;
  for (int i = 0; i < 7; ++i) got.push_back(*b.pick(0, t0));
  CHECK(got == std::vector<std::size_t>{0, 1, 2, 0, 1, 2, 0});
}

TEST_CASE("balancer: a server is out after fail_threshold consecutive failures, for fail_backoff") {
  balancer b(one_upstream(3, balance_mode::round_robin, 3, 10s));
  b.on_failure(0, 1, t0);
  b.on_failure(0, 1, t0);
  CHECK_FALSE(b.is_out(0, 1, t0));
  for (int i = 0; i < 6; ++i) b.pick(0, t0);  // two failures: still in the rotation
  b.on_failure(0, 1, t0);
  CHECK(b.is_out(0, 1, t0));
  std::vector<std::size_t> got;
  for (int i = 0; i < 4; ++i) got.push_back(*b.pick(0, t0 + 9s));
  CHECK(got == std::vector<std::size_t>{0, 2, 0, 2});
  CHECK_FALSE(b.is_out(0, 1, t0 + 10s));
  bool back = false;
  for (int i = 0; i < 3; ++i) back = back || *b.pick(0, t0 + 10s) == 1;
  CHECK(back);
}

TEST_CASE("balancer: a success resets the failure count") {
  balancer b(one_upstream(2, balance_mode::round_robin, 2, 10s));
  b.on_failure(0, 0, t0);
  b.on_success(0, 0);
  b.on_failure(0, 0, t0);
  CHECK_FALSE(b.is_out(0, 0, t0));
  b.on_failure(0, 0, t0);
  CHECK(b.is_out(0, 0, t0));
}

TEST_CASE("balancer: a server back from back-off that fails again is out again at once") {
  balancer b(one_upstream(2, balance_mode::round_robin, 3, 1s));
  for (int i = 0; i < 3; ++i) b.on_failure(0, 0, t0);
  CHECK(b.is_out(0, 0, t0 + 999ms));
  b.on_failure(0, 0, t0 + 1s);  // the trial attempt fails
  CHECK(b.is_out(0, 0, t0 + 1s + 999ms));
  b.on_success(0, 0);
  CHECK_FALSE(b.is_out(0, 0, t0 + 1s));
}

TEST_CASE("balancer: tried servers are never picked again, and all tried gives nothing") {
  balancer b(one_upstream(3));
  CHECK(*b.pick(0, t0, {0}) == 1);
  CHECK(*b.pick(0, t0, {0, 1}) == 2);
  CHECK(*b.pick(0, t0, {2, 0}) == 1);
  CHECK_FALSE(b.pick(0, t0, {0, 1, 2}).has_value());
}

TEST_CASE("balancer: when every server is out, the one whose back-off ends first is tried") {
  balancer b(one_upstream(3, balance_mode::round_robin, 1, 10s));
  b.on_failure(0, 0, t0 + 2s);
  b.on_failure(0, 1, t0);
  b.on_failure(0, 2, t0 + 1s);
  CHECK(*b.pick(0, t0 + 3s) == 1);
  CHECK(*b.pick(0, t0 + 3s, {1}) == 2);
}

TEST_CASE("balancer: least_in_flight picks the server with the fewest exchanges, ties in turn") {
  balancer b(one_upstream(3, balance_mode::least_in_flight));
  b.acquire(0, 0);
  b.acquire(0, 0);
  b.acquire(0, 1);
  CHECK(*b.pick(0, t0) == 2);
  b.acquire(0, 2);
  b.acquire(0, 2);
  CHECK(*b.pick(0, t0) == 1);
  b.release(0, 0);
  b.release(0, 0);
  CHECK(b.in_flight(0, 0) == 0);
  CHECK(*b.pick(0, t0) == 0);
  b.release(0, 0);  // never below zero
  CHECK(b.in_flight(0, 0) == 0);
}

TEST_CASE("balancer: least_in_flight spreads over idle servers instead of always the first") {
  balancer b(one_upstream(3, balance_mode::least_in_flight));
  std::vector<std::size_t> got;
  for (int i = 0; i < 3; ++i) got.push_back(*b.pick(0, t0));
  CHECK(got == std::vector<std::size_t>{0, 1, 2});
}

TEST_CASE("balancer: least_in_flight skips servers that are out") {
  balancer b(one_upstream(2, balance_mode::least_in_flight, 1, 10s));
  b.acquire(0, 1);
  b.on_failure(0, 0, t0);
  CHECK(*b.pick(0, t0) == 1);
  CHECK(*b.pick(0, t0) == 1);
}
