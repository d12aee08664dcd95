#include "holdon/client_writer.hpp"

#include <boost/asio/write.hpp>

#include "holdon/exchange.hpp"
#include "holdon/header_rewrite.hpp"

namespace holdon {

std::string_view client_writer::queued::bytes() const { return is_102 ? keepalive_102 : std::string_view(owned); }

// Sends what it can at once to a plain TCP socket when nothing is queued or being written: a
// 102 or an interim head nearly always fits the socket buffer, so there is no write operation
// and no completion to run. Returns the bytes sent; npos: the write failed, the exchange ended.
std::size_t client_writer::send_now(std::string_view bytes) {
  auto& s = x_.client_stream();
  if (writing_ || !queue_.empty() || s.is_tls()) return 0;
  error_code ec;
  auto n = s.socket().send(net::buffer(bytes.data(), bytes.size()), 0, ec);
  if (!ec) x_.count_out(n);
  if (!ec) return n;
  if (ec == net::error::would_block || ec == net::error::try_again) return 0;
  x_.abort("client write failed: " + ec.message());
  return std::string_view::npos;
}

void client_writer::write(std::string bytes) {
  auto n = send_now(bytes);
  if (n == std::string_view::npos || n == bytes.size()) return;
  bytes.erase(0, n);  // the rest, in order
  queue_.push_back({std::move(bytes), false});
  if (!writing_) do_write();
}

void client_writer::send_102() {
  auto n = send_now(keepalive_102);
  if (n == std::string_view::npos || n == keepalive_102.size()) return;
  if (n) queue_.push_back({std::string(keepalive_102.substr(n)), false});
  else queue_.push_back({{}, true});
  if (!writing_) do_write();
}

void client_writer::after_drain(then t) {
  if (x_.ended()) return;  // a write already failed
  then_ = t;
  if (!writing_ && queue_.empty()) run_then();
}

void client_writer::do_write() {
  writing_ = true;
  net::async_write(x_.client_stream(), net::buffer(queue_.front().bytes()),
                   [self = x_.shared_from_this(), this](error_code ec, std::size_t n) { on_write(ec, n); });
}

void client_writer::on_write(error_code ec, std::size_t n) {
  writing_ = false;
  x_.count_out(n);
  queue_.erase(queue_.begin());
  if (x_.ended()) return;
  if (ec) return x_.abort("client write failed: " + ec.message());
  if (!queue_.empty()) return do_write();
  run_then();
}

void client_writer::run_then() {
  auto t = then_;
  then_ = then::nothing;
  switch (t) {
    case then::relay_response: return x_.relay_response();
    case then::finish_keep: return x_.finish(true);
    case then::finish_close: return x_.finish(false);
    case then::nothing: return;
  }
}

}  // namespace holdon
