#include "holdon/client_writer.hpp"

#include <boost/asio/write.hpp>

#include "holdon/exchange.hpp"
#include "holdon/header_rewrite.hpp"

namespace holdon {

std::string_view client_writer::queued::bytes() const { return is_102 ? keepalive_102 : std::string_view(owned); }

void client_writer::write(std::string bytes) {
  queue_.push_back({std::move(bytes), false});
  if (!writing_) do_write();
}

// Holdon's 102 straight to a plain TCP socket when nothing else is being written (it nearly
// always fits in the socket buffer: no write operation, no completion to run).
void client_writer::send_102() {
  auto& s = x_.client_stream();
  if (!writing_ && queue_.empty() && !s.is_tls()) {
    error_code ec;
    auto n = s.socket().send(net::buffer(keepalive_102.data(), keepalive_102.size()), 0, ec);
    if (!ec) x_.count_out(n);
    if (!ec && n == keepalive_102.size()) return;
    if (!ec) return write(std::string(keepalive_102.substr(n)));  // the rest, in order
    if (ec != net::error::would_block && ec != net::error::try_again)
      return x_.abort("client write failed: " + ec.message());
  }
  queue_.push_back({{}, true});
  if (!writing_) do_write();
}

void client_writer::after_drain(then t) {
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
