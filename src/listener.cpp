#include "holdon/listener.hpp"

#include <boost/asio/ip/v6_only.hpp>
#include <boost/asio/socket_base.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/write.hpp>

#include "holdon/client_session.hpp"
#include "holdon/error_response.hpp"
#include "holdon/log.hpp"
#include "holdon/tls.hpp"

namespace holdon {

namespace {
// Over limits.max_connections: a short 503 and a lingering close (read until the client's
// EOF, at most one second) so that its request does not turn the close into a reset that
// could destroy the 503 before the client reads it.
void refuse(tcp::socket s) {
  struct refused {
    explicit refused(tcp::socket so) : sock(std::move(so)), timer(sock.get_executor()) {}
    tcp::socket sock;
    net::steady_timer timer;
    std::string msg = error_response(503, "too many connections, retry later", false);
    char sink[4096];
  };
  auto r = std::make_shared<refused>(std::move(s));
  r->timer.expires_after(std::chrono::seconds(1));
  r->timer.async_wait([r](error_code) {
    error_code ignored;
    r->sock.close(ignored);
  });
  net::async_write(r->sock, net::buffer(r->msg), [r](error_code ec, std::size_t) {
    error_code ignored;
    r->sock.shutdown(tcp::socket::shutdown_send, ignored);
    if (ec) {
      r->timer.cancel();
      return;
    }
    struct drain {
      std::shared_ptr<refused> r;
      void operator()(error_code ec, std::size_t) const {
        if (ec) return static_cast<void>(r->timer.cancel());
        r->sock.async_read_some(net::buffer(r->sink), *this);
      }
    };
    drain{r}(error_code{}, 0);
  });
}
}  // namespace

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
  acceptor_.async_accept(worker_.ioc, peer_, [self = shared_from_this()](error_code ec, tcp::socket s) {
    if (!self->acceptor_.is_open()) return;
    if (ec) {
      log(log_level::warn, "accept: " + ec.message());
      self->backoff_.expires_after(std::chrono::milliseconds(50));
      self->backoff_.async_wait([self](error_code e) {
        if (!e) self->do_accept();
      });
      return;
    }
    auto max = self->worker_.cfg->limits.max_connections;
    if (max && self->worker_.stats.client_connections.load(std::memory_order_relaxed) >= static_cast<std::int64_t>(max)) {
      refuse(std::move(s));
    } else {
      auto* ctx = self->tls_ ? &self->tls_->context() : nullptr;
      std::make_shared<client_session>(std::move(s), self->peer_, self->worker_, ctx)->start();
    }
    self->do_accept();
  });
}

}  // namespace holdon
