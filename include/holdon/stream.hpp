// stream: one connection's byte stream, plain TCP or TLS over TCP, chosen at construction.
// It models Asio's AsyncReadStream/AsyncWriteStream, so Beast's http::async_read/write and
// net::async_write work on it unchanged; the TCP socket underneath stays reachable for
// options, waits, cancel and close. Owned by a client_session or an upstream_conn, used on
// that owner's executor only. A TLS stream (440 bytes) lives on the heap, so that a plain
// connection, the common case and the one held by the thousand, carries only its socket.
#pragma once
#include <boost/asio/async_result.hpp>
#include <boost/asio/ssl/context.hpp>
#include <boost/asio/ssl/stream.hpp>
#include <memory>
#include <utility>
#include <variant>

#include "holdon/net.hpp"

namespace holdon {

class stream {
 public:
  using executor_type = net::any_io_executor;
  using tls_stream = net::ssl::stream<tcp::socket>;

  explicit stream(tcp::socket s) : s_(std::in_place_index<0>, std::move(s)) {}
  explicit stream(const executor_type& ex) : s_(std::in_place_index<0>, ex) {}
  stream(tcp::socket s, net::ssl::context& ctx)
      : s_(std::in_place_index<1>, std::make_unique<tls_stream>(std::move(s), ctx)) {}
  stream(const executor_type& ex, net::ssl::context& ctx)
      : s_(std::in_place_index<1>, std::make_unique<tls_stream>(ex, ctx)) {}

  executor_type get_executor() { return socket().get_executor(); }
  tcp::socket& socket() { return s_.index() == 0 ? std::get<0>(s_) : std::get<1>(s_)->next_layer(); }
  const tcp::socket& socket() const {
    return s_.index() == 0 ? std::get<0>(s_) : std::get<1>(s_)->next_layer();
  }
  bool is_tls() const { return s_.index() == 1; }
  tls_stream& tls() { return *std::get<1>(s_); }  // only when is_tls()

  bool is_open() const { return socket().is_open(); }
  void close(error_code& ec) { socket().close(ec); }
  void cancel(error_code& ec) { socket().cancel(ec); }
  void shutdown(tcp::socket::shutdown_type what, error_code& ec) { socket().shutdown(what, ec); }

  template <class MutableBuffers, class Handler>
  auto async_read_some(const MutableBuffers& b, Handler&& h) {
    return net::async_initiate<Handler, void(error_code, std::size_t)>(
        [this](auto handler, const MutableBuffers& buffers) {
          if (s_.index() == 0) std::get<0>(s_).async_read_some(buffers, std::move(handler));
          else std::get<1>(s_)->async_read_some(buffers, std::move(handler));
        },
        h, b);
  }

  template <class ConstBuffers, class Handler>
  auto async_write_some(const ConstBuffers& b, Handler&& h) {
    return net::async_initiate<Handler, void(error_code, std::size_t)>(
        [this](auto handler, const ConstBuffers& buffers) {
          if (s_.index() == 0) std::get<0>(s_).async_write_some(buffers, std::move(handler));
          else std::get<1>(s_)->async_write_some(buffers, std::move(handler));
        },
        h, b);
  }

 private:
  std::variant<tcp::socket, std::unique_ptr<tls_stream>> s_;
};

}  // namespace holdon
