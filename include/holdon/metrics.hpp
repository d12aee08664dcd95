// metrics: process-wide counters, shared by all worker threads (relaxed atomics, no locks on
// the data path). Owned by the server; read by tests and the admin endpoint (/metrics).
// Per-route counters are indexed by the route's position in config::routes.
#pragma once
#include <array>
#include <atomic>
#include <chrono>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

namespace holdon {

// Upper bounds (seconds) of the time-to-final-response histogram buckets; +Inf is implicit.
inline constexpr std::array<double, 14> final_response_buckets{
    0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 300};

struct route_stats {
  // Final statuses by class: [2] 2xx ... [5] 5xx, [0] anything else ([1] stays 0: a 1xx is never
  // final). A client that went away before the final response counts as 499 (4xx).
  std::array<std::atomic<std::uint64_t>, 6> by_class{};
};

struct metrics {
  std::atomic<std::uint64_t> exchanges{0};           // started
  std::atomic<std::int64_t> exchanges_in_flight{0};  // alive exchange objects
  std::atomic<std::uint64_t> keepalive_sent{0};      // holdon's own 102s written
  std::atomic<std::uint64_t> interims_forwarded{0};  // upstream 1xx written to clients
  std::atomic<std::uint64_t> upstream_connect_errors{0};
  std::atomic<std::uint64_t> upstream_timeouts{0};
  std::atomic<std::uint64_t> upstream_retries{0};
  std::atomic<std::int64_t> client_connections{0};
  std::atomic<std::uint64_t> exchanges_failed{0};  // ended with an error (logged with error=...)
  std::atomic<std::int64_t> upstream_pooled{0};  // idle keep-alive connections in all pools
  std::atomic<std::int64_t> read_buffer_bytes{0};  // read blocks held by connections (not the free pools)
  std::atomic<std::uint64_t> undeclared_proxy_requests{0};  // proxied, from an undeclared peer: no 1xx
  std::atomic<std::int64_t> undeclared_proxy_warned_at{0};   // steady seconds of the last warning

  // Time from the request head to the final response head (or generated error), per bucket
  // (not cumulative here; the exposition makes it cumulative). Last slot: above every bound.
  std::array<std::atomic<std::uint64_t>, final_response_buckets.size() + 1> final_hist{};
  std::atomic<std::uint64_t> final_hist_sum_us{0};

  // Sized once, before any worker runs (server constructor); never resized afterwards.
  void set_routes(std::size_t n);
  std::size_t route_count() const { return route_count_; }
  route_stats* route(std::size_t i) { return i < route_count_ ? &routes_[i] : nullptr; }
  const route_stats* route(std::size_t i) const { return i < route_count_ ? &routes_[i] : nullptr; }

  void count_response(std::size_t route_index, unsigned status);
  void observe_final(std::chrono::steady_clock::duration d);

 private:
  std::unique_ptr<route_stats[]> routes_;
  std::size_t route_count_ = 0;
};

// Prometheus text exposition format 0.0.4. `route_labels[i]` names route i (its path prefix).
std::string render_prometheus(const metrics& m, const std::vector<std::string>& route_labels,
                              bool ready);

}  // namespace holdon
