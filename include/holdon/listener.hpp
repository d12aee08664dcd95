// listener: one acceptor on one worker (SO_REUSEPORT: every worker has its own socket
// on the same address and the kernel spreads connections). Each accepted socket becomes
// a client_session on the same worker. Lives until the server closes it.
#pragma once
#include <memory>

#include "holdon/net.hpp"
#include "holdon/worker.hpp"

namespace holdon {

class server_tls;

class listener : public std::enable_shared_from_this<listener> {
 public:
  // binds now: throws on failure. `tls`: HTTPS on this address (shared, outlives us).
  listener(worker& w, const tcp::endpoint& ep, server_tls* tls = nullptr);
  void start();
  void stop();
  tcp::endpoint local_endpoint() const { return acceptor_.local_endpoint(); }

 private:
  void do_accept();
  worker& worker_;
  server_tls* tls_;
  tcp::acceptor acceptor_;
  net::steady_timer backoff_;  // EMFILE and friends: pause instead of spinning
  tcp::endpoint peer_;         // filled by the accept under way (one at a time): no getpeername
};

}  // namespace holdon
