#include "holdon/upstream_connector.hpp"

#include <boost/asio/connect.hpp>

#include "holdon/client_session.hpp"
#include "holdon/exchange.hpp"
#include "holdon/log.hpp"

namespace holdon {

using clock = std::chrono::steady_clock;

void upstream_connector::start(bool resendable) {
  resendable_ = resendable;
  // The first pick always names a server (out ones too, when all are out).
  bind(*x_.home().balance.pick(route_.upstream_index, clock::now()));
  x_.on_server_chosen();
  lease_or_connect();
}

void upstream_connector::bind(std::size_t server) {
  server_ = server;
  bound_ = true;
  x_.home().balance.acquire(route_.upstream_index, server_);
}

void upstream_connector::unbind() {
  if (!bound_) return;
  bound_ = false;
  x_.home().balance.release(route_.upstream_index, server_);
}

void upstream_connector::lease_or_connect() {
  auto& w = x_.home();
  // After a reload the pool serves the new configuration only: an older session connects.
  // A request that can be sent again is not probed: a stale connection shows on first use.
  if (x_.session().config_in_use() == w.cfg) up_ = w.pool.lease(route_.upstream_index, server_, route_.timeouts.idle, !resendable_);
  reused_ = up_ != nullptr;
  if (reused_) return x_.on_upstream_ready();
  do_connect();
}

void upstream_connector::do_connect() {
  auto& w = x_.home();
  auto executor = x_.session().socket().get_executor();
  const auto& up = x_.session().config_in_use()->upstreams[route_.upstream_index];
  auto* tls = w.tls ? w.tls->upstreams[route_.upstream_index].get() : nullptr;
  up_ = tls ? std::make_unique<upstream_conn>(executor, tls->context(), w.buffers)
            : std::make_unique<upstream_conn>(executor, w.buffers);
  options_set_ = false;
  up_->upstream = route_.upstream_index;
  up_->server = server_;
  const auto& ep = up.servers[up_->server];
  x_.on_connecting();
  unsigned attempt = ++attempt_;
  error_code ec;
  auto addr = net::ip::make_address(ep.host, ec);
  if (!ec) {
    tcp::endpoint to(addr, ep.port);
    // Options before the connect: Asio's connect then finds the socket non-blocking already.
    up_->socket.socket().open(to.protocol(), ec);
    if (!ec) set_options();
    up_->socket.socket().async_connect(to, [self = x_.shared_from_this(), this, attempt](error_code e) {
      if (attempt == attempt_) on_connect(e);
    });
    return;
  }
  resolver_.emplace(executor);
  resolver_->async_resolve(ep.host, std::to_string(ep.port),
                           [self = x_.shared_from_this(), this, attempt](error_code e, tcp::resolver::results_type r) {
                             if (attempt == attempt_) on_resolved(e, std::move(r));
                           });
}

void upstream_connector::on_resolved(error_code ec, tcp::resolver::results_type r) {
  if (!x_.waiting()) return;
  if (ec) return connect_failed(502, "cannot resolve the upstream: " + ec.message());
  net::async_connect(up_->socket.socket(), r,
                     [self = x_.shared_from_this(), this, attempt = attempt_](error_code e, const tcp::endpoint&) {
                       if (attempt == attempt_) on_connect(e);
                     });
}

void upstream_connector::on_connect(error_code ec) {
  if (!x_.waiting()) return;
  if (ec) return connect_failed(502, "upstream connect failed: " + ec.message());
  if (!options_set_) set_options();  // a resolved name: the range connect opened the socket
  if (up_->socket.is_tls()) return do_handshake();
  ready();
}

void upstream_connector::set_options() {
  error_code ec;
  up_->socket.socket().set_option(tcp::no_delay(true), ec);
  // Plain TCP: reads after a readability wait never block.
  if (!up_->socket.is_tls()) up_->socket.socket().non_blocking(true, ec);
  options_set_ = true;
}

// Under the connect deadline: a server that accepts TCP but never finishes TLS is as
// unreachable as one that refuses.
void upstream_connector::do_handshake() {
  error_code ec;
  const auto& ep = x_.session().config_in_use()->upstreams[route_.upstream_index].servers[server_];
  x_.home().tls->upstreams[route_.upstream_index]->prepare(up_->socket.tls(), ep, ec);
  if (ec) return connect_failed(502, "TLS set-up for the upstream failed: " + ec.message());
  up_->socket.tls().async_handshake(net::ssl::stream_base::client, [self = x_.shared_from_this(), this, attempt = attempt_](error_code e) {
    if (attempt != attempt_ || !x_.waiting()) return;
    if (e) return connect_failed(502, "TLS handshake with the upstream failed: " + e.message());
    ready();
  });
}

void upstream_connector::ready() {
  x_.home().balance.on_success(route_.upstream_index, server_);
  x_.on_upstream_ready();
}

// Nothing of the request reached the upstream, so any request, idempotent or not, may
// go to the next server; each server is tried at most once per exchange.
void upstream_connector::connect_failed(unsigned status, std::string_view why) {
  auto& w = x_.home();
  auto now = clock::now();
  w.stats.upstream_connect_errors.fetch_add(1, std::memory_order_relaxed);
  w.balance.on_failure(route_.upstream_index, server_, now);
  tried_.push_back(server_);
  auto next = w.balance.pick(route_.upstream_index, now, tried_);
  if (!next) return x_.on_no_upstream(status, why);
  log(log_level::debug, std::string(why) + "; trying the next server");
  w.stats.upstream_retries.fetch_add(1, std::memory_order_relaxed);
  close();
  retired_.push_back(std::move(up_));
  unbind();
  bind(*next);
  x_.on_server_chosen();
  lease_or_connect();
}

// A pooled connection the upstream closed while idle fails on first use. If nothing of a
// response arrived and the request can be sent again (idempotent, no body), it is sent once
// more on a fresh connection instead of failing the client.
bool upstream_connector::retry_stale(bool response_started) {
  if (!reused_ || response_started || !resendable_) return false;
  reused_ = false;
  x_.home().stats.upstream_retries.fetch_add(1, std::memory_order_relaxed);
  close();
  retired_.push_back(std::move(up_));
  do_connect();
  return true;
}

// Closing cancels pending operations; the connection object itself lives as long as the
// exchange, because those operations still reference its buffer until they return.
void upstream_connector::close() {
  if (!up_) return;
  error_code ignored;
  up_->socket.close(ignored);
}

void upstream_connector::end(bool clean) {
  unbind();
  bool reusable = clean && up_ && up_->socket.is_open() && !broken_ && up_->buffer.empty() &&
                  x_.session().config_in_use() == x_.home().cfg;
  if (!reusable) return close();
  up_->buffer.release();  // idle connections hold no buffer
  x_.home().pool.release(std::move(up_));
}

}  // namespace holdon
