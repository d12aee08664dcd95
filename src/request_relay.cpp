#include "holdon/request_relay.hpp"

#include <boost/asio/write.hpp>
#include <boost/beast/http/error.hpp>
#include <span>

#include "holdon/body_framing.hpp"
#include "holdon/client_session.hpp"
#include "holdon/exchange.hpp"
#include "holdon/header_rewrite.hpp"
#include "holdon/prefix_mount.hpp"
#include "holdon/route_table.hpp"

namespace holdon {

namespace {
bool idempotent(std::string_view method) {
  for (std::string_view m : {"GET", "HEAD", "OPTIONS", "TRACE", "PUT", "DELETE", "PROPFIND", "SEARCH", "REPORT"})
    if (method == m) return true;
  return false;
}
}  // namespace

request_relay::request_relay(exchange& x, const route_config& route) : x_(x), route_(route) {}

request_relay::~request_relay() { release(); }

void request_relay::release() {
  if (scratch_) x_.home().upstream_requests.put(std::move(scratch_));
}

void request_relay::prepare() {
  scratch_ = x_.home().upstream_requests.get();
  auto& s = x_.session();
  auto& fields = scratch_->fields;
  auto& p = s.request();
  const auto& req = p.head();
  framing_ = {req.method == "HEAD", !p.is_done(), p.chunked()};
  fields.assign(req.fields);
  rewrite_request_headers(fields, {s.peer_ip(), s.scheme(), req.version, s.config_in_use()->via, s.via_value(req.version),
                                    s.trusts_forwarded()});
  if (framing_.chunked) fields.insert("Transfer-Encoding", "chunked");
  if (fields.find(field_kind::host) == fields.end()) {  // HTTP/1.0 without Host
    const auto& up = s.config_in_use()->upstreams[route_.upstream_index];
    fields.set("Host", fields.own(up.servers.front().text()));
  }
}

bool request_relay::resendable() const {
  return !framing_.has_body && idempotent(x_.session().request().head().method);
}

// The head names the chosen server where a prefix mount maps URLs: written again after a
// failed connect moved the exchange to another server.
void request_relay::write_head() {
  auto& s = x_.session();
  auto& fields = scratch_->fields;
  auto& head = scratch_->head;
  const auto& req = s.request().head();
  auto m = mount_of(route_);
  if (m.active()) {
    const auto& up = s.config_in_use()->upstreams[route_.upstream_index];
    auto authority = up.servers[x_.upstream_server()].text();
    map_request_fields(m, {req.fields["Host"], authority, s.scheme(), up.tls.enabled ? "https" : "http"}, req.fields,
                       fields);
  }
  head.clear();
  if (!m.active() && !req.target.empty() && req.target.front() == '/')
    write_request_head(head, req.method, req.target, fields);
  else
    write_request_head(head, req.method, path_to_upstream(m, target_path(req.target)), fields);
}

void request_relay::send_head() {
  x_.touch_body(exchange::leg::up);
  // With a body the head goes alone first: the upstream may answer 100 Continue before the
  // client sends a byte.
  net::async_write(x_.up().socket, net::buffer(scratch_->head),
                   [self = x_.shared_from_this(), this](error_code ec, std::size_t) { on_send_head(ec); });
}

void request_relay::on_send_head(error_code ec) {
  if (!x_.waiting()) return;
  if (ec) {
    if (x_.retry_stale()) return;
    return x_.fail(502, "upstream write failed: " + ec.message());
  }
  ++x_.up().requests;
  x_.on_head_sent();
  if (!framing_.has_body) return x_.on_request_forwarded();
  pump_body();
}

// Parses what the client sent so far and forwards the body bytes among it, from the
// session's read buffer; reads more when nothing in it can be forwarded.
void request_relay::pump_body() {
  auto& p = x_.session().request();
  auto& in = x_.session().input();
  if (in.empty() && x_.start_splice(exchange::leg::up)) return;
  p.body().clear();
  std::size_t used = 0;
  if (!in.empty()) {
    error_code ec;
    used = p.put_body(in.data(), ec);
    if (ec == boost::beast::http::error::body_limit) return x_.fail(413, "request body larger than limits.max_body_bytes");
    if (ec) return x_.fail(400, "malformed request body: " + ec.message());
  }
  bool last = p.is_done();
  x_.touch_body(exchange::leg::up);
  if (p.body().empty() && !last) {  // framing only (a chunk header), or nothing yet: read on
    in.consume(used);
    auto [data, size] = in.prepare(1, buffer_pool::large);
    x_.session().socket().async_read_some(net::buffer(data, size), [self = x_.shared_from_this(), this](error_code ec, std::size_t n) {
      on_read_body(ec, n);
    });
    return;
  }
  x_.count_in(p.body_bytes());
  auto& out = scratch_->out;
  out.clear();
  if (framing_.chunked) add_chunked(out, chunk_size_, p.body(), last);
  else add_plain(out, p.body());
  out_consumed_ = used;
  net::async_write(x_.up().socket, std::span<const net::const_buffer>(out),
                   [self = x_.shared_from_this(), this](error_code ec, std::size_t) { on_write_body(ec); });
}

void request_relay::on_read_body(error_code ec, std::size_t n) {
  if (!x_.waiting()) return;  // an early final response stops the upload
  if (ec) return x_.abort("client failed while sending the body: " + ec.message());
  x_.session().input().commit(n);
  pump_body();
}

void request_relay::on_write_body(error_code ec) {
  if (x_.ended()) return;
  x_.session().input().consume(out_consumed_);
  out_consumed_ = 0;
  // The upstream stopped reading; it may still have answered (413, 401...): the response read
  // decides. The rest of the client's body is never read.
  if (ec) return x_.upstream_broken();
  if (x_.session().request().is_done()) return x_.on_request_forwarded();
  if (!x_.waiting()) return;
  pump_body();
}

}  // namespace holdon
