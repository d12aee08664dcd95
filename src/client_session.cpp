#include "holdon/client_session.hpp"

#include <boost/asio/write.hpp>
#include <boost/beast/http/read.hpp>

#include "holdon/error_response.hpp"
#include "holdon/exchange.hpp"
#include "holdon/interim_policy.hpp"
#include "holdon/log.hpp"
#include "holdon/request_guard.hpp"
#include "holdon/route_table.hpp"

namespace holdon {
namespace http = beast::http;

namespace {
stream make_stream(tcp::socket s, net::ssl::context* tls) {
  if (tls) return stream(std::move(s), *tls);
  return stream(std::move(s));
}
}  // namespace

client_session::client_session(tcp::socket socket, worker& w, net::ssl::context* tls)
    : socket_(make_stream(std::move(socket), tls)),
      worker_(w),
      cfg_(w.cfg),
      timer_(socket_.get_executor()),
      scheme_(tls ? "https" : "http") {
  worker_.stats.client_connections.fetch_add(1, std::memory_order_relaxed);
  worker_.sessions.insert(this);
  error_code ec;
  auto ep = socket_.socket().remote_endpoint(ec);
  client_ip_ = ec ? "unknown" : ep.address().to_string();
  socket_.socket().set_option(tcp::no_delay(true), ec);
}

client_session::~client_session() {
  worker_.sessions.erase(this);
  worker_.stats.client_connections.fetch_sub(1, std::memory_order_relaxed);
}

void client_session::start() {
  if (socket_.is_tls()) return do_handshake();
  do_read_header();
}

void client_session::do_handshake() {
  arm_timer(cfg_->timeouts.client_header);  // a handshake is part of the first request's head
  socket_.tls().async_handshake(net::ssl::stream_base::server, [self = shared_from_this()](error_code ec) {
    self->disarm_timer();
    if (self->closed_) return;
    if (ec) {
      log(log_level::debug, "client " + self->client_ip_ + ": TLS handshake failed: " + ec.message());
      return self->close();
    }
    self->do_read_header();
  });
}

void client_session::arm_timer(duration d) {
  unsigned seq = ++timer_seq_;
  timer_.expires_after(d);
  timer_.async_wait([self = shared_from_this(), seq](error_code ec) {
    if (ec || seq != self->timer_seq_) return;
    self->close();  // cancels the pending read: the client gets no response
  });
}

void client_session::disarm_timer() {
  ++timer_seq_;
  timer_.cancel();
}

void client_session::do_wait_request() {
  // Between requests the idle timeout applies; once a byte arrives, the header timeout.
  arm_timer(cfg_->timeouts.idle);
  if (socket_.is_tls()) {
    // Readable TCP is not a readable TLS stream (a record may hold several requests, or
    // none): read through TLS instead, at the cost of a buffer while idle.
    socket_.async_read_some(buffer_.prepare(4096), [self = shared_from_this()](error_code ec, std::size_t n) {
      if (self->closed_) return;
      if (ec) return self->close();
      self->buffer_.commit(n);
      self->do_read_header();
    });
    return;
  }
  socket_.socket().async_wait(tcp::socket::wait_read, [self = shared_from_this()](error_code ec) {
    if (self->closed_) return;
    if (ec) return self->close();
    self->do_read_header();
  });
}

void client_session::do_read_header() {
  parser_.emplace();
  parser_->header_limit(static_cast<std::uint32_t>(cfg_->limits.max_header_bytes));
  if (cfg_->limits.max_body_bytes) parser_->body_limit(cfg_->limits.max_body_bytes);
  else parser_->body_limit(boost::none);
  arm_timer(cfg_->timeouts.client_header);
  do_read_raw_head();
}

// The raw head is checked (request_guard) before Beast parses it: Beast silently joins
// obs-folds and cannot tell a long request line from a long header.
void client_session::do_read_raw_head() {
  auto bytes = static_cast<const char*>(buffer_.data().data());
  bool complete = false;
  auto v = check_raw_head({bytes, buffer_.size()}, cfg_->limits.max_request_line_bytes,
                          cfg_->limits.max_header_bytes, complete);
  if (v) {
    disarm_timer();
    return reply_and_close(v.status, v.why);
  }
  if (complete) {  // the parser finds the whole head in buffer_ and reads nothing more
    http::async_read_header(socket_, buffer_, *parser_, [self = shared_from_this()](error_code ec, std::size_t) {
      self->on_read_header(ec);
    });
    return;
  }
  socket_.async_read_some(buffer_.prepare(4096), [self = shared_from_this()](error_code ec, std::size_t n) {
    if (self->closed_) return;
    if (ec) {
      self->disarm_timer();
      return self->close();  // EOF, reset or the header timeout: nothing to answer
    }
    self->buffer_.commit(n);
    self->do_read_raw_head();
  });
}

void client_session::on_read_header(error_code ec) {
  disarm_timer();
  if (closed_) return;
  if (ec == http::error::end_of_stream || ec == net::error::eof || ec == net::error::connection_reset)
    return close();
  if (ec == http::error::header_limit) return reply_and_close(431, "request header too large");
  if (ec == http::error::body_limit) return reply_and_close(413, "request body larger than limits.max_body_bytes");
  if (ec) return reply_and_close(400, "malformed request: " + ec.message());

  auto& req = parser_->get();
  if (req.version() != 10 && req.version() != 11)
    return reply_and_close(505, "only HTTP/1.0 and HTTP/1.1 are served");
  auto hosts = req.count(http::field::host);
  if (hosts > 1 || (hosts == 0 && req.version() == 11))
    return reply_and_close(400, "an HTTP/1.1 request needs exactly one Host header");
  if (auto v = check_framing(framing_facts_of(req))) return reply_and_close(v.status, v.why);
  ++requests_;
  auto max_requests = cfg_->limits.max_requests_per_connection;
  last_request_ = worker_.draining || (max_requests && requests_ >= max_requests);

  const auto* route = select_route(cfg_->routes, request_host(req[http::field::host], req.target()),
                                   req.method_string(), req.target());
  if (!route) return reply_and_close(404, "no route for this path");

  request_facts facts;
  facts.version = req.version();
  facts.method = req.method_string();
  if (auto ua = req.find(http::field::user_agent); ua != req.end()) facts.user_agent = ua->value();
  for (const auto& f : req)
    if (is_dav_header(f.name_string())) facts.has_dav_header = true;
  if (auto ex = req.find(http::field::expect); ex != req.end())
    facts.expects_continue = beast::iequals(ex->value(), "100-continue");

  auto ex = std::make_shared<exchange>(shared_from_this(), *route, decide_interim(facts, route->interim));
  current_ = ex;
  ex->start();
}

void client_session::reply_and_close(unsigned status, std::string_view text) {
  log(log_level::debug, "client " + client_ip_ + ": " + std::to_string(status) + " " + std::string(text));
  auto msg = std::make_shared<std::string>(error_response(status, text, false));
  net::async_write(socket_, net::buffer(*msg), [self = shared_from_this(), msg](error_code, std::size_t) {
    self->close();
  });
}

void client_session::start_watch() {
  // With a pipelined request already buffered the client is evidently still there.
  if (watching_ || closed_ || buffer_.size() > 0) return;
  watching_ = true;
  socket_.async_read_some(buffer_.prepare(4096), [self = shared_from_this()](error_code ec, std::size_t n) {
    self->on_watch(ec, n);
  });
}

void client_session::on_watch(error_code ec, std::size_t n) {
  watching_ = false;
  if (closed_) return;
  if (ec == net::error::operation_aborted) {  // cancelled by on_exchange_done
    if (next_after_watch_) {
      next_after_watch_ = false;
      next_request();
    }
    return;
  }
  auto ex = current_.lock();
  if (ec) {
    // EOF or reset: the client left. An exchange still waiting is cancelled; one already
    // relaying its response finishes it, then the connection closes.
    peer_closed_ = true;
    if (!ex) return close();
    if (!ex->committed()) ex->on_client_gone();
    return;
  }
  buffer_.commit(n);  // a pipelined request: parsed once this exchange is done
  if (!ex && next_after_watch_) {
    next_after_watch_ = false;
    next_request();
  }
}

void client_session::on_exchange_done(bool keep_alive) {
  current_.reset();
  if (!keep_alive || peer_closed_ || last_request_ || worker_.draining) return close();
  if (watching_) {
    next_after_watch_ = true;  // the watch read, cancelled or completed, resumes us
    error_code ignored;
    socket_.cancel(ignored);  // nothing else is pending on the socket now
    return;
  }
  next_request();
}

void client_session::next_request() {
  parser_.reset();
  // Nothing is pending on the socket here: safe to give back a body-sized buffer.
  if (buffer_.capacity() > 16 * 1024) buffer_.shrink_to_fit();
  if (buffer_.size() > 0) return do_read_header();
  do_wait_request();
}

void client_session::on_drain() {
  // Idle or still sending its head: no exchange to finish, so the connection goes now.
  if (!current_.lock()) close();
}

void client_session::close() {
  if (closed_) return;
  closed_ = true;
  disarm_timer();
  error_code ignored;
  socket_.shutdown(tcp::socket::shutdown_send, ignored);
  socket_.close(ignored);
}

}  // namespace holdon
