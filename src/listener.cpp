#include "holdon/listener.hpp"

#include <boost/asio/ip/v6_only.hpp>
#include <boost/asio/socket_base.hpp>

#include "holdon/client_session.hpp"
#include "holdon/log.hpp"
#include "holdon/tls.hpp"

namespace holdon {

listener::listener(worker& w, const tcp::endpoint& ep, server_tls* tls)
    : worker_(w), tls_(tls), acceptor_(w.ioc), backoff_(w.ioc) {
  acceptor_.open(ep.protocol());
  acceptor_.set_option(tcp::acceptor::reuse_address(true));
  int one = 1;
  ::setsockopt(acceptor_.native_handle(), SOL_SOCKET, SO_REUSEPORT, &one, sizeof one);
  if (ep.address().is_v6()) acceptor_.set_option(net::ip::v6_only(true));
  acceptor_.bind(ep);
  acceptor_.listen(net::socket_base::max_listen_connections);
}

void listener::start() { do_accept(); }

void listener::stop() {
  error_code ignored;
  acceptor_.close(ignored);
  backoff_.cancel();
}

void listener::do_accept() {
  acceptor_.async_accept(worker_.ioc, [self = shared_from_this()](error_code ec, tcp::socket s) {
    if (!self->acceptor_.is_open()) return;
    if (ec) {
      log(log_level::warn, "accept: " + ec.message());
      self->backoff_.expires_after(std::chrono::milliseconds(50));
      self->backoff_.async_wait([self](error_code e) {
        if (!e) self->do_accept();
      });
      return;
    }
    auto* ctx = self->tls_ ? &self->tls_->context() : nullptr;
    std::make_shared<client_session>(std::move(s), self->worker_, ctx)->start();
    self->do_accept();
  });
}

}  // namespace holdon
