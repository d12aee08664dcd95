// exchange: one proxied request/response. Leases an upstream connection (or connects),
// forwards the head, streams the request body while already reading the response (so
// that 100 Continue can flow), then relays the final response. Its interim_scheduler decides
// and times every 1xx (holdon's 102s through the worker's wheel, the upstream's forwarded),
// and its client_writer writes every byte before the final head in FIFO order: a 102 never
// lands inside other bytes, and none follows the final head (the scheduler is stopped the
// moment one is chosen). Bodies are relayed from the read buffer they arrived in
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

#include "holdon/client_writer.hpp"
#include "holdon/config.hpp"
#include "holdon/interim_policy.hpp"
#include "holdon/interim_scheduler.hpp"
#include "holdon/keepalive_wheel.hpp"
#include "holdon/net.hpp"
#include "holdon/request_relay.hpp"
#include "holdon/response_relay.hpp"
#include "holdon/splice.hpp"
#include "holdon/upstream_connector.hpp"

namespace holdon {

class client_session;
struct worker;

class exchange : public std::enable_shared_from_this<exchange>, public wheel_client {
 public:
  using clock = std::chrono::steady_clock;

  exchange(std::shared_ptr<client_session> s, const route_config& route, interim_decision d);
  ~exchange();
  void start();
  void on_client_gone();
  void on_tick(clock::time_point now);  // the worker's ticker: deadlines, next 102, client watch
  void on_wheel_due(unsigned seq) override { interims_.on_due(seq); }  // the worker's keepalive_wheel
  bool committed() const { return phase_ != phase::waiting; }

  // For its parts (interim_scheduler, client_writer, upstream_connector): what they may ask
  // of the exchange, and the upcalls by which they say what happened.
  stream& client_stream();
  worker& home();
  client_session& session() { return *s_; }
  upstream_conn& up() { return upstream_.conn(); }
  bool waiting() const { return phase_ == phase::waiting; }
  void on_server_chosen();    // (again, after a failed connect): write the head for it
  void on_connecting();       // the connect deadline starts
  void on_upstream_ready();   // connected (or leased): send the head
  void on_no_upstream(unsigned status, std::string_view why);  // every server failed
  std::size_t upstream_server() const;
  const request_relay::framing& request_facts() const { return request_.facts(); }
  void on_head_sent();          // the request head is up
  void on_request_forwarded();  // and its whole body
  void count_in(std::uint64_t n) { bytes_in_ += n; }
  client_writer& writer() { return writer_; }
  std::weak_ptr<wheel_client> as_wheel_client() { return weak_from_this(); }
  void count_out(std::size_t n) { bytes_out_ += n; }
  bool ended() const { return phase_ == phase::ended; }
  void relay_response() { response_.start(); }
  void fail(unsigned status, std::string_view why);  // answer an error, or abort if committed
  void abort(std::string_view why);   // close both sides
  void finish(bool client_keep_alive);
  void on_interim(unsigned status, std::string_view reason, const header_fields& fields);  // an upstream 1xx
  void on_final_head();               // the response relay parsed the final head
  bool retry_stale();                 // a pooled connection failed before any response byte
  void upstream_broken() { upstream_.broken(); }
  // Large Content-Length bodies between plain TCP sockets go through a pipe (splice.hpp),
  // either way, by one implementation.
  enum class leg { down, up };  // down: the response's body, upstream -> client; up: the request's
  bool start_splice(leg l);     // false: not now
  void touch_body(leg l);       // a body moved: its idle deadline starts again

 private:
  enum class deadline_kind { none, connect, request_body, response, response_body };
  // waiting: for the final head (1xx may go); answering: a final head is chosen, the
  // upstream's or an error of holdon's; ended: finish() ran, handlers only return.
  enum class phase { waiting, answering, ended };
  enum class request_phase { sending_head, sending_body, forwarded };
  void commit();
  void response_begun();  // a response head: the request can no longer be resent

  // timers
  void set_deadline(clock::duration d, deadline_kind k);
  void on_timeout();
  // endings
  void record_metrics();
  void log_access();
  void splice(leg l);
  void on_splice_wait(leg l, bool reading, error_code ec);
  void on_splice_failed(leg l, bool reading, const std::string& what);
  void end_splices();

  std::shared_ptr<client_session> s_;
  const route_config& route_;
  interim_decision policy_;
  interim_scheduler interims_{*this, policy_};  // every 1xx to the client: may it go, when
  client_writer writer_{*this};                 // every byte to the client before the final head
  clock::time_point started_ = clock::now();
  clock::time_point forwarded_at_{};
  clock::time_point final_at_{};

  upstream_connector upstream_{*this, route_};  // the upstream connection: pick, lease, connect, pool

  request_relay request_{*this, route_};    // client -> upstream: head, then the body
  response_relay response_{*this, route_};  // upstream -> client: heads, then the body
  splice_leg spliced_down_, spliced_up_;  // spliced bodies (a pipe while one runs)

  clock::time_point deadline_{};
  deadline_kind deadline_kind_ = deadline_kind::none;

  unsigned status_ = 0;         // what the client got (0: nothing final)
  std::uint64_t bytes_in_ = 0;  // request body bytes from the client
  std::uint64_t bytes_out_ = 0; // bytes written to the client
  std::string error_;           // why the exchange failed, for the log
  phase phase_ = phase::waiting;
  request_phase request_phase_ = request_phase::sending_head;
};

}  // namespace holdon
