#include "holdon/exchange.hpp"

#include <boost/asio/connect.hpp>
#include <boost/asio/ssl/error.hpp>
#include <boost/asio/write.hpp>
#include <boost/beast/http/read.hpp>
#include <boost/beast/http/write.hpp>

#include "holdon/client_session.hpp"
#include "holdon/error_response.hpp"
#include "holdon/header_rewrite.hpp"
#include "holdon/log.hpp"
#include "holdon/prefix_mount.hpp"
#include "holdon/metrics.hpp"
#include "holdon/route_table.hpp"

namespace holdon {
namespace http = beast::http;

namespace {
constexpr std::size_t relay_buffer_size = 64 * 1024;

bool idempotent(http::verb v) {
  switch (v) {
    case http::verb::get: case http::verb::head: case http::verb::options:
    case http::verb::trace: case http::verb::put: case http::verb::delete_:
    case http::verb::propfind: case http::verb::search: case http::verb::report:
      return true;
    default:
      return false;
  }
}

// Not std::make_unique: that zeroes 64 KiB per body, which was half of all instructions
// per request in a callgrind profile. Every byte is written before it is read.
std::unique_ptr<char[]> relay_buffer() { return std::unique_ptr<char[]>(new char[relay_buffer_size]); }

template <class Ms>
long long ms(Ms d) {
  return std::chrono::duration_cast<std::chrono::milliseconds>(d).count();
}
}  // namespace

exchange::exchange(std::shared_ptr<client_session> s, const route_config& route, interim_decision d)
    : s_(std::move(s)),
      route_(route),
      policy_(std::move(d)),
      keepalive_timer_(s_->socket_.get_executor()),
      watchdog_(s_->socket_.get_executor()) {
  s_->worker_.stats.exchanges.fetch_add(1, std::memory_order_relaxed);
  s_->worker_.stats.exchanges_in_flight.fetch_add(1, std::memory_order_relaxed);
}

exchange::~exchange() {
  s_->worker_.stats.exchanges_in_flight.fetch_sub(1, std::memory_order_relaxed);
}

// ---------------------------------------------------------------- request head

void exchange::start() {
  auto& req = s_->parser_->get();
  head_request_ = req.method() == http::verb::head;
  has_request_body_ = !s_->parser_->is_done();

  ureq_.version(11);
  ureq_.method_string(req.method_string());
  ureq_.target(path_to_upstream(mount_of(route_), target_path(req.target())));
  for (const auto& f : req) ureq_.insert(f.name(), f.name_string(), f.value());
  rewrite_request_headers(ureq_.base(), {s_->client_ip_, s_->scheme_, req.version(), s_->cfg_->via});
  if (s_->parser_->chunked()) ureq_.chunked(true);
  if (ureq_.find(http::field::host) == ureq_.end()) {  // HTTP/1.0 without Host
    const auto& up = s_->cfg_->upstreams[route_.upstream_index];
    ureq_.set(http::field::host, up.servers.front().text());
  }
  // The first pick always names a server (out ones too, when all are out).
  bind_server(*s_->worker_.balance.pick(route_.upstream_index, clock::now()));
  if (mount_of(route_).active()) map_request_headers();  // names the chosen server
  ureq_.body().data = nullptr;
  ureq_.body().size = 0;
  ureq_.body().more = has_request_body_;
  ureq_sr_.emplace(ureq_);

  // After a reload the pool serves the new configuration only: an older session connects.
  if (s_->cfg_ == s_->worker_.cfg) up_ = s_->worker_.pool.lease(route_.upstream_index, server_, route_.timeouts.idle);
  reused_ = up_ != nullptr;
  if (reused_) return do_send_head();
  do_connect();
}

void exchange::do_connect() {
  auto& w = s_->worker_;
  const auto& up = s_->cfg_->upstreams[route_.upstream_index];
  auto* tls = w.tls ? w.tls->upstreams[route_.upstream_index].get() : nullptr;
  up_ = tls ? std::make_unique<upstream_conn>(s_->socket_.get_executor(), tls->context())
            : std::make_unique<upstream_conn>(s_->socket_.get_executor());
  up_->upstream = route_.upstream_index;
  up_->server = server_;
  const auto& ep = up.servers[up_->server];
  set_deadline(route_.timeouts.connect, deadline_kind::connect);
  unsigned attempt = ++attempt_;
  error_code ec;
  auto addr = net::ip::make_address(ep.host, ec);
  if (!ec) {
    up_->socket.socket().async_connect(tcp::endpoint(addr, ep.port), [self = shared_from_this(), attempt](error_code e) {
      if (attempt == self->attempt_) self->on_connect(e);
    });
    return;
  }
  resolver_.emplace(s_->socket_.get_executor());
  resolver_->async_resolve(ep.host, std::to_string(ep.port),
                           [self = shared_from_this(), attempt](error_code e, tcp::resolver::results_type r) {
                             if (attempt == self->attempt_) self->on_resolved(e, std::move(r));
                           });
}

void exchange::on_resolved(error_code ec, tcp::resolver::results_type r) {
  if (done_ || committed_) return;
  if (ec) return on_connect_failed(502, "cannot resolve the upstream: " + ec.message());
  net::async_connect(up_->socket.socket(), r, [self = shared_from_this(), attempt = attempt_](error_code e, const tcp::endpoint&) {
    if (attempt == self->attempt_) self->on_connect(e);
  });
}

void exchange::on_connect(error_code ec) {
  if (done_ || committed_) return;
  if (ec) return on_connect_failed(502, "upstream connect failed: " + ec.message());
  up_->socket.socket().set_option(tcp::no_delay(true), ec);
  if (up_->socket.is_tls()) return do_upstream_handshake();
  s_->worker_.balance.on_success(route_.upstream_index, server_);
  do_send_head();
}

// Under the connect deadline: a server that accepts TCP but never finishes TLS is as
// unreachable as one that refuses.
void exchange::do_upstream_handshake() {
  error_code ec;
  const auto& ep = s_->cfg_->upstreams[route_.upstream_index].servers[server_];
  s_->worker_.tls->upstreams[route_.upstream_index]->prepare(up_->socket.tls(), ep, ec);
  if (ec) return on_connect_failed(502, "TLS set-up for the upstream failed: " + ec.message());
  up_->socket.tls().async_handshake(net::ssl::stream_base::client, [self = shared_from_this(), attempt = attempt_](error_code e) {
    if (attempt != self->attempt_ || self->done_ || self->committed_) return;
    if (e) return self->on_connect_failed(502, "TLS handshake with the upstream failed: " + e.message());
    self->s_->worker_.balance.on_success(self->route_.upstream_index, self->server_);
    self->do_send_head();
  });
}

// Nothing of the request reached the upstream, so any request, idempotent or not, may
// go to the next server; each server is tried at most once per exchange.
void exchange::on_connect_failed(unsigned status, std::string_view why) {
  auto& w = s_->worker_;
  auto now = clock::now();
  w.stats.upstream_connect_errors.fetch_add(1, std::memory_order_relaxed);
  w.balance.on_failure(route_.upstream_index, server_, now);
  tried_.push_back(server_);
  auto next = w.balance.pick(route_.upstream_index, now, tried_);
  if (!next) {
    upstream_broken_ = true;
    return fail(status, why);
  }
  log(log_level::debug, std::string(why) + "; trying the next server");
  w.stats.upstream_retries.fetch_add(1, std::memory_order_relaxed);
  close_upstream();
  retired_.push_back(std::move(up_));
  unbind_server();
  bind_server(*next);
  up_ = w.pool.lease(route_.upstream_index, server_, route_.timeouts.idle);
  reused_ = up_ != nullptr;
  if (reused_) return do_send_head();
  do_connect();
}

void exchange::bind_server(std::size_t server) {
  server_ = server;
  bound_ = true;
  s_->worker_.balance.acquire(route_.upstream_index, server_);
}

void exchange::unbind_server() {
  if (!bound_) return;
  bound_ = false;
  s_->worker_.balance.release(route_.upstream_index, server_);
}

void exchange::do_send_head() {
  set_deadline(route_.timeouts.idle, deadline_kind::request_body);
  auto self = shared_from_this();
  if (has_request_body_) {
    // Head alone first: the upstream may answer 100 Continue before the client sends a byte.
    http::async_write_header(up_->socket, *ureq_sr_, [self](error_code ec, std::size_t) {
      self->on_send_head(ec);
    });
  } else {
    http::async_write(up_->socket, *ureq_sr_, [self](error_code ec, std::size_t) {
      self->on_send_head(ec);
    });
  }
}

void exchange::on_send_head(error_code ec) {
  if (done_ || committed_) return;
  if (ec) {
    if (retry_stale_connection()) return;
    upstream_broken_ = true;
    return fail(502, "upstream write failed: " + ec.message());
  }
  ++up_->requests;
  do_read_response_head();
  if (!has_request_body_) {
    s_->start_watch();
    return on_request_forwarded();
  }
  buf_ = relay_buffer();
  s_->buffer_.reserve(relay_buffer_size);  // Beast reads at most the buffer's capacity per call
  do_read_request_body();
}

// ---------------------------------------------------------------- request body

void exchange::do_read_request_body() {
  auto& p = *s_->parser_;
  if (p.is_done()) {
    ureq_.body().data = nullptr;
    ureq_.body().size = 0;
    ureq_.body().more = false;
    return do_write_request_body();
  }
  p.get().body().data = buf_.get();
  p.get().body().size = relay_buffer_size;
  set_deadline(route_.timeouts.idle, deadline_kind::request_body);
  http::async_read_some(s_->socket_, s_->buffer_, p, [self = shared_from_this()](error_code ec, std::size_t) {
    self->on_read_request_body(ec);
  });
}

void exchange::on_read_request_body(error_code ec) {
  if (ec == http::error::need_buffer) ec = {};
  if (done_ || committed_) return;  // an early final response stops the upload
  auto& p = *s_->parser_;
  if (ec) {
    upstream_broken_ = true;  // the upstream got a partial body
    if (ec == http::error::body_limit) return fail(413, "request body larger than limits.max_body_bytes");
    if (ec.category() == error_code(http::error::bad_chunk).category() && ec != http::error::partial_message)
      return fail(400, "malformed request body: " + ec.message());
    return abort("client failed while sending the body: " + ec.message());
  }
  auto got = relay_buffer_size - p.get().body().size;
  bytes_in_ += got;
  if (got == 0 && !p.is_done()) return do_read_request_body();
  if (p.is_done()) s_->start_watch();
  // No bytes but done: data must be null, or buffer_body's writer (its toggle reset by a
  // need_buffer) emits an empty chunk "0\r\n\r\n" before the last chunk: a stray request.
  ureq_.body().data = got ? buf_.get() : nullptr;
  ureq_.body().size = got;
  ureq_.body().more = !p.is_done();
  do_write_request_body();
}

void exchange::do_write_request_body() {
  set_deadline(route_.timeouts.idle, deadline_kind::request_body);
  http::async_write(up_->socket, *ureq_sr_, [self = shared_from_this()](error_code ec, std::size_t) {
    self->on_write_request_body(ec);
  });
}

void exchange::on_write_request_body(error_code ec) {
  if (ec == http::error::need_buffer) ec = {};
  if (done_) return;
  if (ec) {
    // The upstream stopped reading; it may still have answered (413, 401...): the
    // response read decides. The rest of the client's body is never read.
    upstream_broken_ = true;
    return;
  }
  if (ureq_sr_->is_done()) return on_request_forwarded();
  if (committed_) return;
  do_read_request_body();
}

void exchange::on_request_forwarded() {
  request_forwarded_ = true;
  forwarded_at_ = clock::now();
  if (!committed_ && !response_started_) buf_.reset();
  if (committed_) return;
  set_deadline(route_.timeouts.upstream_response, deadline_kind::response);
  arm_keepalive(clock::now() + route_.interim.first_after);
}

// ---------------------------------------------------------------- response head

void exchange::do_read_response_head() {
  ures_p_.emplace();
  ures_p_->header_limit(static_cast<std::uint32_t>(s_->cfg_->limits.max_header_bytes));
  ures_p_->body_limit(boost::none);
  if (head_request_) ures_p_->skip(true);
  http::async_read_header(up_->socket, up_->buffer, *ures_p_,
                          [self = shared_from_this()](error_code ec, std::size_t) { self->on_response_head(ec); });
}

void exchange::on_response_head(error_code ec) {
  if (done_ || committed_) return;
  if (ec) {
    if (retry_stale_connection()) return;
    upstream_broken_ = true;
    if (ec == http::error::header_limit) return fail(502, "upstream response header too large");
    if (ec == http::error::end_of_stream || ec == net::error::eof)
      return fail(502, "upstream closed the connection without a response");
    return fail(502, "bad upstream response: " + ec.message());
  }
  response_started_ = true;
  auto status = ures_p_->get().result_int();
  if (status >= 100 && status < 200) {
    if (status == 101) {
      upstream_broken_ = true;
      return fail(502, "upstream switched protocols, which holdon does not proxy");
    }
    on_interim(status);
    return do_read_response_head();
  }
  on_final_head();
}

void exchange::on_interim(unsigned status) {
  bool allowed = status == 100 ? (policy_.forward_continue || policy_.forward_interims)
                               : policy_.forward_interims;
  if (!allowed || interims_sent_ >= policy_.cap) return;
  ++interims_sent_;
  s_->worker_.stats.interims_forwarded.fetch_add(1, std::memory_order_relaxed);
  const auto& h = ures_p_->get();
  queue_write(interim_head(status, h.reason(), h.base()));
  // The client just heard from us: restart the keep-alive interval (no doubled 102s).
  if (request_forwarded_) arm_keepalive(clock::now() + route_.interim.every);
}

void exchange::on_final_head() {
  committed_ = true;
  final_at_ = clock::now();
  ++keepalive_seq_;
  keepalive_timer_.cancel();

  const auto& ures = ures_p_->get();
  const auto& req = s_->parser_->get();
  unsigned client_version = req.version();
  status_ = ures.result_int();
  cres_.version(11);
  cres_.result(ures.result_int());
  cres_.reason(ures.reason());
  for (const auto& f : ures) cres_.insert(f.name(), f.name_string(), f.value());
  rewrite_response_headers(cres_.base(), {{}, "http", ures.version(), s_->cfg_->via});

  bool no_body = head_request_ || status_ == 204 || status_ == 304;
  if (mount_of(route_).active()) map_response_headers();
  if (no_body) hrefs_.reset();
  if (hrefs_) cres_.erase(http::field::content_length);  // hrefs change the length: re-framed
  bool length_known = ures_p_->content_length().has_value() && !hrefs_;
  if (!length_known && (!no_body || ures_p_->chunked())) {
    if (client_version == 11) cres_.chunked(true);  // re-chunk: keeps the connection alive
    else if (!no_body) framing_close_ = true;       // HTTP/1.0: the body ends when we close
  }
  client_keep_alive_ = s_->parser_->keep_alive() && s_->parser_->is_done() && !framing_close_ &&
                       !s_->peer_closed_ && !s_->last_request_ && !s_->worker_.draining;
  if (!client_keep_alive_) cres_.keep_alive(false);
  else if (client_version == 10) cres_.set(http::field::connection, "keep-alive");
  cres_.body().data = nullptr;
  cres_.body().size = 0;
  cres_.body().more = !no_body && !ures_p_->is_done();

  after_queue_ = after_queue::relay_response;
  if (!writing_) start_response();
}

// ---------------------------------------------------------------- response body

void exchange::start_response() {
  after_queue_ = after_queue::nothing;
  cres_sr_.emplace(cres_);
  set_deadline(route_.timeouts.idle, deadline_kind::response_body);
  bool no_body = head_request_ || status_ == 204 || status_ == 304;
  auto self = shared_from_this();
  if (no_body) {
    http::async_write_header(s_->socket_, *cres_sr_, [self](error_code ec, std::size_t n) {
      self->bytes_out_ += n;
      if (self->done_) return;
      if (ec) return self->abort("client write failed: " + ec.message());
      self->finish(self->client_keep_alive_);
    });
    return;
  }
  if (!buf_) buf_ = relay_buffer();
  up_->buffer.reserve(relay_buffer_size);  // Beast reads at most the buffer's capacity per call
  // Body bytes already buffered (small responses): head and body leave in one write.
  if (up_->buffer.size() > 0 || ures_p_->is_done()) return do_read_response_body();
  http::async_write_header(s_->socket_, *cres_sr_, [self](error_code ec, std::size_t n) {
    self->on_write_response_body(ec, n);
  });
}

void exchange::do_read_response_body() {
  if (ures_p_->is_done()) {
    set_response_chunk(nullptr, 0, false);
    return do_write_response_body();
  }
  ures_p_->get().body().data = buf_.get();
  ures_p_->get().body().size = relay_buffer_size;
  set_deadline(route_.timeouts.idle, deadline_kind::response_body);
  http::async_read_some(up_->socket, up_->buffer, *ures_p_, [self = shared_from_this()](error_code ec, std::size_t) {
    self->on_read_response_body(ec);
  });
}

void exchange::on_read_response_body(error_code ec) {
  if (ec == http::error::need_buffer) ec = {};
  if (done_) return;
  if (ec == net::ssl::error::stream_truncated && ures_p_->need_eof()) {
    // A TLS upstream ending a close-delimited body without close_notify: the TCP close is
    // the end of the body, as over plain HTTP (RFC 9112 §6.3, §9.8).
    upstream_broken_ = true;
    ec = {};
    ures_p_->put_eof(ec);
  }
  if (ec) {
    upstream_broken_ = true;
    return abort("upstream failed mid-body: " + ec.message());
  }
  auto got = relay_buffer_size - ures_p_->get().body().size;
  if (got == 0 && !ures_p_->is_done()) return do_read_response_body();
  set_response_chunk(buf_.get(), got, !ures_p_->is_done());
  if (cres_.body().size == 0 && cres_.body().more) return do_read_response_body();  // all held back
  do_write_response_body();
}

void exchange::do_write_response_body() {
  set_deadline(route_.timeouts.idle, deadline_kind::response_body);
  http::async_write(s_->socket_, *cres_sr_, [self = shared_from_this()](error_code ec, std::size_t n) {
    self->on_write_response_body(ec, n);
  });
}

void exchange::on_write_response_body(error_code ec, std::size_t n) {
  if (ec == http::error::need_buffer) ec = {};
  bytes_out_ += n;
  if (done_) return;
  if (ec) return abort("client write failed: " + ec.message());
  if (cres_sr_->is_done()) return finish(client_keep_alive_);
  do_read_response_body();
}

// ---------------------------------------------------------------- client writer queue

void exchange::queue_write(std::string bytes) {
  queue_.push_back(std::move(bytes));
  if (!writing_) do_write_queue();
}

void exchange::do_write_queue() {
  writing_ = true;
  net::async_write(s_->socket_, net::buffer(queue_.front()),
                   [self = shared_from_this()](error_code ec, std::size_t n) { self->on_write_queue(ec, n); });
}

void exchange::on_write_queue(error_code ec, std::size_t n) {
  writing_ = false;
  bytes_out_ += n;
  queue_.pop_front();
  if (done_) return;
  if (ec) return abort("client write failed: " + ec.message());
  if (!queue_.empty()) return do_write_queue();
  switch (after_queue_) {
    case after_queue::relay_response: return start_response();
    case after_queue::finish_keep: return finish(true);
    case after_queue::finish_close: return finish(false);
    case after_queue::nothing: return;
  }
}

// ---------------------------------------------------------------- timers

void exchange::arm_keepalive(clock::time_point due) {
  if (!policy_.keepalive || committed_ || done_ || interims_sent_ >= policy_.cap) return;
  unsigned seq = ++keepalive_seq_;
  keepalive_timer_.expires_at(due);
  // first_after 0: the first 102 goes out now, not after a race between a timer and the
  // response. (Later ones, re-armed from their due time, go through the timer even if late.)
  if (keepalives_sent_ == 0 && due <= clock::now()) return on_keepalive({}, seq);
  keepalive_timer_.async_wait([self = shared_from_this(), seq](error_code ec) { self->on_keepalive(ec, seq); });
}

void exchange::on_keepalive(error_code ec, unsigned seq) {
  // A cancelled timer's handler may still run with success: the sequence number decides.
  if (ec || seq != keepalive_seq_ || done_ || committed_ || interims_sent_ >= policy_.cap) return;
  ++interims_sent_;
  ++keepalives_sent_;
  s_->worker_.stats.keepalive_sent.fetch_add(1, std::memory_order_relaxed);
  queue_write(std::string(keepalive_102));
  // From the due time, not from now: a late wake-up must not push every later 102 back.
  arm_keepalive(keepalive_timer_.expiry() + route_.interim.every);
}

// One watchdog per exchange: moving the deadline later is an assignment; the timer
// wakes at the old time, sees the new deadline and sleeps again.
void exchange::set_deadline(clock::duration d, deadline_kind k) {
  deadline_ = clock::now() + d;
  deadline_kind_ = k;
  if (watchdog_armed_ && watchdog_.expiry() <= deadline_) return;
  watchdog_armed_ = true;
  watchdog_.expires_at(deadline_);
  watchdog_.async_wait([self = shared_from_this()](error_code ec) { self->on_watchdog(ec); });
}

void exchange::on_watchdog(error_code ec) {
  if (ec == net::error::operation_aborted || done_) return;
  if (clock::now() < deadline_) {
    watchdog_.expires_at(deadline_);
    watchdog_.async_wait([self = shared_from_this()](error_code e) { self->on_watchdog(e); });
    return;
  }
  watchdog_armed_ = false;
  on_timeout();
}

void exchange::on_timeout() {
  switch (deadline_kind_) {
    case deadline_kind::connect:
      return on_connect_failed(504, "upstream connect timed out");
    case deadline_kind::response:
      if (committed_) return;
      s_->worker_.stats.upstream_timeouts.fetch_add(1, std::memory_order_relaxed);
      upstream_broken_ = true;
      return fail(504, "no response from the upstream within " +
                           std::to_string(route_.timeouts.upstream_response.count()) + " ms");
    case deadline_kind::request_body:
    case deadline_kind::response_body:
      upstream_broken_ = true;
      return abort("idle timeout while relaying a body");
  }
}

// ---------------------------------------------------------------- endings

// A pooled connection the upstream closed while idle fails on first use. If nothing of
// a response arrived and the request can be sent again (idempotent, no body), send it
// once more on a fresh connection instead of failing the client.
bool exchange::retry_stale_connection() {
  if (!reused_ || response_started_ || has_request_body_ || !idempotent(s_->parser_->get().method()))
    return false;
  reused_ = false;
  s_->worker_.stats.upstream_retries.fetch_add(1, std::memory_order_relaxed);
  close_upstream();
  retired_.push_back(std::move(up_));
  ureq_sr_.emplace(ureq_);
  do_connect();
  return true;
}

void exchange::fail(unsigned status, std::string_view why) {
  if (error_.empty()) error_ = why;
  close_upstream();
  if (committed_) return abort(why);
  committed_ = true;
  ++keepalive_seq_;
  keepalive_timer_.cancel();
  status_ = status;
  log(log_level::debug, "exchange failed: " + std::string(why));
  bool keep = status < 500 ? false : s_->parser_->is_done() && s_->parser_->keep_alive() &&
                                         s_->parser_->get().version() == 11 && !s_->peer_closed_ &&
                                         !s_->last_request_ && !s_->worker_.draining;
  after_queue_ = keep ? after_queue::finish_keep : after_queue::finish_close;
  queue_write(error_response(status, why, keep, head_request_));
}

void exchange::abort(std::string_view why) {
  if (done_) return;
  if (error_.empty()) error_ = why;
  log(log_level::debug, "exchange aborted: " + std::string(why));
  upstream_broken_ = true;
  finish(false);
}

void exchange::on_client_gone() {
  if (done_) return;
  upstream_broken_ = true;
  if (error_.empty()) error_ = "client closed the connection";
  if (status_ == 0) status_ = 499;  // nginx's word for it, in the log only
  finish(false);
}

// Closing cancels pending operations; the connection object itself lives as long as
// the exchange, because those operations still reference its buffer until they return.
void exchange::close_upstream() {
  if (!up_) return;
  error_code ignored;
  up_->socket.close(ignored);
}

void exchange::finish(bool client_keep_alive) {
  if (done_) return;
  done_ = true;
  unbind_server();
  ++keepalive_seq_;
  keepalive_timer_.cancel();
  watchdog_.cancel();
  bool reusable = up_ && up_->socket.is_open() && !upstream_broken_ && ures_p_ && ures_p_->is_done() && ures_p_->keep_alive() &&
                  ureq_sr_ && ureq_sr_->is_done() && up_->buffer.size() == 0 &&
                  s_->cfg_ == s_->worker_.cfg;
  if (reusable) {
    up_->buffer.shrink_to_fit();  // idle connections hold no relay-sized memory
    s_->worker_.pool.release(std::move(up_));
  } else {
    close_upstream();
  }
  buf_.reset();
  record_metrics();
  if (!error_.empty()) s_->worker_.stats.exchanges_failed.fetch_add(1, std::memory_order_relaxed);
  log_access();
  s_->on_exchange_done(client_keep_alive);
}

// Per-route status class and time to the final response (issue 5: /metrics). An exchange
// that never produced a final status (client gone first) counts as 499 and is not timed.
void exchange::record_metrics() {
  auto& m = s_->worker_.stats;
  const auto& routes = s_->cfg_->routes;
  if (!routes.empty() && &route_ >= routes.data() && &route_ < routes.data() + routes.size())
    m.count_response(static_cast<std::size_t>(&route_ - routes.data()), status_ ? status_ : 499);
  if (status_ != 0 && status_ != 499)
    m.observe_final((final_at_ == clock::time_point{} ? clock::now() : final_at_) - started_);
}

void exchange::log_access() {
  auto fmt = s_->cfg_->access_log;
  if (fmt == access_log_format::off) return;
  const auto& req = s_->parser_->get();
  auto now = clock::now();
  auto upstream_ms = forwarded_at_ == clock::time_point{} ? -1
                     : ms((final_at_ == clock::time_point{} ? now : final_at_) - forwarded_at_);
  std::string ua(req[http::field::user_agent]);
  std::string line;
  auto target = std::string(req.target());
  auto q = [](std::string_view s) {  // JSON string body: escape quotes, backslashes, controls
    std::string o;
    for (char c : s) {
      if (c == '"' || c == '\\') o += '\\', o += c;
      else if (static_cast<unsigned char>(c) < 0x20) o += ' ';
      else o += c;
    }
    return o;
  };
  auto time = utc_timestamp(std::chrono::system_clock::now());
  if (fmt == access_log_format::json) {
    line = "{\"time\":\"" + time + "\",\"client\":\"" + s_->client_ip_ + "\",\"method\":\"" + q(req.method_string()) +
           "\",\"target\":\"" + q(target) + "\",\"status\":" + std::to_string(status_) +
           ",\"interims\":" + std::to_string(interims_sent_) + ",\"keepalive_102\":" +
           std::to_string(keepalives_sent_) + ",\"upstream_ms\":" + std::to_string(upstream_ms) +
           ",\"total_ms\":" + std::to_string(ms(now - started_)) + ",\"bytes_in\":" +
           std::to_string(bytes_in_) + ",\"bytes_out\":" + std::to_string(bytes_out_) +
           ",\"route\":\"" + q(route_.path_prefix) + "\",\"interim_policy\":\"" + q(policy_.why) +
           "\",\"user_agent\":\"" + q(ua) + "\",\"error\":\"" + q(error_) + "\"}";
  } else {
    line = time + " " + s_->client_ip_ + " \"" + q(req.method_string()) + " " + q(target) + "\" " +
           std::to_string(status_) + " interims=" + std::to_string(interims_sent_) +
           " upstream_ms=" + std::to_string(upstream_ms) + " total_ms=" + std::to_string(ms(now - started_)) +
           " in=" + std::to_string(bytes_in_) + " out=" + std::to_string(bytes_out_) + " route=" +
           route_.path_prefix + " policy=" + policy_.why + (error_.empty() ? "" : " error=\"" + q(error_) + "\"");
  }
  access_line(line);
}

}  // namespace holdon
