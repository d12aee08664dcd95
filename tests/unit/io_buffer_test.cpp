// Unit tests for io_buffer (blocks from the worker's pool, given back when empty) and for the
// ticker's period (worker.hpp).
#include <doctest/doctest.h>

#include <atomic>
#include <cstring>
#include <string>

#include "holdon/config.hpp"
#include "holdon/io_buffer.hpp"
#include "holdon/worker.hpp"

using namespace holdon;

TEST_CASE("io_buffer: bytes survive compaction and growth; an empty buffer gives its block back") {
  buffer_pool pool;
  io_buffer b(pool);
  CHECK(b.capacity() == 0);  // nothing until the first read
  auto [p, n] = b.prepare(1);
  REQUIRE(n >= 1);
  CHECK(b.capacity() == buffer_pool::small);
  std::memcpy(p, "hello world", 11);
  b.commit(11);
  b.consume(6);
  CHECK(b.data() == "world");
  // A body relay wants a large block: the readable bytes move along.
  auto [q, m] = b.prepare(1, buffer_pool::large);
  CHECK(b.capacity() == buffer_pool::large);
  CHECK(m >= buffer_pool::large - 5);
  CHECK(b.data() == "world");
  std::memcpy(q, "!", 1);
  b.commit(1);
  CHECK(b.data() == "world!");
  b.release();  // not empty: kept
  CHECK(b.capacity() == buffer_pool::large);
  b.consume(6);
  CHECK(b.empty());
  b.release();
  CHECK(b.capacity() == 0);
  // The pool hands the same block out again: no allocation per request.
  io_buffer c(pool);
  auto [r, k] = c.prepare(1, buffer_pool::large);
  CHECK(r == q - 5);
  (void)k;
}

TEST_CASE("io_buffer: a head longer than a block grows it geometrically, keeping every byte") {
  buffer_pool pool;
  io_buffer b(pool);
  std::string all;
  for (int i = 0; i < 40; ++i) {
    auto [p, n] = b.prepare(1);
    auto chunk = std::string(std::min<std::size_t>(n, 1000), static_cast<char>('a' + i % 26));
    std::memcpy(p, chunk.data(), chunk.size());
    b.commit(chunk.size());
    all += chunk;
  }
  CHECK(b.data() == all);
  CHECK(b.capacity() >= all.size());
}

TEST_CASE("buffer_pool: counts the bytes held by buffers, and lends at most max_eager blocks to eager reads") {
  std::atomic<std::int64_t> held{0};
  buffer_pool pool(64, &held);
  {
    io_buffer a(pool), b(pool);
    a.prepare(1);
    b.prepare(1, buffer_pool::large);
    CHECK(held.load() == static_cast<std::int64_t>(buffer_pool::small + buffer_pool::large));
    a.release();  // empty: back to the pool
    CHECK(held.load() == static_cast<std::int64_t>(buffer_pool::large));
  }
  CHECK(held.load() == 0);  // a destroyed buffer gives its block back too
  for (std::size_t i = 0; i < buffer_pool::max_eager; ++i) REQUIRE(pool.lend_eager());
  CHECK_FALSE(pool.lend_eager());  // the budget is spent: the caller waits instead
  pool.end_eager();
  CHECK(pool.lend_eager());
}

TEST_CASE("worker: the ticker's period is a quarter of the shortest duration, within 5..250 ms") {
  auto c = parse_config("listen: [127.0.0.1:0]\nupstreams: {a: {servers: [127.0.0.1:1]}}\nroutes: [{upstream: a}]\n");
  CHECK(tick_interval(c) == std::chrono::milliseconds(250));  // defaults: first_after 1 s
  auto fast = parse_config(
      "listen: [127.0.0.1:0]\nupstreams: {a: {servers: [127.0.0.1:1]}}\n"
      "routes: [{upstream: a, timeouts: {connect: 80ms}}]\n");
  CHECK(tick_interval(fast) == std::chrono::milliseconds(20));
  auto tiny = parse_config(
      "listen: [127.0.0.1:0]\nupstreams: {a: {servers: [127.0.0.1:1]}}\ninterim: {every: 10ms}\n"
      "routes: [{upstream: a}]\n");
  CHECK(tick_interval(tiny) == std::chrono::milliseconds(5));
}
