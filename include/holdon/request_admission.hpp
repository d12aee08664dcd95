// request_admission: pure. What becomes of a request head once it is parsed: refused with a
// status and why (505, 400, 404 and request_guard's framing verdicts), or admitted to a route
// with its interim decision and, behind a declared front, the end client it names. Values in,
// a value out: the session only does what the admission says (client_session::start_exchange).
#pragma once
#include <string>
#include <string_view>

#include "holdon/config.hpp"
#include "holdon/http_head.hpp"
#include "holdon/interim_policy.hpp"
#include "holdon/net.hpp"
#include "holdon/request_guard.hpp"

namespace holdon {

// request_parser::parse_head's error as the answer the client gets: 431, 413 or 400.
guard_verdict parse_refusal(const error_code& ec);

struct admission {
  guard_verdict refused;                // status 0: admitted
  const route_config* route = nullptr;  // admitted: the route (in the config given)
  interim_decision interim;             // admitted: who sends which 1xx
  std::string end_client;               // behind a declared front: the client it names, else ""
  std::string_view proxy_sign;          // the field that shows a proxy on the way, if any (and no front declared)
};

// `front`: the declared front the peer is (nullptr: none); `peer_ip`: the TCP peer.
admission admit_request(const request_head& req, const config& cfg, const front_config* front,
                        std::string_view peer_ip);

}  // namespace holdon
