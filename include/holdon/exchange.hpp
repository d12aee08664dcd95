// exchange: one proxied request/response. Leases an upstream connection (or connects),
// forwards the head, streams the request body while already reading the response (so
// that 100 Continue can flow), sends keep-alive 102s from its own timer once the request
// is forwarded, forwards upstream 1xx, then relays the final response. All client writes
// before the final head go through one FIFO queue: a 102 never lands inside other bytes,
// and none follows the final head. Bodies are relayed from the read buffer they arrived in
// (the parser hands out views, the write sends them, then they are consumed): no copy.
// Lives on the session's worker; kept alive by its pending handlers; its deadlines are
// checked by the worker's ticker (on_tick); returns the upstream connection to the pool
// only when the exchange completed cleanly.
#pragma once
#include <chrono>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "holdon/config.hpp"
#include "holdon/header_rewrite.hpp"
#include "holdon/href_rewriter.hpp"
#include "holdon/http_head.hpp"
#include "holdon/interim_policy.hpp"
#include "holdon/net.hpp"
#include "holdon/scratch.hpp"
#include "holdon/splice.hpp"
#include "holdon/upstream_pool.hpp"

namespace holdon {

class client_session;

class exchange : public std::enable_shared_from_this<exchange> {
 public:
  using clock = std::chrono::steady_clock;

  exchange(std::shared_ptr<client_session> s, const route_config& route, interim_decision d);
  ~exchange();
  void start();
  void on_client_gone();
  void on_tick(clock::time_point now);  // the worker's ticker: deadlines, next 102, client watch
  void on_keepalive_due(unsigned seq);  // the worker's keepalive_wheel
  bool committed() const { return committed_; }

 private:
  enum class deadline_kind { none, connect, request_body, response, response_body };
  enum class after_queue { nothing, relay_response, finish_keep, finish_close };

  // upstream connection
  void do_connect();
  void on_resolved(error_code ec, tcp::resolver::results_type r);
  void on_connect(error_code ec);
  void do_send_head();
  void on_send_head(error_code ec);
  // request body: client -> upstream
  void pump_request_body();
  void on_read_request_body(error_code ec, std::size_t n);
  void on_write_request_body(error_code ec);
  void on_request_forwarded();
  // response: upstream -> client
  void next_response_head();     // from what is buffered, else read
  void do_read_response_head();  // read more of it
  void on_upstream_readable(error_code ec);
  void on_response_head_error(error_code ec);
  void on_response_head_bytes();
  void on_interim(unsigned status);
  void on_final_head();
  void start_response();
  void pump_response();
  void do_read_response_body();
  void on_read_response_body(error_code ec, std::size_t n);
  void on_write_response(error_code ec, std::size_t n);
  // client writer queue (interims, generated errors)
  void queue_write(std::string bytes);
  void do_write_queue();
  void on_write_queue(error_code ec, std::size_t n);
  // timers
  void arm_keepalive(clock::time_point due);
  void send_keepalive();
  void set_deadline(clock::duration d, deadline_kind k);
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
  void lease_or_connect();
  // prefix mounts (README "Prefix mounts"; mapping in prefix_mount.hpp)
  void map_request_headers();
  void map_response_headers();
  // The gather list for body bytes `body` (views), framed for the client: as they are, or as
  // one chunk (+ the last chunk when `last`); hrefs mapped first on a prefix-mounted XML body.
  void frame_response_body(const std::vector<std::string_view>& body, bool last);
  // The same for the request body going up (chunked when the client sent it chunked).
  void frame_request_body(const std::vector<std::string_view>& body, bool last);
  static void add_chunked(std::vector<net::const_buffer>& out, char (&size_line)[20],
                          const std::vector<std::string_view>& body, bool last);
  void write_upstream_head();
  // Large Content-Length bodies between plain TCP sockets go through a pipe (splice.hpp).
  bool start_splice_down();  // the response's body, upstream -> client; false: not now
  void splice_down();
  bool start_splice_up();    // the request's body, client -> upstream
  void splice_up();
  void end_splices();

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

  std::unique_ptr<exchange_scratch> scratch_;  // from the worker, given back by the destructor
  header_fields& up_fields_;  // the request's fields as the upstream gets them
  std::string& up_head_;      // the request head for the upstream, written once (again on a retry)
  std::optional<response_parser> rp_;  // the upstream's current response (1xx, then final)
  std::string& rhead_raw_;    // its raw head: rp_'s views point here
  header_fields& client_fields_;
  std::string& client_head_;  // the final head for the client
  bool head_written_ = false;
  bool chunk_out_ = false;   // the response body goes to the client chunked (re-framed)
  std::vector<net::const_buffer>& out_;  // gather list of the response write under way
  std::size_t out_consumed_ = 0;        // upstream read-buffer bytes that write covers
  char chunk_size_[20];                 // hex size line of the chunk in out_
  std::vector<net::const_buffer>& up_out_;  // the same for the request body going up
  splice_leg spliced_down_, spliced_up_;  // spliced bodies (a pipe while one runs)
  std::size_t up_out_consumed_ = 0;
  char up_chunk_size_[20];
  std::optional<href_rewriter> hrefs_;  // XML body on a prefix-mounted route: hrefs mapped
  std::string rewritten_;               // hrefs_' output for the chunk being written

  struct queued {
    std::string owned;
    bool keepalive;
    std::string_view bytes() const { return keepalive ? keepalive_102 : std::string_view(owned); }
  };
  std::vector<queued> queue_;  // rarely more than one: a vector allocates nothing until used
  bool writing_ = false;
  after_queue after_queue_ = after_queue::nothing;

  unsigned keepalive_seq_ = 0;        // a 102 in the wheel with another number is void
  bool keepalive_queued_ = false;      // in the worker's wheel (else the ticker puts it there)
  clock::time_point keepalive_due_{};  // the next 102 (while waiting for the final head)
  clock::time_point deadline_{};
  deadline_kind deadline_kind_ = deadline_kind::none;

  unsigned interims_sent_ = 0;  // holdon's and forwarded, against policy_.cap
  unsigned keepalives_sent_ = 0;
  unsigned status_ = 0;         // what the client got (0: nothing final)
  std::uint64_t bytes_in_ = 0;  // request body bytes from the client
  std::uint64_t bytes_out_ = 0; // bytes written to the client
  std::string error_;           // why the exchange failed, for the log
  bool head_request_ = false;
  bool no_body_ = false;           // the response has no body (HEAD, 204, 304)
  bool has_request_body_ = false;
  bool request_chunked_ = false;
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
