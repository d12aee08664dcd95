// balancer: which server of an upstream gets the next attempt, and passive health.
// Pure state machine (time is passed in), one per worker: the data path takes no locks,
// so each worker learns on its own that a server is down (at most threads x
// fail_threshold failed connects in total before every worker skips it).
// Health: `fail_threshold` consecutive connect failures (refused, timed out, TLS handshake
// failed) take a server out for `fail_backoff`; after that it gets one trial attempt, and a
// failure puts it straight back out while a success makes it healthy again. Slow responses
// do not count: waiting for slow upstreams is what holdon is for.
#pragma once
#include <chrono>
#include <cstddef>
#include <optional>
#include <vector>

#include "holdon/config.hpp"

namespace holdon {

class balancer {
 public:
  using clock = std::chrono::steady_clock;

  explicit balancer(const std::vector<upstream_config>& upstreams);

  // The server for the next attempt, never one in `tried`: a healthy one by the upstream's
  // balance mode; if every untried server is out, the one whose back-off ends first (a
  // request is better served by a trial than by an error); nullopt when all were tried.
  std::optional<std::size_t> pick(std::size_t upstream, clock::time_point now,
                                  const std::vector<std::size_t>& tried = {});

  void on_success(std::size_t upstream, std::size_t server);
  void on_failure(std::size_t upstream, std::size_t server, clock::time_point now);
  bool is_out(std::size_t upstream, std::size_t server, clock::time_point now) const;

  // Exchanges bound to a server (least_in_flight).
  void acquire(std::size_t upstream, std::size_t server);
  void release(std::size_t upstream, std::size_t server);
  unsigned in_flight(std::size_t upstream, std::size_t server) const;

 private:
  struct server_state {
    unsigned failures = 0;  // consecutive
    clock::time_point out_until{};
    unsigned in_flight = 0;
  };
  struct upstream_state {
    balance_mode mode;
    unsigned threshold;
    clock::duration backoff;
    std::size_t next = 0;  // round robin cursor
    std::vector<server_state> servers;
  };
  std::vector<upstream_state> ups_;
};

}  // namespace holdon
