// client_session: one client connection. Owns the socket, the read buffer and the
// request parser; reads one request head at a time (header timeout), validates and
// routes it, and hands it to an exchange. While an exchange waits for the upstream,
// the session watches the socket so that a client that leaves is noticed at once.
// Runs on its worker's io_context; its deadlines are checked by the worker's ticker;
// dies when the last handler holding it returns.
#pragma once
#include <chrono>
#include <memory>
#include <optional>
#include <string>

#include "holdon/eager_read.hpp"
#include "holdon/front.hpp"
#include "holdon/http_head.hpp"
#include "holdon/io_buffer.hpp"
#include "holdon/net.hpp"
#include "holdon/stream.hpp"
#include "holdon/worker.hpp"

namespace holdon {

class exchange;

class client_session : public std::enable_shared_from_this<client_session> {
 public:
  using clock = std::chrono::steady_clock;

  // `peer`: the client's address, as accept gave it. `tls`: the listener's context; the
  // session does the TLS handshake first.
  client_session(tcp::socket socket, const tcp::endpoint& peer, worker& w, net::ssl::context* tls = nullptr);
  ~client_session();
  void start();
  void on_drain();  // SIGTERM: close now unless an exchange is in flight (then after it)
  void on_tick(clock::time_point now);  // the worker's ticker: header and idle deadlines
  void set_session_index(std::size_t i) { index_ = i; }  // worker::sessions moved us

  // For the exchange of the request under way: the connection's parts it relays through,
  // and the calls that hand the connection back. Nothing else of the session is its business.
  stream& socket() { return socket_; }
  io_buffer& input() { return in_; }                  // client bytes not yet relayed
  request_parser& request() { return *parser_; }     // the request's head and body framing
  const std::shared_ptr<const config>& config_in_use() const { return cfg_; }  // this connection's snapshot
  worker& home() { return worker_; }
  const std::string& peer_ip() const { return client_ip_; }
  std::string_view scheme() const { return scheme_; }  // "http" or "https"
  std::string_view via_value(unsigned version) const { return via_[version == 10 ? 0 : 1]; }
  bool trusts_forwarded() const { return holdon::trusts_forwarded(front_); }
  std::string_view end_client() const { return end_client_.empty() ? std::string_view(client_ip_) : end_client_; }
  // The keep-alive rule of this connection, written once: the client wants it, its request
  // was read whole, it has not closed its side, and neither the request count nor a drain
  // ends the connection.
  bool connection_may_continue() const { return !peer_closed_ && !last_request_ && !worker_.draining; }
  bool may_keep_alive() const { return parser_ && parser_->keep_alive() && parser_->is_done() && connection_may_continue(); }
  void start_watch();  // waiting for the upstream: notice a client that leaves
  void on_exchange_done(bool keep_alive);
  void forget(const exchange* ex) {  // an exchange destroyed without finishing (never, but safe)
    if (current_ == ex) current_ = nullptr;
  }

 private:

  void do_handshake();
  void do_wait_request();  // keep-alive: idle timeout until the next request's first byte
  void wait_request();     // for readability, holding no buffer
  void on_idle_read(error_code ec, std::size_t n);
  void do_read_head();     // header timeout from now
  void on_head_bytes();    // what is buffered: a complete head, more to read, or refused
  void read_more_head();
  void start_exchange(std::size_t head_len);
  void reply_and_close(unsigned status, std::string_view text);
  void set_deadline(duration d) { deadline_ = clock::now() + d; }
  void clear_deadline() { deadline_ = {}; }

  void on_watch(error_code ec);
  void next_request();
  void close();
  void end_request();  // parser and scratch back to the worker

  stream socket_;  // plain or TLS
  worker& worker_;
  std::shared_ptr<const config> cfg_;  // snapshot for this connection's lifetime
  io_buffer in_;                       // read from the client, not yet parsed or relayed
  eager_read eager_;                   // the next request's read, until the ticker demotes it
  std::unique_ptr<request_scratch> req_;  // while a request is under way (from the worker)
  std::optional<request_parser> parser_;  // its views point into req_->head_raw
  clock::time_point deadline_{};  // header or idle timeout; none while an exchange runs
  exchange* current_ = nullptr;  // the exchange under way (it clears this when it ends)
  std::size_t index_ = 0;       // in worker_.sessions
  std::string client_ip_;
  const front_config* front_ = nullptr;  // the declared front this peer is (in cfg_), or none
  std::string end_client_;               // behind a front: the client it names (access log)
  void note_undeclared_proxy(std::string_view field);
  std::string via_[2];       // "1.0 PSEUDONYM", "1.1 PSEUDONYM": the Via values this session adds
  std::string_view scheme_;  // "http" or "https": what the client speaks to us
  bool watching_ = false;          // a watch is pending on socket_
  bool next_after_watch_ = false;  // exchange done while the watch was pending
  bool peer_closed_ = false;       // client sent EOF: finish the current response, then close
  bool closed_ = false;
  std::size_t requests_ = 0;   // heads accepted on this connection
  bool last_request_ = false;  // max_requests_per_connection reached or draining: answer with close
};

}  // namespace holdon
