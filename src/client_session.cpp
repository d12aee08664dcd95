#include "holdon/client_session.hpp"

#include <sys/socket.h>

#include <boost/asio/write.hpp>
#include <algorithm>
#include <cerrno>

#include "holdon/error_response.hpp"
#include "holdon/exchange.hpp"
#include "holdon/front.hpp"
#include "holdon/log.hpp"
#include "holdon/request_admission.hpp"
#include "holdon/request_guard.hpp"

namespace holdon {
namespace http = beast::http;

namespace {
stream make_stream(tcp::socket s, net::ssl::context* tls) {
  if (tls) return stream(std::move(s), *tls);
  return stream(std::move(s));
}
}  // namespace

client_session::client_session(tcp::socket socket, const tcp::endpoint& peer, worker& w, net::ssl::context* tls)
    : socket_(make_stream(std::move(socket), tls)),
      worker_(w),
      cfg_(w.cfg),
      in_(w.buffers),
      scheme_(tls ? "https" : "http") {
  worker_.stats.client_connections.fetch_add(1, std::memory_order_relaxed);
  index_ = worker_.add_session(this);
  client_ip_ = peer.address().to_string();
  front_ = find_front(cfg_->fronts, client_ip_);
  via_[0] = "1.0 " + cfg_->via;
  via_[1] = "1.1 " + cfg_->via;
  error_code ec;
  socket_.socket().set_option(tcp::no_delay(true), ec);
  if (!tls) socket_.socket().non_blocking(true, ec);  // a direct write of a 102 never blocks
}

client_session::~client_session() {
  end_request();
  worker_.remove_session(index_);
  worker_.stats.client_connections.fetch_sub(1, std::memory_order_relaxed);
}

void client_session::start() {
  if (socket_.is_tls()) return do_handshake();
  do_read_head();
}

void client_session::do_handshake() {
  set_deadline(cfg_->timeouts.client_header);  // a handshake is part of the first request's head
  socket_.tls().async_handshake(net::ssl::stream_base::server, [self = shared_from_this()](error_code ec) {
    if (self->closed_) return;
    if (ec) {
      log(log_level::debug, "client " + self->client_ip_ + ": TLS handshake failed: " + ec.message());
      return self->close();
    }
    self->do_read_head();
  });
}

void client_session::on_tick(clock::time_point now) {
  // Nothing here destroys the session or the exchange at once: closing only cancels their
  // operations, whose handlers (holding them) run later.
  if (closed_) return;
  if (deadline_ != clock::time_point{} && now >= deadline_) {
    clear_deadline();
    return close();  // cancels the pending read or wait: the client gets no response
  }
  if (current_) return current_->on_tick(now);
  eager_.on_tick(socket_.socket());  // idle since the last tick: wait without a buffer
}

void client_session::do_wait_request() {
  // Between requests the idle timeout applies; once a byte arrives, the header timeout.
  set_deadline(cfg_->timeouts.idle);
  if (socket_.is_tls()) {
    // Readable TCP is not a readable TLS stream (a record may hold several requests, or
    // none): read through TLS instead, at the cost of a buffer while idle.
    auto [data, size] = in_.prepare(1);
    socket_.async_read_some(net::buffer(data, size), [self = shared_from_this()](error_code ec, std::size_t n) {
      if (self->closed_) return;
      if (ec) return self->close();
      self->in_.commit(n);
      self->do_read_head();
    });
    return;
  }
  // Plain TCP: an eager read (the next request is usually there already; no epoll_ctl to arm
  // it), demoted by the next tick; or, when the pool lends no block, a wait.
  auto read = [self = shared_from_this()](error_code ec, std::size_t n) { self->on_idle_read(ec, n); };
  if (eager_.start(socket_.socket(), in_, buffer_pool::small, std::move(read))) return;
  wait_request();
}

// A wait, not a read: an idle connection holds no buffer.
void client_session::wait_request() {
  in_.release();
  socket_.socket().async_wait(tcp::socket::wait_read, [self = shared_from_this()](error_code ec) {
    if (self->closed_) return;
    if (ec) return self->close();
    self->do_read_head();
  });
}

void client_session::on_idle_read(error_code ec, std::size_t n) {
  if (closed_) return;
  if (eager_.demoted(ec)) return wait_request();  // idle past a tick: the block goes back
  if (ec) return close();
  in_.commit(n);
  do_read_head();
}

void client_session::do_read_head() {
  set_deadline(cfg_->timeouts.client_header);
  on_head_bytes();
}

// The raw head is checked (request_guard) before it is parsed: the limits on the request
// line and the head, and obs-folds, are told from the bytes as they arrive.
void client_session::on_head_bytes() {
  std::size_t head_len = 0;
  auto v = check_raw_head(in_.data(), cfg_->limits.max_request_line_bytes, cfg_->limits.max_header_bytes, head_len);
  if (v) return reply_and_close(v.status, v.why);
  if (head_len) return start_exchange(head_len);
  read_more_head();
}

void client_session::read_more_head() {
  auto [data, size] = in_.prepare(1);
  socket_.async_read_some(net::buffer(data, size), [self = shared_from_this()](error_code ec, std::size_t n) {
    if (self->closed_) return;
    if (ec) return self->close();  // EOF, reset or the header timeout: nothing to answer
    self->in_.commit(n);
    self->on_head_bytes();
  });
}

void client_session::start_exchange(std::size_t head_len) {
  clear_deadline();
  req_ = worker_.request_scratches.get();
  req_->head_raw.assign(in_.data().data(), head_len);
  in_.consume(head_len);
  parser_.emplace(std::move(req_->fields), std::move(req_->body));
  if (cfg_->limits.max_body_bytes) parser_->body_limit(cfg_->limits.max_body_bytes);
  else parser_->body_limit(std::nullopt);
  error_code ec;
  parser_->parse_head(req_->head_raw, ec);
  if (auto v = parse_refusal(ec)) return reply_and_close(v.status, v.why);
  auto a = admit_request(parser_->head(), *cfg_, front_, client_ip_);
  if (a.refused) return reply_and_close(a.refused.status, a.refused.why);
  ++requests_;
  auto max_requests = cfg_->limits.max_requests_per_connection;
  last_request_ = worker_.draining || (max_requests && requests_ >= max_requests);
  end_client_ = std::move(a.end_client);
  if (a.interim.undeclared_proxy) note_undeclared_proxy(a.proxy_sign);
  auto ex = std::make_shared<exchange>(shared_from_this(), *a.route, std::move(a.interim));
  current_ = ex.get();
  ex->start();
}

// A proxy that nobody declared gets no 1xx: counted, and said once a minute at most (per
// process), naming the peer and the field that gave it away.
void client_session::note_undeclared_proxy(std::string_view field) {
  auto& m = worker_.stats;
  m.undeclared_proxy_requests.fetch_add(1, std::memory_order_relaxed);
  auto now = std::chrono::duration_cast<std::chrono::seconds>(clock::now().time_since_epoch()).count();
  auto last = m.undeclared_proxy_warned_at.load(std::memory_order_relaxed);
  if (last != 0 && now - last < 60) return;
  if (!m.undeclared_proxy_warned_at.compare_exchange_strong(last, now, std::memory_order_relaxed)) return;
  log(log_level::warn, "client " + client_ip_ + " sent " + std::string(field) +
                           ", so a proxy stands between it and the client, but it is not declared under fronts: no 1xx"
                           " (holdon's 102s or the upstream's) goes to requests from it until it is; at most one such"
                           " warning a minute");
}

void client_session::reply_and_close(unsigned status, std::string_view text) {
  log(log_level::debug, "client " + client_ip_ + ": " + std::to_string(status) + " " + std::string(text));
  set_deadline(cfg_->timeouts.client_header);  // a client that does not read is not waited for
  auto msg = std::make_shared<std::string>(error_response(status, text, false));
  net::async_write(socket_, net::buffer(*msg), [self = shared_from_this(), msg](error_code, std::size_t) {
    self->close();
  });
}

// Plain TCP: a readability wait, then a peek (no buffer while the exchange waits). TLS: a
// read through the stream, since a close_notify arrives as bytes.
void client_session::start_watch() {
  // With a pipelined request already buffered the client is evidently still there.
  if (watching_ || closed_ || !in_.empty()) return;
  watching_ = true;
  if (socket_.is_tls()) {
    auto [data, size] = in_.prepare(1);
    socket_.async_read_some(net::buffer(data, size), [self = shared_from_this()](error_code ec, std::size_t n) {
      if (!ec) self->in_.commit(n);
      self->on_watch(ec);
    });
    return;
  }
  socket_.socket().async_wait(tcp::socket::wait_read, [self = shared_from_this()](error_code ec) { self->on_watch(ec); });
}

void client_session::on_watch(error_code ec) {
  watching_ = false;
  if (closed_) return;
  auto* ex = current_;
  bool gone = false;
  if (ec == net::error::operation_aborted) {
    // cancelled by on_exchange_done
  } else if (ec) {
    gone = true;
  } else if (!socket_.is_tls()) {
    char c;
    auto r = ::recv(socket_.socket().native_handle(), &c, 1, MSG_PEEK | MSG_DONTWAIT);
    if (r == 0 || (r < 0 && errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR)) gone = true;
    else if (r < 0 && ex && !ex->committed()) return start_watch();  // woken for nothing
    // r > 0: a pipelined request, read once this exchange is done
  }
  if (gone) {
    // EOF or reset: the client left. An exchange still waiting is cancelled; one already
    // relaying its response finishes it, then the connection closes.
    peer_closed_ = true;
    if (!ex) return close();
    if (!ex->committed()) ex->on_client_gone();
    return;
  }
  if (!ex && next_after_watch_) {
    next_after_watch_ = false;
    next_request();
  }
}

void client_session::on_exchange_done(bool keep_alive) {
  current_ = nullptr;
  if (!keep_alive || !connection_may_continue()) return close();
  if (watching_) {
    next_after_watch_ = true;  // the watch, cancelled or completed, resumes us
    error_code ignored;
    socket_.cancel(ignored);  // nothing else is pending on the socket now
    return;
  }
  next_request();
}

void client_session::end_request() {
  if (parser_) {
    if (req_) parser_->give_back(req_->fields, req_->body);
    parser_.reset();
  }
  worker_.request_scratches.put(std::move(req_));
}

void client_session::next_request() {
  end_request();
  if (!in_.empty()) return do_read_head();  // pipelined
  do_wait_request();
}

void client_session::on_drain() {
  // Idle or still sending its head: no exchange to finish, so the connection goes now.
  if (!current_) close();
}

void client_session::close() {
  if (closed_) return;
  closed_ = true;
  clear_deadline();
  error_code ignored;
  socket_.close(ignored);  // sends the FIN itself: a shutdown first would be one more system call
}

}  // namespace holdon
