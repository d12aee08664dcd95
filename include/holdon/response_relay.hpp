// response_relay: upstream -> client for one exchange. Reads response heads from the upstream
// connection (size limit, 101 refused, each 1xx handed to the exchange, which decides whether
// it goes on), then, once the final head is chosen, the client's head (hop-by-hop fields out,
// Via, the prefix mount's mapping, the framing of response_plan) and the body: parsed in the
// upstream read buffer and written on from it, re-chunked or with hrefs rewritten where it must,
// the head in the same write as the first body bytes. A part of the exchange (a value member,
// on its worker's thread); large plain bodies it hands to the exchange's splice.
#pragma once
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "holdon/eager_read.hpp"
#include "holdon/href_rewriter.hpp"
#include "holdon/http_head.hpp"
#include "holdon/net.hpp"
#include "holdon/prefix_mount.hpp"
#include "holdon/response_plan.hpp"
#include "holdon/scratch.hpp"

namespace holdon {

class exchange;
struct route_config;

class response_relay {
 public:
  response_relay(exchange& x, const route_config& route);
  ~response_relay() { release(); }
  void release();        // the parser's storage and the scratch back to the worker
  void next_head();      // from what is buffered, else read
  void on_tick();        // the request is forwarded (nothing else pending upstream): demotes an eager read
  unsigned final_head();  // builds the client's head; its status
  void start();          // the writer has drained: head and body to the client
  bool started() const { return started_; }   // any response byte parsed
  bool complete() const { return rp_ && rp_->is_done() && rp_->keep_alive(); }  // the upstream may be reused
  const response_plan& plan() const { return plan_; }
  // The splice of the body (exchange::start_splice): how much is left, what moved.
  bool may_splice() const { return !hrefs_ && !plan_.chunk_out; }
  std::uint64_t body_remaining() const { return rp_->body_remaining(); }
  void body_moved(std::uint64_t n) { rp_->body_moved(n); }

 private:
  void do_read_head();
  void on_readable(error_code ec);
  void on_eager_read(error_code ec, std::size_t n);
  void on_head_error(error_code ec);
  void on_head_bytes();
  void map_fields(const prefix_mount& m);
  void pump();
  void frame_body(const std::vector<std::string_view>& body, bool last);
  void do_read_body();
  void on_read_body(error_code ec, std::size_t n);
  void on_write(error_code ec, std::size_t n);

  exchange& x_;
  const route_config& route_;
  // From the first response head on: heads, fields and the gather list (none while waiting).
  std::unique_ptr<response_scratch> scratch_;
  std::string& raw() { return scratch_->response_raw; }  // the current head: rp_'s views point here
  header_fields& client_fields() { return scratch_->client_fields; }
  std::string& client_head() { return scratch_->client_head; }  // the final head for the client
  std::vector<net::const_buffer>& out() { return scratch_->out; }  // gather list of the write under way
  std::optional<response_parser> rp_;  // the upstream's current response (1xx, then final)
  std::size_t out_consumed_ = 0;         // upstream read-buffer bytes that write covers
  char chunk_size_[20];                  // hex size line of the chunk in out_
  std::optional<href_rewriter> hrefs_;   // XML body on a prefix-mounted route: hrefs mapped
  std::string rewritten_;                // hrefs_' output for the chunk being written
  response_plan plan_;
  eager_read eager_;       // the response's first read on a reused connection
  bool first_wait_ = true;
  bool head_written_ = false;
  bool started_ = false;
};

}  // namespace holdon
