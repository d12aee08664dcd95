#include "holdon/exchange.hpp"

#include <boost/asio/write.hpp>
#include <cerrno>
#include <cstring>

#include "holdon/client_session.hpp"
#include "holdon/error_response.hpp"
#include "holdon/exchange_log.hpp"
#include "holdon/header_rewrite.hpp"
#include "holdon/log.hpp"
#include "holdon/metrics.hpp"
#include "holdon/response_plan.hpp"

namespace holdon {

namespace {
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
      policy_(std::move(d)) {
  s_->home().stats.exchanges.fetch_add(1, std::memory_order_relaxed);
  s_->home().stats.exchanges_in_flight.fetch_add(1, std::memory_order_relaxed);
}

exchange::~exchange() {
  s_->forget(this);
  s_->home().stats.exchanges_in_flight.fetch_sub(1, std::memory_order_relaxed);
}

// ---------------------------------------------------------------- the request

void exchange::start() {
  request_.prepare();
  upstream_.start(request_.resendable());
}

// Upcalls of the upstream connector and the request relay.
void exchange::on_server_chosen() { request_.write_head(); }
void exchange::on_connecting() { set_deadline(route_.timeouts.connect, deadline_kind::connect); }
void exchange::on_upstream_ready() { request_.send_head(); }
void exchange::on_no_upstream(unsigned status, std::string_view why) { fail(status, why); }
std::size_t exchange::upstream_server() const { return upstream_.server(); }

// The head is up: the response may start at once (100 Continue, an early answer), while the
// body, if any, follows.
void exchange::on_head_sent() {
  if (request_.facts().has_body) request_phase_ = request_phase::sending_body;
  response_.next_head();
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
  // Nor the head it was sent with, unless a stale pooled connection may make it send it again.
  if (!upstream_.may_retry()) request_.release();
  if (!waiting()) return;
  set_deadline(route_.timeouts.upstream_response, deadline_kind::response);
  interims_.start(forwarded_at_);
}

// ---------------------------------------------------------------- upcalls of the response relay

void exchange::response_begun() {
  if (request_phase_ == request_phase::forwarded) request_.release();
}

// An upstream 1xx: the scheduler says whether it may go, the writer sends it.
void exchange::on_interim(unsigned status, std::string_view reason, const header_fields& fields) {
  response_begun();
  if (!interims_.may_forward(status)) return;
  writer_.write(interim_head(status, reason, fields));
  if (!ended()) interims_.forwarded();
}

void exchange::on_final_head() {
  response_begun();
  commit();
  final_at_ = clock::now();
  status_ = response_.final_head();
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
  response_.on_tick();  // an eager read still pending gives its block back
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
  writer_.write(error_response(status, why, keep, request_.facts().head));
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

// Per-route status class and time to the final response (/metrics). An exchange
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
