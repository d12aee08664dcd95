// metrics: process-wide counters, shared by all worker threads (relaxed atomics).
// Owned by the server; read by tests and, later, the admin endpoint.
#pragma once
#include <atomic>
#include <cstdint>

namespace holdon {

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
};

}  // namespace holdon
