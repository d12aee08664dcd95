// exchange: one proxied request/response. Leases an upstream connection (or connects),
// forwards the head, streams the request body while already reading the response (so
// that 100 Continue can flow), sends keep-alive 102s from its own timer once the request
// is forwarded, forwards upstream 1xx, then relays the final response. All client writes
// before the final head go through one FIFO queue: a 102 never lands inside other bytes,
// and none follows the final head. Lives on the session's worker; kept alive by its
// pending handlers; returns the upstream connection to the pool only when complete.
#pragma once
#include <boost/beast/http/buffer_body.hpp>
#include <boost/beast/http/parser.hpp>
#include <boost/beast/http/serializer.hpp>
#include <chrono>
#include <deque>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "holdon/config.hpp"
#include "holdon/href_rewriter.hpp"
#include "holdon/interim_policy.hpp"
#include "holdon/net.hpp"
#include "holdon/upstream_pool.hpp"

namespace holdon {

class client_session;

class exchange : public std::enable_shared_from_this<exchange> {
 public:
  exchange(std::shared_ptr<client_session> s, const route_config& route, interim_decision d);
  ~exchange();
  void start();
  void on_client_gone();
  bool committed() const { return committed_; }

 private:
  using clock = std::chrono::steady_clock;
  enum class deadline_kind { connect, request_body, response, response_body };
  enum class after_queue { nothing, relay_response, finish_keep, finish_close };

  // upstream connection
  void do_connect();
  void on_resolved(error_code ec, tcp::resolver::results_type r);
  void on_connect(error_code ec);
  void do_send_head();
  void on_send_head(error_code ec);
  // request body: client -> upstream
  void do_read_request_body();
  void on_read_request_body(error_code ec);
  void do_write_request_body();
  void on_write_request_body(error_code ec);
  void on_request_forwarded();
  // response: upstream -> client
  void do_read_response_head();
  void on_response_head(error_code ec);
  void on_interim(unsigned status);
  void on_final_head();
  void start_response();
  void do_read_response_body();
  void on_read_response_body(error_code ec);
  void do_write_response_body();
  void on_write_response_body(error_code ec, std::size_t n);
  // client writer queue (interims, generated errors)
  void queue_write(std::string bytes);
  void do_write_queue();
  void on_write_queue(error_code ec, std::size_t n);
  // timers
  void arm_keepalive(clock::time_point due);
  void on_keepalive(error_code ec, unsigned seq);
  void set_deadline(clock::duration d, deadline_kind k);
  void on_watchdog(error_code ec);
  void on_timeout();
  // endings
  bool retry_stale_connection();
  void fail(unsigned status, std::string_view why);  // answer an error, or abort if committed
  void abort(std::string_view why);                  // close both sides
  void finish(bool client_keep_alive);
  void close_upstream();
  void record_metrics();
  void log_access();
  // servers of the upstream (issue 7): balancer choice, next server after a failed connect, TLS
  void bind_server(std::size_t server);
  void unbind_server();
  void on_connect_failed(unsigned status, std::string_view why);
  void do_upstream_handshake();
  // prefix mounts (README "Prefix mounts"; mapping in prefix_mount.hpp)
  void map_request_headers();
  void map_response_headers();
  void set_response_chunk(char* data, std::size_t n, bool more);

  std::shared_ptr<client_session> s_;
  const route_config& route_;
  interim_decision policy_;
  clock::time_point started_ = clock::now();
  clock::time_point forwarded_at_{};
  clock::time_point final_at_{};

  std::unique_ptr<upstream_conn> up_;
  std::vector<std::unique_ptr<upstream_conn>> retired_;  // failed connections, kept until their handlers return
  std::size_t server_ = 0;           // of the route's upstream, chosen by the worker's balancer
  bool bound_ = false;               // counted in the balancer's in-flight for server_
  std::vector<std::size_t> tried_;   // servers whose connect failed in this exchange
  unsigned attempt_ = 0;             // connect attempt: handlers of an abandoned one are ignored
  std::optional<tcp::resolver> resolver_;
  beast::http::request<beast::http::buffer_body> ureq_;
  std::optional<beast::http::request_serializer<beast::http::buffer_body>> ureq_sr_;
  std::optional<beast::http::response_parser<beast::http::buffer_body>> ures_p_;
  beast::http::response<beast::http::buffer_body> cres_;
  std::optional<beast::http::response_serializer<beast::http::buffer_body>> cres_sr_;
  std::unique_ptr<char[]> buf_;  // one relay buffer, allocated only while a body moves
  std::optional<href_rewriter> hrefs_;  // XML body on a prefix-mounted route: hrefs mapped
  std::string rewritten_;               // hrefs_' output for the chunk being written

  std::deque<std::string> queue_;
  bool writing_ = false;
  after_queue after_queue_ = after_queue::nothing;

  net::steady_timer keepalive_timer_;
  unsigned keepalive_seq_ = 0;
  net::steady_timer watchdog_;
  clock::time_point deadline_{};
  deadline_kind deadline_kind_ = deadline_kind::connect;
  bool watchdog_armed_ = false;

  unsigned interims_sent_ = 0;  // holdon's and forwarded, against policy_.cap
  unsigned keepalives_sent_ = 0;
  unsigned status_ = 0;         // what the client got (0: nothing final)
  std::uint64_t bytes_in_ = 0;  // request body bytes from the client
  std::uint64_t bytes_out_ = 0; // bytes written to the client
  std::string error_;           // why the exchange failed, for the log
  bool head_request_ = false;
  bool has_request_body_ = false;
  bool request_forwarded_ = false;
  bool response_started_ = false;  // any upstream response byte parsed
  bool committed_ = false;         // final head (or a generated error) chosen
  bool framing_close_ = false;     // response body delimited by closing the client
  bool client_keep_alive_ = false;
  bool upstream_broken_ = false;
  bool reused_ = false;  // leased from the pool: may be stale, retried once
  bool done_ = false;
};

}  // namespace holdon
