// exchange_log: pure. What one exchange did, as a record of values, and the access-log line
// (text or JSON) made of it. The exchange fills the record when it ends; nothing here looks
// at sockets or clocks, so every field's rendering is unit-tested.
#pragma once
#include <cstdint>
#include <string>
#include <string_view>

#include "holdon/config.hpp"

namespace holdon {

struct exchange_record {
  std::string_view time;        // RFC 3339 UTC with milliseconds (log.hpp utc_timestamp)
  std::string_view client;      // the peer, or the end client a declared front named
  std::string_view method, target, route, policy, user_agent, error;
  unsigned status = 0;          // what the client got (499: it left first)
  unsigned interims = 0;        // holdon's 102s and forwarded 1xx
  unsigned keepalive_102 = 0;   // holdon's only
  long long upstream_ms = -1;   // request forwarded until the final head; -1: never forwarded
  long long total_ms = 0;
  std::uint64_t bytes_in = 0, bytes_out = 0;
};

// One line, without the newline; `off` gives an empty string.
std::string access_line_of(const exchange_record& r, access_log_format format);

}  // namespace holdon
