// worker: what one thread owns. One io_context per thread (run by that thread only), its
// upstream pool, its buffer pool, its ticker and a view of the shared config and metrics.
// Sessions and exchanges created on a worker stay on it: no locks on the data path.
//
// The ticker is the one timer behind every deadline (header, idle, connect, response, body
// idle): a deadline is a time stored in its session or exchange, checked at each tick, so
// setting or moving one costs no timer operation. The tick is a quarter of the shortest
// configured duration, within [5 ms, 250 ms]; a deadline fires at most one tick late.
// Keep-alive 102s go through the worker's keepalive_wheel: an exchange's interim_scheduler
// puts its next 102 there when the ticker finds it near, so exchanges that finish quickly
// never touch it, and thousands of held ones share one timer.
#pragma once
#include <chrono>
#include <memory>
#include <vector>

#include "holdon/balancer.hpp"
#include "holdon/config.hpp"
#include "holdon/io_buffer.hpp"
#include "holdon/keepalive_wheel.hpp"
#include "holdon/metrics.hpp"
#include "holdon/net.hpp"
#include "holdon/scratch.hpp"
#include "holdon/splice.hpp"
#include "holdon/tls.hpp"
#include "holdon/upstream_pool.hpp"

namespace holdon {

class client_session;

// The ticker's period for a configuration (see above).
std::chrono::steady_clock::duration tick_interval(const config& c);
// The keepalive wheel's resolution: 10 ms, or finer when a 102 interval is short.
std::chrono::steady_clock::duration keepalive_resolution(const config& c);

// An io_context whose services (and the handlers they hold) can be shut down before the
// objects those handlers point into are destroyed.
struct worker_context : net::io_context {
  using net::io_context::io_context;
  void shut_down() { shutdown(); }
};

struct worker {
  worker(std::shared_ptr<const config> c, metrics& m);
  ~worker();
  worker_context ioc;  // declared first: destroyed last, after the sockets it serves
  keepalive_wheel keepalives;
  std::shared_ptr<const config> cfg;
  buffer_pool buffers;  // before the pool: pooled connections give their buffers back here
  recycler<request_scratch> request_scratches;
  recycler<upstream_request_scratch> upstream_requests;
  recycler<response_scratch> responses;
  pipe_pool pipes;  // for spliced bodies
  upstream_pool pool;
  metrics& stats;
  balancer balance;                         // this worker's view of upstream server health
  std::shared_ptr<tls_contexts> tls;        // shared by all workers, read-only; set by the server
  // Live sessions (registered by their constructor, removed by their destructor; this
  // thread only), for the ticker and so that a drain can close the idle ones. A vector
  // (each session knows its index) because the ticker walks all of them a few times a second.
  std::vector<client_session*> sessions;
  std::size_t add_session(client_session* s);
  void remove_session(std::size_t index);
  bool draining = false;  // SIGTERM: no keep-alive, connections close after their exchange
  std::chrono::steady_clock::duration tick;

  void start_ticker();   // on the worker's thread
  void stop_ticker();
  void set_config(std::shared_ptr<const config> next);  // SIGHUP, on the worker's thread

 private:
  void on_tick();
  net::steady_timer ticker_;
  std::chrono::steady_clock::time_point next_tick_{};
};

}  // namespace holdon
