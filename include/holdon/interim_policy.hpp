// interim_policy: pure. Decides, once per request, whether holdon may send its own keep-alive
// 102s, whether upstream 1xx may be forwarded, how many interims in all and on what schedule,
// from the request, the route's interim section and the declared front the request came
// through (if any). Values in, values out: unit-tested without sockets.
#pragma once
#include <optional>
#include <string>
#include <string_view>

#include "holdon/config.hpp"

namespace holdon {

struct request_facts {
  unsigned version = 11;  // 10 or 11
  std::optional<std::string_view> user_agent;  // nullopt: no User-Agent header
  bool expects_continue = false;               // Expect: 100-continue
  std::string_view proxy_sign;                 // a field that shows a proxy on the way (front.hpp), or empty
};

struct interim_decision {
  bool keepalive = false;         // holdon may generate 102 Processing
  bool forward_interims = false;  // upstream 1xx (other than a requested 100) may be forwarded
  bool forward_continue = false;  // an upstream 100 Continue may be forwarded
  unsigned cap = 0;               // interim responses in total (holdon's and forwarded)
  duration first_after{0};        // the first 102, after the request was forwarded
  duration every{0};              // then one each `every` (stretched under a cap: README)
  std::string why;                // for the access log: what decided
  bool undeclared_proxy = false;  // withheld because of proxy_sign (metrics, warning)
};

bool user_agent_matches(std::string_view user_agent, std::string_view pattern);  // README: ^ and $ anchor
// The version that follows `pattern` in the User-Agent ("rclone/v1.60.1" -> 1.60) is below `version`.
bool version_below(std::string_view user_agent, std::string_view pattern, std::string_view version);

// `front`: the declared front the request came through, or nullptr. `longest_wait`: the route's
// timeouts.upstream_response, which a capped schedule is spread over.
interim_decision decide_interim(const request_facts& r, const interim_config& c,
                                const front_config* front, duration longest_wait);

}  // namespace holdon
