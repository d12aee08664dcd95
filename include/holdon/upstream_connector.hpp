// upstream_connector: the exchange's upstream connection. It picks the server with the
// worker's balancer (counting the exchange in flight there), leases a pooled connection or
// resolves, connects and does the TLS handshake (under the exchange's connect deadline),
// moves on to the next server when a connect fails (each server once per exchange: nothing
// of the request has reached it), resends once on a fresh connection when a pooled one turns
// out closed, and at the end gives a cleanly finished connection back to the pool or closes
// it. Failed connections are kept (retired) until their handlers have returned. A part of the
// exchange (a value member), on its worker's thread; it calls the exchange back when the
// connection is ready, when the server changed, and when no server is left.
#pragma once
#include <chrono>
#include <memory>
#include <optional>
#include <string_view>
#include <vector>

#include "holdon/net.hpp"
#include "holdon/upstream_pool.hpp"

namespace holdon {

class exchange;
struct route_config;

class upstream_connector {
 public:
  upstream_connector(exchange& x, const route_config& route) : x_(x), route_(route) {}
  void start(bool resendable);   // the balancer's first pick, then lease or connect; resendable:
                                 // idempotent and without a body, so a stale pooled connection may be retried
  void connect_failed(unsigned status, std::string_view why);  // also the connect deadline's
  bool retry_stale(bool response_started);  // a pooled connection failed: once more on a fresh one
  bool may_retry() const { return reused_ && resendable_; }  // until a response starts
  void close();                  // cancels what is pending on it
  void broken() { broken_ = true; }   // it must not be pooled
  void end(bool clean);          // the exchange ended: back to the pool if clean, else closed
  upstream_conn& conn() { return *up_; }
  bool has_conn() const { return up_ != nullptr; }
  std::size_t server() const { return server_; }

 private:
  void bind(std::size_t server);
  void unbind();
  void lease_or_connect();
  void do_connect();
  void on_resolved(error_code ec, tcp::resolver::results_type r);
  void on_connect(error_code ec);
  void set_options();  // no delay; non-blocking for plain TCP
  void do_handshake();
  void ready();

  exchange& x_;
  const route_config& route_;
  std::unique_ptr<upstream_conn> up_;
  std::vector<std::unique_ptr<upstream_conn>> retired_;  // failed ones, until their handlers return
  std::size_t server_ = 0;          // of the route's upstream, chosen by the worker's balancer
  bool bound_ = false;              // counted in the balancer's in-flight for server_
  std::vector<std::size_t> tried_;  // servers whose connect failed in this exchange
  unsigned attempt_ = 0;            // connect attempt: handlers of an abandoned one are ignored
  std::optional<tcp::resolver> resolver_;
  bool reused_ = false;             // leased from the pool: may be stale, retried once
  bool resendable_ = false;
  bool broken_ = false;
  bool options_set_ = false;        // on the connection being connected
};

}  // namespace holdon
