// server: owns the workers (one io_context and one thread each), their listeners and
// the shared metrics. Binds in the constructor (errors throw, naming the address);
// start() runs the threads, stop() is thread-safe and makes wait() return.
#pragma once
#include <memory>
#include <thread>
#include <vector>

#include "holdon/config.hpp"
#include "holdon/metrics.hpp"
#include "holdon/net.hpp"

namespace holdon {

struct worker;
class listener;

class server {
 public:
  explicit server(std::shared_ptr<const config> cfg);
  ~server();
  server(const server&) = delete;
  server& operator=(const server&) = delete;

  void start();
  void stop();
  void wait();
  // SIGTERM: stop accepting, close idle connections, let in-flight exchanges finish; the
  // caller waits for stats().client_connections to reach 0 (or its deadline), then stop().
  void drain();
  // SIGHUP: new sessions use `next`; established ones keep theirs. Returns once every worker
  // has switched. Listen addresses and threads are fixed at start; a change is logged, not applied.
  void reload(std::shared_ptr<const config> next);
  std::vector<tcp::endpoint> endpoints() const;  // one per configured listen address
  metrics& stats() { return stats_; }
  std::size_t idle_upstream_connections() const;  // sum over workers; call after wait()

 private:
  std::shared_ptr<const config> cfg_;
  metrics stats_;
  std::vector<std::unique_ptr<worker>> workers_;
  std::vector<std::vector<std::shared_ptr<listener>>> listeners_;  // [worker][address]
  std::vector<tcp::endpoint> endpoints_;
  std::vector<std::thread> threads_;
};

}  // namespace holdon
