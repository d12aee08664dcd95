#include "holdon/exchange.hpp"

#include <boost/asio/connect.hpp>
#include <boost/asio/ssl/error.hpp>
#include <boost/asio/write.hpp>
#include <boost/beast/http/error.hpp>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <span>

#include "holdon/client_session.hpp"
#include "holdon/error_response.hpp"
#include "holdon/exchange_log.hpp"
#include "holdon/header_rewrite.hpp"
#include "holdon/log.hpp"
#include "holdon/metrics.hpp"
#include "holdon/prefix_mount.hpp"
#include "holdon/response_plan.hpp"
#include "holdon/route_table.hpp"

namespace holdon {
namespace http = beast::http;

namespace {
bool idempotent(std::string_view method) {
  for (std::string_view m : {"GET", "HEAD", "OPTIONS", "TRACE", "PUT", "DELETE", "PROPFIND", "SEARCH", "REPORT"})
    if (method == m) return true;
  return false;
}

template <class Ms>
long long ms(Ms d) {
  return std::chrono::duration_cast<std::chrono::milliseconds>(d).count();
}

constexpr std::string_view crlf = "\r\n", crlf_last_chunk = "\r\n0\r\n\r\n", last_chunk = "0\r\n\r\n";

// The first read of a response on a plain TCP upstream (heads are rarely longer).
constexpr std::size_t head_read = 4096;
// Bodies at least this large (after what arrived with the head) are spliced, not read.
constexpr std::uint64_t splice_min = 16 * 1024;
// At most this much per turn of a spliced body, then the worker's other connections run.
constexpr std::uint64_t splice_budget = 1024 * 1024;

std::string errno_text() { return std::strerror(errno); }

net::const_buffer buf(std::string_view s) { return {s.data(), s.size()}; }
}  // namespace

exchange::exchange(std::shared_ptr<client_session> s, const route_config& route, interim_decision d)
    : s_(std::move(s)),
      route_(route),
      policy_(std::move(d)),
      scratch_(s_->home().exchange_scratches.get()),
      up_fields_(scratch_->up_fields),
      up_head_(scratch_->up_head),
      rhead_raw_(scratch_->response_raw),
      client_fields_(scratch_->client_fields),
      client_head_(scratch_->client_head),
      out_(scratch_->out),
      up_out_(scratch_->up_out) {
  s_->home().stats.exchanges.fetch_add(1, std::memory_order_relaxed);
  s_->home().stats.exchanges_in_flight.fetch_add(1, std::memory_order_relaxed);
}

exchange::~exchange() {
  s_->forget(this);
  s_->home().stats.exchanges_in_flight.fetch_sub(1, std::memory_order_relaxed);
  if (rp_) rp_->give_back(scratch_->response_fields, scratch_->response_body);
  s_->home().exchange_scratches.put(std::move(scratch_));
}

// ---------------------------------------------------------------- request head

void exchange::start() {
  auto& p = s_->request();
  const auto& req = p.head();
  req_.head = req.method == "HEAD";
  req_.has_body = !p.is_done();
  req_.chunked = p.chunked();
  up_fields_.assign(req.fields);
  rewrite_request_headers(up_fields_, {s_->peer_ip(), s_->scheme(), req.version, s_->config_in_use()->via, s_->via_value(req.version),
                                      s_->trusts_forwarded()});
  if (req_.chunked) up_fields_.insert("Transfer-Encoding", "chunked");
  if (up_fields_.find(field_kind::host) == up_fields_.end()) {  // HTTP/1.0 without Host
    const auto& up = s_->config_in_use()->upstreams[route_.upstream_index];
    up_fields_.set("Host", up_fields_.own(up.servers.front().text()));
  }
  upstream_.start(!req_.has_body && idempotent(req.method));
}

// The head names the chosen server where a prefix mount maps URLs: written again after a
// failed connect moved the exchange to another server.
void exchange::write_upstream_head() {
  const auto& req = s_->request().head();
  auto m = mount_of(route_);
  if (m.active()) {
    const auto& up = s_->config_in_use()->upstreams[route_.upstream_index];
    auto authority = up.servers[upstream_.server()].text();
    map_request_fields(m, {req.fields["Host"], authority, s_->scheme(), up.tls.enabled ? "https" : "http"}, req.fields,
                       up_fields_);
  }
  up_head_.clear();
  if (!m.active() && !req.target.empty() && req.target.front() == '/')
    write_request_head(up_head_, req.method, req.target, up_fields_);
  else
    write_request_head(up_head_, req.method, path_to_upstream(m, target_path(req.target)), up_fields_);
}

// ---------------------------------------------------------------- upcalls of the upstream connector

void exchange::on_server_chosen() { write_upstream_head(); }
void exchange::on_connecting() { set_deadline(route_.timeouts.connect, deadline_kind::connect); }
void exchange::on_upstream_ready() { do_send_head(); }
void exchange::on_no_upstream(unsigned status, std::string_view why) { fail(status, why); }

void exchange::do_send_head() {
  set_deadline(route_.timeouts.idle, deadline_kind::request_body);
  // With a body the head goes alone first: the upstream may answer 100 Continue before the
  // client sends a byte.
  net::async_write(up().socket, net::buffer(up_head_),
                   [self = shared_from_this()](error_code ec, std::size_t) { self->on_send_head(ec); });
}

void exchange::on_send_head(error_code ec) {
  if (!waiting()) return;
  if (ec) {
    if (upstream_.retry_stale(response_started_)) return;
    return fail(502, "upstream write failed: " + ec.message());
  }
  ++up().requests;
  next_response_head();
  if (!req_.has_body) return on_request_forwarded();
  request_phase_ = request_phase::sending_body;
  pump_request_body();
}

// ---------------------------------------------------------------- request body

// Parses what the client sent so far and forwards the body bytes among it, from the
// session's read buffer; reads more when nothing in it can be forwarded.
void exchange::pump_request_body() {
  auto& p = s_->request();
  auto& in = s_->input();
  if (in.empty() && start_splice(leg::up)) return;
  p.body().clear();
  std::size_t used = 0;
  if (!in.empty()) {
    error_code ec;
    used = p.put_body(in.data(), ec);
    if (ec) {
      if (ec == http::error::body_limit) return fail(413, "request body larger than limits.max_body_bytes");
      return fail(400, "malformed request body: " + ec.message());
    }
  }
  bool last = p.is_done();
  if (p.body().empty() && !last) {  // framing only (a chunk header), or nothing yet: read on
    in.consume(used);
    set_deadline(route_.timeouts.idle, deadline_kind::request_body);
    auto [data, size] = in.prepare(1, buffer_pool::large);
    s_->socket().async_read_some(net::buffer(data, size), [self = shared_from_this()](error_code ec, std::size_t n) {
      self->on_read_request_body(ec, n);
    });
    return;
  }
  bytes_in_ += p.body_bytes();
  frame_request_body(p.body(), last);
  up_out_consumed_ = used;
  set_deadline(route_.timeouts.idle, deadline_kind::request_body);
  net::async_write(up().socket, std::span<const net::const_buffer>(up_out_), [self = shared_from_this()](error_code ec, std::size_t) {
    self->on_write_request_body(ec);
  });
}

void exchange::on_read_request_body(error_code ec, std::size_t n) {
  if (!waiting()) return;  // an early final response stops the upload
  if (ec) {
    return abort("client failed while sending the body: " + ec.message());
  }
  s_->input().commit(n);
  pump_request_body();
}

void exchange::on_write_request_body(error_code ec) {
  if (ended()) return;
  s_->input().consume(up_out_consumed_);
  up_out_consumed_ = 0;
  if (ec) {
    // The upstream stopped reading; it may still have answered (413, 401...): the
    // response read decides. The rest of the client's body is never read.
    upstream_.broken();
    return;
  }
  if (s_->request().is_done()) return on_request_forwarded();
  if (!waiting()) return;
  pump_request_body();
}

void exchange::frame_request_body(const std::vector<std::string_view>& body, bool last) {
  up_out_.clear();
  if (req_.chunked) return add_chunked(up_out_, up_chunk_size_, body, last);
  for (auto b : body) up_out_.push_back(buf(b));
}

void exchange::add_chunked(std::vector<net::const_buffer>& out, char (&size_line)[20],
                           const std::vector<std::string_view>& body, bool last) {
  std::size_t total = 0;
  for (auto b : body) total += b.size();
  if (total == 0) {
    if (last) out.push_back(buf(last_chunk));
    return;
  }
  int n = std::snprintf(size_line, sizeof size_line, "%zx\r\n", total);
  out.push_back(net::const_buffer(size_line, static_cast<std::size_t>(n)));
  for (auto b : body)
    if (!b.empty()) out.push_back(buf(b));
  out.push_back(buf(last ? crlf_last_chunk : crlf));
}

// The final head is chosen (the upstream's, or an error of holdon's): from now on no 1xx may go.
void exchange::commit() {
  phase_ = phase::answering;
  interims_.stop();
}

void exchange::on_request_forwarded() {
  request_phase_ = request_phase::forwarded;
  forwarded_at_ = clock::now();
  s_->input().release();  // a request waiting for its response holds no read buffer
  if (!waiting()) return;
  set_deadline(route_.timeouts.upstream_response, deadline_kind::response);
  interims_.start(forwarded_at_);
}

// ---------------------------------------------------------------- response head

void exchange::next_response_head() {
  if (!up().buffer.empty()) return on_response_head_bytes();  // after a 1xx, say
  do_read_response_head();
}

void exchange::do_read_response_head() {
  if (!up().socket.is_tls() && up().buffer.empty()) {
    // Waiting for the upstream holds no buffer: readability first, then a read.
    up().socket.socket().async_wait(tcp::socket::wait_read,
                                    [self = shared_from_this()](error_code ec) { self->on_upstream_readable(ec); });
    return;
  }
  auto [data, size] = up().buffer.prepare(1);
  up().socket.async_read_some(net::buffer(data, size), [self = shared_from_this()](error_code ec, std::size_t n) {
    if (!self->waiting()) return;
    if (ec) return self->on_response_head_error(ec);
    self->up().buffer.commit(n);
    self->on_response_head_bytes();
  });
}

void exchange::on_upstream_readable(error_code ec) {
  if (!waiting()) return;
  if (ec) return on_response_head_error(ec);
  auto [data, size] = up().buffer.prepare(1);
  // The head and what follows in the same few KiB: a larger body is better spliced than read.
  auto n = up().socket.socket().read_some(net::buffer(data, std::min(size, head_read)), ec);  // non-blocking
  if (ec == net::error::would_block || ec == net::error::try_again) {
    up().buffer.release();
    return do_read_response_head();
  }
  if (ec) return on_response_head_error(ec);
  up().buffer.commit(n);
  on_response_head_bytes();
}

void exchange::on_response_head_error(error_code ec) {
  if (upstream_.retry_stale(response_started_)) return;
  if ((ec == net::error::eof || ec == net::ssl::error::stream_truncated) && up().buffer.empty())
    return fail(502, "upstream closed the connection without a response");
  if (ec == net::error::eof) return fail(502, "bad upstream response: partial message");
  return fail(502, "bad upstream response: " + ec.message());
}

void exchange::on_response_head_bytes() {
  auto data = up().buffer.data();
  auto max = s_->config_in_use()->limits.max_header_bytes;
  auto end = data.find("\r\n\r\n");
  if (end == std::string_view::npos ? data.size() > max : end + 4 > max) {
    return fail(502, "upstream response header too large");
  }
  if (end == std::string_view::npos) return do_read_response_head();
  rhead_raw_.assign(data.data(), end + 4);
  up().buffer.consume(end + 4);
  if (rp_) rp_->give_back(scratch_->response_fields, scratch_->response_body);  // after a 1xx
  rp_.emplace(std::move(scratch_->response_fields), std::move(scratch_->response_body));
  rp_->body_limit(std::nullopt);
  if (req_.head) rp_->skip(true);
  error_code ec;
  rp_->parse_head(rhead_raw_, ec);
  if (ec) {
    return fail(502, "bad upstream response: " + ec.message());
  }
  response_started_ = true;
  auto status = rp_->head().status;
  if (status >= 100 && status < 200) {
    if (status == 101) {
      return fail(502, "upstream switched protocols, which holdon does not proxy");
    }
    on_interim(status);
    return next_response_head();
  }
  on_final_head();
}

void exchange::on_interim(unsigned status) {
  if (!interims_.may_forward(status)) return;
  const auto& h = rp_->head();
  writer_.write(interim_head(status, h.reason, h.fields));
  interims_.forwarded();
}

void exchange::on_final_head() {
  commit();
  final_at_ = clock::now();

  const auto& ures = rp_->head();
  unsigned client_version = s_->request().head().version;
  status_ = ures.status;
  client_fields_.assign(ures.fields);
  rewrite_response_headers(client_fields_, {{}, "http", ures.version, s_->config_in_use()->via, s_->via_value(ures.version)});

  bool no_body = req_.head || status_ == 204 || status_ == 304;
  if (auto m = mount_of(route_); m.active()) map_response(m);
  if (no_body) hrefs_.reset();
  if (hrefs_) client_fields_.erase("Content-Length");  // hrefs change the length: re-framed
  auto plan = plan_response({status_, req_.head, rp_->content_length().has_value() && !hrefs_, rp_->chunked(),
                             client_version, s_->may_keep_alive()});
  plan_ = plan;
  if (plan_.chunk_out) client_fields_.insert("Transfer-Encoding", "chunked");
  if (plan.connection == response_plan::connection_field::close) client_fields_.insert("Connection", "close");
  else if (plan.connection == response_plan::connection_field::keep_alive) client_fields_.set("Connection", "keep-alive");
  client_head_.clear();
  write_response_head(client_head_, status_, ures.reason, client_fields_);

  writer_.after_drain(client_writer::then::relay_response);
}

// A prefix-mounted route: Location and Content-Location back to the public side, and an XML
// body (207 multistatus, LOCK answers...) gets its DAV: hrefs mapped while it streams.
void exchange::map_response(const prefix_mount& m) {
  const auto& up = s_->config_in_use()->upstreams[route_.upstream_index];
  auto authority = up.servers[upstream_.has_conn() ? upstream_.conn().server : 0].text();
  std::string_view client_scheme = s_->scheme(), up_scheme = up.tls.enabled ? "https" : "http";
  std::string host(s_->request().head().fields["Host"]);
  if (!map_response_fields(m, {host, authority, client_scheme, up_scheme}, client_fields_)) return;
  hrefs_.emplace([m, host, authority, client_scheme, up_scheme](std::string_view href) {
    return url_to_public(m, href, host, authority, client_scheme, up_scheme);
  });
}

// ---------------------------------------------------------------- response body

void exchange::start_response() {
  set_deadline(route_.timeouts.idle, deadline_kind::response_body);
  if (plan_.no_body) {
    net::async_write(s_->socket(), net::buffer(client_head_), [self = shared_from_this()](error_code ec, std::size_t n) {
      self->bytes_out_ += n;
      if (self->ended()) return;
      if (ec) return self->abort("client write failed: " + ec.message());
      self->finish(self->plan_.keep_alive);
    });
    return;
  }
  pump_response();
}

// Parses what the upstream sent so far and writes it on, framed for the client, from the
// upstream connection's read buffer (the head goes in the same write while it is unsent).
void exchange::pump_response() {
  auto& in = up().buffer;
  rp_->body().clear();
  std::size_t used = 0;
  if (!in.empty() && !rp_->is_done()) {
    error_code ec;
    used = rp_->put_body(in.data(), ec);
    if (ec) {
      return abort("upstream failed mid-body: " + ec.message());
    }
  }
  bool last = rp_->is_done();
  out_.clear();
  if (!head_written_) out_.push_back(net::buffer(client_head_));
  frame_response_body(rp_->body(), last);
  if (out_.empty()) {
    in.consume(used);
    if (last) return finish(plan_.keep_alive);
    return do_read_response_body();
  }
  out_consumed_ = used;
  set_deadline(route_.timeouts.idle, deadline_kind::response_body);
  net::async_write(s_->socket(), std::span<const net::const_buffer>(out_), [self = shared_from_this()](error_code ec, std::size_t n) {
    self->on_write_response(ec, n);
  });
}

void exchange::frame_response_body(const std::vector<std::string_view>& body, bool last) {
  if (hrefs_) {
    rewritten_.clear();
    for (auto b : body) hrefs_->feed(b, rewritten_);
    if (last) hrefs_->finish(rewritten_);
    std::vector<std::string_view> one;
    if (!rewritten_.empty()) one.push_back(rewritten_);
    if (plan_.chunk_out) return add_chunked(out_, chunk_size_, one, last);
    for (auto b : one) out_.push_back(buf(b));
    return;
  }
  if (plan_.chunk_out) return add_chunked(out_, chunk_size_, body, last);
  for (auto b : body)
    if (!b.empty()) out_.push_back(buf(b));
}

void exchange::do_read_response_body() {
  set_deadline(route_.timeouts.idle, deadline_kind::response_body);
  auto [data, size] = up().buffer.prepare(1, buffer_pool::large);
  up().socket.async_read_some(net::buffer(data, size), [self = shared_from_this()](error_code ec, std::size_t n) {
    self->on_read_response_body(ec, n);
  });
}

void exchange::on_read_response_body(error_code ec, std::size_t n) {
  if (ended()) return;
  // A close-delimited body ends with the connection: over TLS possibly without close_notify
  // (RFC 9112 §6.3, §9.8).
  if ((ec == net::error::eof || ec == net::ssl::error::stream_truncated) && rp_->need_eof()) {
    upstream_.broken();
    ec = {};
    rp_->put_eof(ec);
    if (!ec) return pump_response();
  }
  if (ec) {
    return abort("upstream failed mid-body: " + ec.message());
  }
  up().buffer.commit(n);
  pump_response();
}

void exchange::on_write_response(error_code ec, std::size_t n) {
  bytes_out_ += n;
  if (ended()) return;
  if (ec) return abort("client write failed: " + ec.message());
  head_written_ = true;
  up().buffer.consume(out_consumed_);
  out_consumed_ = 0;
  if (rp_->is_done()) return finish(plan_.keep_alive);  // the last bytes (and chunk) went out
  if (up().buffer.empty() && start_splice(leg::down)) return;
  pump_response();
}

// ---------------------------------------------------------------- spliced bodies

// One body spliced between the two plain TCP sockets, either way: down is the response's,
// upstream -> client; up is the request's, client -> upstream. false: not now (TLS, framing
// to change, too short, no pipe), relay it as usual.
bool exchange::start_splice(leg l) {
  bool down = l == leg::down;
  std::uint64_t remaining = down ? rp_->body_remaining() : s_->request().body_remaining();
  if (up().socket.is_tls() || s_->socket().is_tls() || remaining < splice_min) return false;
  if (down ? (hrefs_ || plan_.chunk_out) : !waiting()) return false;
  error_code ec;
  auto pipe = s_->home().pipes.get(ec);
  if (!pipe) return false;  // out of descriptors, say: read and write as usual
  int client = s_->socket().socket().native_handle(), upstream = up().socket.socket().native_handle();
  (down ? spliced_down_ : spliced_up_) = {down ? upstream : client, down ? client : upstream, pipe, remaining, 0};
  (down ? up().buffer : s_->input()).release();  // no buffer while the body is spliced
  splice(l);
  return true;
}

void exchange::splice(leg l) {
  bool down = l == leg::down;
  if (down ? ended() : !waiting()) return;  // an early final response stops the upload
  std::uint64_t in = 0, out = 0;
  auto st = splice_step(down ? spliced_down_ : spliced_up_, splice_budget, in, out);
  if (down) {
    rp_->body_moved(in);
    bytes_out_ += out;
  } else {
    s_->request().body_moved(in);
    bytes_in_ += in;
  }
  if (in || out) set_deadline(route_.timeouts.idle, down ? deadline_kind::response_body : deadline_kind::request_body);
  auto self = shared_from_this();
  auto& from = down ? up().socket.socket() : s_->socket().socket();
  auto& to = down ? s_->socket().socket() : up().socket.socket();
  switch (st) {
    case splice_status::done:
      return down ? finish(plan_.keep_alive) : on_request_forwarded();
    case splice_status::yield:
      return net::post(s_->socket().get_executor(), [self, l] { self->splice(l); });
    case splice_status::wait_readable:
      return from.async_wait(tcp::socket::wait_read, [self, l](error_code ec) { self->on_splice_wait(l, true, ec); });
    case splice_status::wait_writable:
      return to.async_wait(tcp::socket::wait_write, [self, l](error_code ec) { self->on_splice_wait(l, false, ec); });
    case splice_status::eof:
      return on_splice_failed(l, true, "the connection ended");
    case splice_status::read_error:
      return on_splice_failed(l, true, errno_text());
    case splice_status::write_error:
      return on_splice_failed(l, false, errno_text());
  }
}

void exchange::on_splice_wait(leg l, bool reading, error_code ec) {
  // The upload stops with an early final response; a failed write up still lets the response read decide.
  if (l == leg::up && reading ? !waiting() : ended()) return;
  if (ec) return on_splice_failed(l, reading, ec.message());
  splice(l);
}

// `reading`: the side the body comes from failed (else the side it goes to).
void exchange::on_splice_failed(leg l, bool reading, const std::string& what) {
  if (l == leg::down) {
    if (!reading) return abort("client write failed: " + what);
    return abort("upstream failed mid-body: " + what);
  }
  upstream_.broken();  // the upstream got a partial body
  if (reading) return abort("client failed while sending the body: " + what);
  // The upstream stopped reading; it may still have answered (413, 401...): the response read decides.
}

void exchange::end_splices() {
  s_->home().pipes.put(spliced_down_.pipe, spliced_down_.in_pipe == 0);
  s_->home().pipes.put(spliced_up_.pipe, spliced_up_.in_pipe == 0);
  spliced_down_.pipe = spliced_up_.pipe = {};
}

// ---------------------------------------------------------------- timers

stream& exchange::client_stream() { return s_->socket(); }
worker& exchange::home() { return s_->home(); }

void exchange::set_deadline(clock::duration d, deadline_kind k) {
  deadline_ = clock::now() + d;
  deadline_kind_ = k;
}

void exchange::on_tick(clock::time_point now) {
  if (ended()) return;
  if (deadline_kind_ != deadline_kind::none && now >= deadline_) return on_timeout();
  if (request_phase_ != request_phase::forwarded || !waiting()) return;
  // Waiting for the upstream: from now on a client that leaves must be noticed, and the
  // next 102 armed when it is near.
  s_->start_watch();
  interims_.on_tick(now);
}

void exchange::on_timeout() {
  auto kind = deadline_kind_;
  deadline_kind_ = deadline_kind::none;
  switch (kind) {
    case deadline_kind::none:
      return;
    case deadline_kind::connect:
      return upstream_.connect_failed(504, "upstream connect timed out");
    case deadline_kind::response:
      if (!waiting()) return;
      s_->home().stats.upstream_timeouts.fetch_add(1, std::memory_order_relaxed);
      return fail(504, "no response from the upstream within " +
                           std::to_string(route_.timeouts.upstream_response.count()) + " ms");
    case deadline_kind::request_body:
    case deadline_kind::response_body:
      return abort("idle timeout while relaying a body");
  }
}

// ---------------------------------------------------------------- endings

void exchange::fail(unsigned status, std::string_view why) {
  if (error_.empty()) error_ = why;
  upstream_.close();
  if (!waiting()) return abort(why);
  commit();
  status_ = status;
  log(log_level::debug, "exchange failed: " + std::string(why));
  bool keep = keep_after_error(status, s_->request().head().version, s_->may_keep_alive());
  writer_.write(error_response(status, why, keep, req_.head));
  writer_.after_drain(keep ? client_writer::then::finish_keep : client_writer::then::finish_close);
}

void exchange::abort(std::string_view why) {
  if (ended()) return;
  if (error_.empty()) error_ = why;
  log(log_level::debug, "exchange aborted: " + std::string(why));
  upstream_.broken();
  finish(false);
}

void exchange::on_client_gone() {
  if (ended()) return;
  upstream_.broken();
  if (error_.empty()) error_ = "client closed the connection";
  if (status_ == 0) status_ = 499;  // nginx's word for it, in the log only
  finish(false);
}

void exchange::finish(bool client_keep_alive) {
  if (ended()) return;
  phase_ = phase::ended;  // every ending comes here: the scheduler stops with it
  interims_.stop();
  end_splices();
  deadline_kind_ = deadline_kind::none;
  upstream_.end(rp_ && rp_->is_done() && rp_->keep_alive() && request_phase_ == request_phase::forwarded);
  record_metrics();
  if (!error_.empty()) s_->home().stats.exchanges_failed.fetch_add(1, std::memory_order_relaxed);
  log_access();
  s_->on_exchange_done(client_keep_alive);
}

// Per-route status class and time to the final response (issue 5: /metrics). An exchange
// that never produced a final status (client gone first) counts as 499 and is not timed.
void exchange::record_metrics() {
  auto& m = s_->home().stats;
  const auto& routes = s_->config_in_use()->routes;
  if (!routes.empty() && &route_ >= routes.data() && &route_ < routes.data() + routes.size())
    m.count_response(static_cast<std::size_t>(&route_ - routes.data()), status_ ? status_ : 499);
  if (status_ != 0 && status_ != 499)
    m.observe_final((final_at_ == clock::time_point{} ? clock::now() : final_at_) - started_);
}

void exchange::log_access() {
  auto fmt = s_->config_in_use()->access_log;
  if (fmt == access_log_format::off) return;
  const auto& req = s_->request().head();
  auto now = clock::now();
  auto time = utc_timestamp(std::chrono::system_clock::now());
  exchange_record r;
  r.time = time;
  r.client = s_->end_client();
  r.method = req.method;
  r.target = req.target;
  r.route = route_.path_prefix;
  r.policy = policy_.why;
  r.user_agent = req.fields[field_kind::user_agent];
  r.error = error_;
  r.status = status_;
  r.interims = interims_.sent();
  r.keepalive_102 = interims_.keepalives();
  if (forwarded_at_ != clock::time_point{})
    r.upstream_ms = ms((final_at_ == clock::time_point{} ? now : final_at_) - forwarded_at_);
  r.total_ms = ms(now - started_);
  r.bytes_in = bytes_in_;
  r.bytes_out = bytes_out_;
  access_line(access_line_of(r, fmt));
}

}  // namespace holdon
