// worker: what one thread owns. One io_context per thread (run by that thread only),
// its upstream pool, and a view of the shared config and metrics. Sessions and
// exchanges created on a worker stay on it: no locks on the data path.
#pragma once
#include <memory>
#include <unordered_set>

#include "holdon/balancer.hpp"
#include "holdon/config.hpp"
#include "holdon/metrics.hpp"
#include "holdon/net.hpp"
#include "holdon/tls.hpp"
#include "holdon/upstream_pool.hpp"

namespace holdon {

class client_session;

struct worker {
  worker(std::shared_ptr<const config> c, metrics& m)
      : ioc(1), cfg(std::move(c)), pool(cfg->upstreams.size(), 256, &m.upstream_pooled), stats(m), balance(cfg->upstreams) {}
  net::io_context ioc;  // declared first: destroyed last, after the sockets it serves
  std::shared_ptr<const config> cfg;
  upstream_pool pool;
  metrics& stats;
  balancer balance;                         // this worker's view of upstream server health
  std::shared_ptr<tls_contexts> tls;        // shared by all workers, read-only; set by the server
  // Live sessions (registered by their constructor, removed by their destructor; this
  // thread only), so that a drain can close the idle ones.
  std::unordered_set<client_session*> sessions;
  bool draining = false;  // SIGTERM: no keep-alive, connections close after their exchange
};

}  // namespace holdon
