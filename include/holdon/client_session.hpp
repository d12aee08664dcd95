// client_session: one client connection. Owns the socket, the read buffer and the
// request parser; reads one request head at a time (header timeout), validates and
// routes it, and hands it to an exchange. While an exchange waits for the upstream,
// the session watches the socket so that a client that leaves is noticed at once.
// Runs on its worker's io_context; dies when the last handler holding it returns.
#pragma once
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/http/buffer_body.hpp>
#include <boost/beast/http/parser.hpp>
#include <memory>
#include <optional>
#include <string>

#include "holdon/net.hpp"
#include "holdon/stream.hpp"
#include "holdon/worker.hpp"

namespace holdon {

class exchange;

class client_session : public std::enable_shared_from_this<client_session> {
 public:
  // `tls`: the listener's context; the session does the TLS handshake first.
  client_session(tcp::socket socket, worker& w, net::ssl::context* tls = nullptr);
  ~client_session();
  void start();
  void on_drain();  // SIGTERM: close now unless an exchange is in flight (then after it)

 private:
  friend class exchange;
  using request_parser = beast::http::request_parser<beast::http::buffer_body>;

  void do_handshake();
  void do_wait_request();  // keep-alive: idle timeout until the next request's first byte
  void do_read_header();
  void do_read_raw_head();
  void on_read_header(error_code ec);
  void reply_and_close(unsigned status, std::string_view text);
  void arm_timer(duration d);
  void disarm_timer();

  // Called by the exchange.
  void start_watch();
  void on_watch(error_code ec, std::size_t n);
  void on_exchange_done(bool keep_alive);
  void next_request();
  void close();

  stream socket_;  // plain or TLS
  worker& worker_;
  std::shared_ptr<const config> cfg_;  // snapshot for this connection's lifetime
  beast::flat_buffer buffer_;
  std::optional<request_parser> parser_;
  net::steady_timer timer_;
  unsigned timer_seq_ = 0;
  std::weak_ptr<exchange> current_;
  std::string client_ip_;
  std::string_view scheme_;  // "http" or "https": what the client speaks to us
  bool watching_ = false;          // a watch read is pending on socket_
  bool next_after_watch_ = false;  // exchange done while the watch read was pending
  bool peer_closed_ = false;       // client sent EOF: finish the current response, then close
  bool closed_ = false;
  std::size_t requests_ = 0;   // heads accepted on this connection
  bool last_request_ = false;  // max_requests_per_connection reached or draining: answer with close
};

}  // namespace holdon
