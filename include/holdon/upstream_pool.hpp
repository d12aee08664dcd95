// upstream_pool: per-thread idle keep-alive connections, per upstream. No locks: only
// the owning worker thread touches it. A connection is either leased by exactly one
// exchange (unique_ptr) or idle here; only complete, clean exchanges give it back.
#pragma once
#include <atomic>
#include <chrono>
#include <cstdint>
#include <memory>
#include <vector>

#include "holdon/io_buffer.hpp"
#include "holdon/net.hpp"
#include "holdon/stream.hpp"

namespace holdon {

struct upstream_conn {
  upstream_conn(const net::any_io_executor& ex, buffer_pool& buffers) : socket(ex), buffer(buffers) {}
  upstream_conn(const net::any_io_executor& ex, net::ssl::context& tls, buffer_pool& buffers)
      : socket(ex, tls), buffer(buffers) {}
  stream socket;     // plain or TLS (the upstream's `tls` section)
  io_buffer buffer;  // leftover bytes: must be empty to be pooled (and then holds no block)
  std::size_t upstream = 0;
  std::size_t server = 0;
  unsigned requests = 0;  // > 0: reused (a stale keep-alive connection may fail once)
  std::chrono::steady_clock::time_point idle_since;
};

class upstream_pool {
 public:
  // `pooled` (optional) tracks the number of idle connections, for /metrics.
  explicit upstream_pool(std::size_t upstreams, std::size_t max_idle_per_upstream = 256,
                         std::atomic<std::int64_t>* pooled = nullptr);

  // A live idle connection to `upstream`, or nullptr. Connections idle longer than
  // max_idle, closed by the peer or holding unexpected bytes are dropped here. `probe`: look
  // at the socket first (a syscall) for a closed one; without it a stale connection shows
  // on first use, which is fine for a request that can be sent again (exchange retries).
  std::unique_ptr<upstream_conn> lease(std::size_t upstream, std::chrono::steady_clock::duration max_idle,
                                       bool probe = true);
  // The same, to one server of the upstream (the balancer chose it).
  std::unique_ptr<upstream_conn> lease(std::size_t upstream, std::size_t server,
                                       std::chrono::steady_clock::duration max_idle, bool probe = true);
  void release(std::unique_ptr<upstream_conn> c);
  std::size_t next_server(std::size_t upstream, std::size_t servers);  // round robin
  std::size_t idle() const;
  void clear();

 private:
  std::vector<std::vector<std::unique_ptr<upstream_conn>>> idle_;
  std::vector<std::size_t> next_;
  std::size_t max_idle_;
  std::atomic<std::int64_t>* pooled_;
  void count(std::int64_t delta) {
    if (pooled_) pooled_->fetch_add(delta, std::memory_order_relaxed);
  }
};

}  // namespace holdon
