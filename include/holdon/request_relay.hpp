// request_relay: client -> upstream for one exchange. It rewrites the request's head for the
// upstream once (hop-by-hop fields out, Via, X-Forwarded-*, re-chunking; the prefix mount's
// target, Destination and If for the chosen server, again if the server changes), sends it
// alone (so that a 100 Continue can come back before the body), then pumps the body out of
// the session's read buffer, parsed there and written on from it, re-chunked when it came
// chunked; large plain bodies it hands to the exchange's splice. It tells the exchange when
// the whole request is forwarded. A part of the exchange (a value member), on its worker's thread.
#pragma once
#include <memory>
#include <string>
#include <vector>

#include "holdon/http_head.hpp"
#include "holdon/net.hpp"
#include "holdon/scratch.hpp"

namespace holdon {

class exchange;
struct route_config;

class request_relay {
 public:
  struct framing {        // facts of the client's request, read once at prepare()
    bool head = false;    // a HEAD request: the response has no body
    bool has_body = false;
    bool chunked = false; // it came chunked, so it goes up chunked
  };

  request_relay(exchange& x, const route_config& route);
  ~request_relay();
  void prepare();            // the fields for the upstream, from the parsed request
  void release();            // forwarded, and never to be sent again: the scratch goes back
  const framing& facts() const { return framing_; }
  void write_head();         // for the server chosen (again after a failed connect)
  void send_head();          // the connection is ready
  bool resendable() const;   // idempotent and bodiless: a stale pooled connection may be retried

 private:
  void on_send_head(error_code ec);
  void pump_body();
  void on_read_body(error_code ec, std::size_t n);
  void on_write_body(error_code ec);

  exchange& x_;
  const route_config& route_;
  framing framing_;
  // The request's fields as the upstream gets them, its head (written once, sent again on a
  // retry) and the gather list of the body write under way; from prepare() to release().
  std::unique_ptr<upstream_request_scratch> scratch_;
  std::size_t out_consumed_ = 0;         // client read-buffer bytes that write covers
  char chunk_size_[20];
};

}  // namespace holdon
