#include "holdon/worker.hpp"

#include <algorithm>

#include "holdon/client_session.hpp"

namespace holdon {

std::chrono::steady_clock::duration tick_interval(const config& c) {
  using std::chrono::milliseconds;
  milliseconds shortest = std::min({c.timeouts.client_header, c.timeouts.idle});
  for (const auto& r : c.routes) {
    shortest = std::min({shortest, r.timeouts.connect, r.timeouts.idle,
                         r.timeouts.upstream_response, r.interim.every});
    if (r.interim.first_after.count() > 0) shortest = std::min(shortest, r.interim.first_after);
  }
  for (const auto& f : c.fronts)
    if (f.every) shortest = std::min(shortest, *f.every);
  return std::clamp<milliseconds>(shortest / 4, milliseconds(5), milliseconds(250));
}

std::chrono::steady_clock::duration keepalive_resolution(const config& c) {
  using std::chrono::milliseconds;
  milliseconds shortest(100);
  for (const auto& r : c.routes) {
    shortest = std::min(shortest, r.interim.every);
    if (r.interim.first_after.count() > 0) shortest = std::min(shortest, r.interim.first_after);
  }
  for (const auto& f : c.fronts)
    if (f.every) shortest = std::min(shortest, *f.every);
  return std::clamp<milliseconds>(shortest / 4, milliseconds(1), milliseconds(25));
}

worker::worker(std::shared_ptr<const config> c, metrics& m)
    // One thread runs the context and every I/O object of it is used on that thread only:
    // no locking per socket operation (the scheduler still takes posts from other threads).
    : ioc(BOOST_ASIO_CONCURRENCY_HINT_UNSAFE_IO),
      keepalives(ioc),
      cfg(std::move(c)),
      buffers(64, &m.read_buffer_bytes),
      pool(cfg->upstreams.size(), 256, &m.upstream_pooled),
      stats(m),
      balance(cfg->upstreams),
      tick(tick_interval(*cfg)),
      ticker_(ioc) {
  keepalives.set_resolution(keepalive_resolution(*cfg));
}

// Pending handlers still own sessions and exchanges, whose destructors use the members
// below: destroy them first, then the members.
worker::~worker() {
  pool.clear();
  ioc.shut_down();
}

std::size_t worker::add_session(client_session* s) {
  sessions.push_back(s);
  return sessions.size() - 1;
}

void worker::remove_session(std::size_t index) {
  sessions[index] = sessions.back();
  sessions[index]->set_session_index(index);
  sessions.pop_back();
}

void worker::set_config(std::shared_ptr<const config> next) {
  cfg = std::move(next);
  pool.clear();
  pool = upstream_pool(cfg->upstreams.size(), 256, &stats.upstream_pooled);  // indexes may mean other servers now
  tick = tick_interval(*cfg);
  keepalives.set_resolution(keepalive_resolution(*cfg));
}

void worker::start_ticker() {
  next_tick_ = std::chrono::steady_clock::now() + tick;
  ticker_.expires_at(next_tick_);
  ticker_.async_wait([this](error_code ec) {
    if (!ec) on_tick();
  });
}

void worker::stop_ticker() {
  ticker_.cancel();
  keepalives.stop();
}

void worker::on_tick() {
  auto now = std::chrono::steady_clock::now();
  // Should a session leave meanwhile, the last one takes its place: it may be looked at
  // twice or wait for the next tick, both harmless.
  for (std::size_t i = 0; i < sessions.size(); ++i) sessions[i]->on_tick(now);
  // Periodic from the schedule, not from the late wake-up; never two ticks at once.
  next_tick_ = std::max(next_tick_ + tick, now + tick / 2);
  ticker_.expires_at(next_tick_);
  ticker_.async_wait([this](error_code ec) {
    if (!ec) on_tick();
  });
}

}  // namespace holdon
