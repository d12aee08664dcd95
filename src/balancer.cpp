#include "holdon/balancer.hpp"

#include <algorithm>

namespace holdon {

balancer::balancer(const std::vector<upstream_config>& upstreams) {
  for (const auto& u : upstreams)
    ups_.push_back({u.balance, u.fail_threshold, u.fail_backoff, 0, std::vector<server_state>(u.servers.size())});
}

std::optional<std::size_t> balancer::pick(std::size_t upstream, clock::time_point now,
                                          const std::vector<std::size_t>& tried) {
  auto& u = ups_.at(upstream);
  auto n = u.servers.size();
  auto untried = [&](std::size_t s) { return std::find(tried.begin(), tried.end(), s) == tried.end(); };
  std::optional<std::size_t> best, soonest;
  // Round robin walks from the cursor; least_in_flight takes the lowest count, ties in
  // round-robin order so that idle servers share the load too.
  for (std::size_t i = 0; i < n; ++i) {
    auto s = (u.next + i) % n;
    if (!untried(s)) continue;
    const auto& st = u.servers[s];
    if (st.out_until > now) {
      if (!soonest || st.out_until < u.servers[*soonest].out_until) soonest = s;
      continue;
    }
    if (!best) best = s;
    if (u.mode == balance_mode::round_robin) break;
    if (st.in_flight < u.servers[*best].in_flight) best = s;
  }
  auto chosen = best ? best : soonest;
  if (chosen) u.next = (*chosen + 1) % n;
  return chosen;
}

void balancer::on_success(std::size_t upstream, std::size_t server) {
  auto& st = ups_.at(upstream).servers.at(server);
  st.failures = 0;
  st.out_until = {};
}

void balancer::on_failure(std::size_t upstream, std::size_t server, clock::time_point now) {
  auto& u = ups_.at(upstream);
  auto& st = u.servers.at(server);
  if (++st.failures >= u.threshold) st.out_until = now + u.backoff;
}

bool balancer::is_out(std::size_t upstream, std::size_t server, clock::time_point now) const {
  return ups_.at(upstream).servers.at(server).out_until > now;
}

void balancer::acquire(std::size_t upstream, std::size_t server) { ++ups_.at(upstream).servers.at(server).in_flight; }

void balancer::release(std::size_t upstream, std::size_t server) {
  auto& st = ups_.at(upstream).servers.at(server);
  if (st.in_flight > 0) --st.in_flight;
}

unsigned balancer::in_flight(std::size_t upstream, std::size_t server) const {
  return ups_.at(upstream).servers.at(server).in_flight;
}

}  // namespace holdon
