// body_framing: the gather list of body bytes as they go on, for both relays: as they are, or as
// one chunk (+ the last chunk when `last`). Views only; `size_line` holds the chunk's size line.
#pragma once
#include <cstdio>
#include <string_view>
#include <vector>

#include "holdon/net.hpp"

namespace holdon {

inline net::const_buffer buf(std::string_view s) { return {s.data(), s.size()}; }

inline void add_chunked(std::vector<net::const_buffer>& out, char (&size_line)[20],
                        const std::vector<std::string_view>& body, bool last) {
  static constexpr std::string_view crlf = "\r\n", crlf_last_chunk = "\r\n0\r\n\r\n", last_chunk = "0\r\n\r\n";
  std::size_t total = 0;
  for (auto b : body) total += b.size();
  if (total == 0) {
    if (last) out.push_back(buf(last_chunk));
    return;
  }
  int n = std::snprintf(size_line, sizeof size_line, "%zx\r\n", total);
  out.push_back(net::const_buffer(size_line, static_cast<std::size_t>(n)));
  for (auto b : body)
    if (!b.empty()) out.push_back(buf(b));
  out.push_back(buf(last ? crlf_last_chunk : crlf));
}

inline void add_plain(std::vector<net::const_buffer>& out, const std::vector<std::string_view>& body) {
  for (auto b : body)
    if (!b.empty()) out.push_back(buf(b));
}

}  // namespace holdon
