#include "holdon/response_relay.hpp"

#include <boost/asio/ssl/error.hpp>
#include <boost/asio/write.hpp>
#include <span>

#include "holdon/body_framing.hpp"
#include "holdon/client_session.hpp"
#include "holdon/exchange.hpp"
#include "holdon/header_rewrite.hpp"

namespace holdon {

namespace {
// The first read of a response on a plain TCP upstream (heads are rarely longer).
constexpr std::size_t head_read = 4096;
}  // namespace

response_relay::response_relay(exchange& x, const route_config& route) : x_(x), route_(route) {}

void response_relay::release() {
  if (rp_) rp_->give_back(scratch_->response_fields, scratch_->response_body);
  rp_.reset();
  if (scratch_) x_.home().responses.put(std::move(scratch_));
}

// ---------------------------------------------------------------- heads

void response_relay::next_head() {
  if (!x_.up().buffer.empty()) return on_head_bytes();  // after a 1xx, say
  do_read_head();
}

void response_relay::do_read_head() {
  auto& up = x_.up();
  if (!up.socket.is_tls() && up.buffer.empty()) {
    // The first wait on a reused (busy) connection: an eager read (no epoll_ctl to arm it),
    // demoted by the next tick.
    bool first = first_wait_;
    first_wait_ = false;
    if (first && up.requests > 1) {
      auto read = [self = x_.shared_from_this(), this](error_code ec, std::size_t n) { on_eager_read(ec, n); };
      if (eager_.start(up.socket.socket(), up.buffer, head_read, std::move(read))) return;
    }
    // Otherwise waiting for the upstream holds no buffer: readability first, then a read. After
    // a 1xx (the upstream's 102 every second, for minutes) the block it came in goes back too.
    up.buffer.release();
    up.socket.socket().async_wait(tcp::socket::wait_read,
                                  [self = x_.shared_from_this(), this](error_code ec) { on_readable(ec); });
    return;
  }
  auto [data, size] = up.buffer.prepare(1);
  up.socket.async_read_some(net::buffer(data, size), [self = x_.shared_from_this(), this](error_code ec, std::size_t n) {
    if (!x_.waiting()) return;
    if (ec) return on_head_error(ec);
    x_.up().buffer.commit(n);
    on_head_bytes();
  });
}

void response_relay::on_readable(error_code ec) {
  if (!x_.waiting()) return;
  if (ec) return on_head_error(ec);
  auto& up = x_.up();
  auto [data, size] = up.buffer.prepare(1);
  // The head and what follows in the same few KiB: a larger body is better spliced than read.
  auto n = up.socket.socket().read_some(net::buffer(data, std::min(size, head_read)), ec);  // non-blocking
  if (ec == net::error::would_block || ec == net::error::try_again) return do_read_head();  // it gives the block back
  if (ec) return on_head_error(ec);
  up.buffer.commit(n);
  on_head_bytes();
}

void response_relay::on_tick() { eager_.on_tick(x_.up().socket.socket()); }

void response_relay::on_eager_read(error_code ec, std::size_t n) {
  if (!x_.waiting()) return;
  if (eager_.demoted(ec)) return do_read_head();  // gives the block back and waits
  if (ec) return on_head_error(ec);
  x_.up().buffer.commit(n);
  on_head_bytes();
}

void response_relay::on_head_error(error_code ec) {
  if (x_.retry_stale()) return;
  if ((ec == net::error::eof || ec == net::ssl::error::stream_truncated) && x_.up().buffer.empty())
    return x_.fail(502, "upstream closed the connection without a response");
  if (ec == net::error::eof) return x_.fail(502, "bad upstream response: partial message");
  return x_.fail(502, "bad upstream response: " + ec.message());
}

void response_relay::on_head_bytes() {
  auto& in = x_.up().buffer;
  auto data = in.data();
  auto max = x_.session().config_in_use()->limits.max_header_bytes;
  auto end = data.find("\r\n\r\n");
  if (end == std::string_view::npos ? data.size() > max : end + 4 > max)
    return x_.fail(502, "upstream response header too large");
  if (end == std::string_view::npos) return do_read_head();
  if (!scratch_) scratch_ = x_.home().responses.get();  // the first head: from now on it is needed
  raw().assign(data.data(), end + 4);
  in.consume(end + 4);
  if (rp_) rp_->give_back(scratch_->response_fields, scratch_->response_body);  // after a 1xx
  rp_.emplace(std::move(scratch_->response_fields), std::move(scratch_->response_body));
  rp_->body_limit(std::nullopt);
  if (x_.request_facts().head) rp_->skip(true);
  error_code ec;
  rp_->parse_head(raw(), ec);
  if (ec) return x_.fail(502, "bad upstream response: " + ec.message());
  started_ = true;
  const auto& h = rp_->head();
  if (h.status >= 100 && h.status < 200) {
    if (h.status == 101) return x_.fail(502, "upstream switched protocols, which holdon does not proxy");
    x_.on_interim(h.status, h.reason, h.fields);
    if (!x_.waiting()) return;  // the client's write failed: the exchange ended
    return next_head();
  }
  x_.on_final_head();
}

// The client's head for the final response: end-to-end fields, Via, the mount's mapping, and
// the framing response_plan chose. Returns the status.
unsigned response_relay::final_head() {
  bool head_request = x_.request_facts().head;
  auto& s = x_.session();
  const auto& ures = rp_->head();
  unsigned client_version = s.request().head().version;
  client_fields().assign(ures.fields);
  rewrite_response_headers(client_fields(), {{}, "http", ures.version, s.config_in_use()->via, s.via_value(ures.version)});
  if (auto m = mount_of(route_); m.active()) map_fields(m);
  if (without_body(ures.status, head_request)) hrefs_.reset();
  if (hrefs_) client_fields().erase("Content-Length");  // hrefs change the length: re-framed
  plan_ = plan_response({ures.status, head_request, rp_->content_length().has_value() && !hrefs_, rp_->chunked(),
                         client_version, s.may_keep_alive()});
  if (plan_.chunk_out) client_fields().insert("Transfer-Encoding", "chunked");
  if (plan_.connection == response_plan::connection_field::close) client_fields().insert("Connection", "close");
  else if (plan_.connection == response_plan::connection_field::keep_alive) client_fields().set("Connection", "keep-alive");
  client_head().clear();
  write_response_head(client_head(), ures.status, ures.reason, client_fields());
  return ures.status;
}

// A prefix-mounted route: Location and Content-Location back to the public side, and an XML
// body (207 multistatus, LOCK answers...) gets its DAV: hrefs mapped while it streams.
void response_relay::map_fields(const prefix_mount& m) {
  auto& s = x_.session();
  const auto& up = s.config_in_use()->upstreams[route_.upstream_index];
  auto authority = up.servers[x_.up().server].text();
  std::string_view client_scheme = s.scheme(), up_scheme = up.tls.enabled ? "https" : "http";
  std::string host(s.request().head().fields["Host"]);
  if (!map_response_fields(m, {host, authority, client_scheme, up_scheme}, client_fields())) return;
  hrefs_.emplace([m, host, authority, client_scheme, up_scheme](std::string_view href) {
    return url_to_public(m, href, host, authority, client_scheme, up_scheme);
  });
}

// ---------------------------------------------------------------- body

void response_relay::start() {
  x_.touch_body(exchange::leg::down);
  if (!plan_.no_body) return pump();
  net::async_write(x_.client_stream(), net::buffer(client_head()),
                   [self = x_.shared_from_this(), this](error_code ec, std::size_t n) {
                     x_.count_out(n);
                     if (x_.ended()) return;
                     if (ec) return x_.abort("client write failed: " + ec.message());
                     x_.finish(plan_.keep_alive);
                   });
}

// Parses what the upstream sent so far and writes it on, framed for the client, from the
// upstream connection's read buffer (the head goes in the same write while it is unsent).
void response_relay::pump() {
  auto& in = x_.up().buffer;
  rp_->body().clear();
  std::size_t used = 0;
  if (!in.empty() && !rp_->is_done()) {
    error_code ec;
    used = rp_->put_body(in.data(), ec);
    if (ec) return x_.abort("upstream failed mid-body: " + ec.message());
  }
  bool last = rp_->is_done();
  out().clear();
  if (!head_written_) out().push_back(net::buffer(client_head()));
  frame_body(rp_->body(), last);
  if (out().empty()) {
    in.consume(used);
    if (last) return x_.finish(plan_.keep_alive);
    return do_read_body();
  }
  out_consumed_ = used;
  x_.touch_body(exchange::leg::down);
  net::async_write(x_.client_stream(), std::span<const net::const_buffer>(out()),
                   [self = x_.shared_from_this(), this](error_code ec, std::size_t n) { on_write(ec, n); });
}

void response_relay::frame_body(const std::vector<std::string_view>& body, bool last) {
  if (!hrefs_) {
    if (plan_.chunk_out) return add_chunked(out(), chunk_size_, body, last);
    return add_plain(out(), body);
  }
  rewritten_.clear();
  for (auto b : body) hrefs_->feed(b, rewritten_);
  if (last) hrefs_->finish(rewritten_);
  std::vector<std::string_view> one;
  if (!rewritten_.empty()) one.push_back(rewritten_);
  if (plan_.chunk_out) return add_chunked(out(), chunk_size_, one, last);
  add_plain(out(), one);
}

void response_relay::do_read_body() {
  x_.touch_body(exchange::leg::down);
  auto& up = x_.up();
  auto [data, size] = up.buffer.prepare(1, buffer_pool::large);
  up.socket.async_read_some(net::buffer(data, size), [self = x_.shared_from_this(), this](error_code ec, std::size_t n) {
    on_read_body(ec, n);
  });
}

void response_relay::on_read_body(error_code ec, std::size_t n) {
  if (x_.ended()) return;
  // A close-delimited body ends with the connection: over TLS possibly without close_notify
  // (RFC 9112 §6.3, §9.8).
  if ((ec == net::error::eof || ec == net::ssl::error::stream_truncated) && rp_->need_eof()) {
    x_.upstream_broken();
    ec = {};
    rp_->put_eof(ec);
    if (!ec) return pump();
  }
  if (ec) return x_.abort("upstream failed mid-body: " + ec.message());
  x_.up().buffer.commit(n);
  pump();
}

void response_relay::on_write(error_code ec, std::size_t n) {
  x_.count_out(n);
  if (x_.ended()) return;
  if (ec) return x_.abort("client write failed: " + ec.message());
  head_written_ = true;
  auto& in = x_.up().buffer;
  in.consume(out_consumed_);
  out_consumed_ = 0;
  if (rp_->is_done()) return x_.finish(plan_.keep_alive);  // the last bytes (and chunk) went out
  if (in.empty() && x_.start_splice(exchange::leg::down)) return;
  pump();
}

}  // namespace holdon
