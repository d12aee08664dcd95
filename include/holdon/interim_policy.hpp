// interim_policy: pure. Decides, per request, whether holdon may send its own keep-alive
// 102s, whether upstream 1xx may be forwarded, and the cap on interim responses.
// Values in, values out: unit-tested without sockets.
#pragma once
#include <optional>
#include <string>
#include <string_view>

#include "holdon/config.hpp"

namespace holdon {

struct request_facts {
  unsigned version = 11;  // 10 or 11
  std::string_view method;
  std::optional<std::string_view> user_agent;  // nullopt: no User-Agent header
  bool has_dav_header = false;                 // Depth, Destination, Overwrite, If, Lock-Token, Timeout
  bool expects_continue = false;               // Expect: 100-continue
};

struct interim_decision {
  bool keepalive = false;         // holdon may generate 102 Processing
  bool forward_interims = false;  // upstream 1xx (other than a requested 100) may be forwarded
  bool forward_continue = false;  // an upstream 100 Continue may be forwarded
  unsigned cap = 0;               // interim responses in total (holdon's and forwarded)
  std::string why;                // for the access log: why 102 was or wasn't sent
};

bool is_dav_method(std::string_view method);
bool is_dav_header(std::string_view name);
bool user_agent_matches(std::string_view user_agent, std::string_view pattern);  // case-insensitive substring

interim_decision decide_interim(const request_facts& r, const interim_config& c);

}  // namespace holdon
