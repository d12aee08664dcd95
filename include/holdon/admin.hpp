// admin: the operations listener on its own address (config admin.listen), on its own
// thread and io_context, so a busy data path never delays a probe and a probe never
// touches a worker. Serves, with Connection: close:
//   GET /healthz  200 "ok" while the process runs (liveness)
//   GET /readyz   200 "ready", or 503 while draining (after set_draining()) or when no
//                 upstream server accepts a TCP connection (probe result cached 1 s)
//   GET /metrics  Prometheus text format (render_prometheus over the shared metrics)
#pragma once
#include <atomic>
#include <functional>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "holdon/config.hpp"
#include "holdon/metrics.hpp"
#include "holdon/net.hpp"

namespace holdon {

class admin {
 public:
  admin(std::shared_ptr<const config> cfg, metrics& m);  // binds admin.listen now: throws naming it
  ~admin();
  admin(const admin&) = delete;
  admin& operator=(const admin&) = delete;

  void start();
  void stop();  // thread-safe
  void wait();
  void set_draining() { draining_.store(true, std::memory_order_relaxed); }  // thread-safe
  tcp::endpoint endpoint() const { return endpoint_; }

 private:
  friend class admin_session;
  struct probe_run;
  void do_accept();
  // Calls done(reachable) on the admin thread, from the cache or after a fresh probe.
  void probe_upstreams(std::function<void(bool)> done);
  void finish_probe(bool reachable);

  std::shared_ptr<const config> cfg_;
  metrics& stats_;
  std::vector<std::string> route_labels_;
  net::io_context ioc_{1};
  tcp::acceptor acceptor_;
  tcp::endpoint endpoint_;
  std::thread thread_;
  std::atomic<bool> draining_{false};
  // Probe state: touched only on the admin thread.
  std::chrono::steady_clock::time_point probed_at_{};
  bool reachable_ = false;
  bool probed_ = false;
  std::vector<std::function<void(bool)>> waiters_;  // non-empty: a probe is running
};

}  // namespace holdon
