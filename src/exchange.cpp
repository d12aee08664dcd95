#include "holdon/exchange.hpp"

#include <boost/asio/connect.hpp>
#include <boost/asio/ssl/error.hpp>
#include <boost/asio/write.hpp>
#include <boost/beast/http/error.hpp>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <span>

#include "holdon/body_framing.hpp"
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

// Bodies at least this large (after what arrived with the head) are spliced, not read.
constexpr std::uint64_t splice_min = 16 * 1024;
// At most this much per turn of a spliced body, then the worker's other connections run.
constexpr std::uint64_t splice_budget = 1024 * 1024;

std::string errno_text() { return std::strerror(errno); }
}  // namespace

exchange::exchange(std::shared_ptr<client_session> s, const route_config& route, interim_decision d)
    : s_(std::move(s)),
      route_(route),
      policy_(std::move(d)),
      scratch_(s_->home().exchange_scratches.get()),
      up_fields_(scratch_->up_fields),
      up_head_(scratch_->up_head),
      up_out_(scratch_->up_out) {
  s_->home().stats.exchanges.fetch_add(1, std::memory_order_relaxed);
  s_->home().stats.exchanges_in_flight.fetch_add(1, std::memory_order_relaxed);
}

exchange::~exchange() {
  s_->forget(this);
  s_->home().stats.exchanges_in_flight.fetch_sub(1, std::memory_order_relaxed);
  response_.release();
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
    if (retry_stale()) return;
    return fail(502, "upstream write failed: " + ec.message());
  }
  ++up().requests;
  response_.next_head();
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
  add_plain(up_out_, body);
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

// ---------------------------------------------------------------- upcalls of the response relay

// An upstream 1xx: the scheduler says whether it may go, the writer sends it.
void exchange::on_interim(unsigned status, std::string_view reason, const header_fields& fields) {
  if (!interims_.may_forward(status)) return;
  writer_.write(interim_head(status, reason, fields));
  interims_.forwarded();
}

void exchange::on_final_head() {
  commit();
  final_at_ = clock::now();
  status_ = response_.final_head(req_.head);
  writer_.after_drain(client_writer::then::relay_response);
}

bool exchange::retry_stale() { return upstream_.retry_stale(response_.started()); }

void exchange::touch_body(leg l) {
  set_deadline(route_.timeouts.idle, l == leg::down ? deadline_kind::response_body : deadline_kind::request_body);
}

// ---------------------------------------------------------------- spliced bodies

// One body spliced between the two plain TCP sockets, either way: down is the response's,
// upstream -> client; up is the request's, client -> upstream. false: not now (TLS, framing
// to change, too short, no pipe), relay it as usual.
bool exchange::start_splice(leg l) {
  bool down = l == leg::down;
  std::uint64_t remaining = down ? response_.body_remaining() : s_->request().body_remaining();
  if (up().socket.is_tls() || s_->socket().is_tls() || remaining < splice_min) return false;
  if (down ? !response_.may_splice() : !waiting()) return false;
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
    response_.body_moved(in);
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
      return down ? finish(response_.plan().keep_alive) : on_request_forwarded();
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
  upstream_.end(response_.complete() && request_phase_ == request_phase::forwarded);
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
