#include "holdon/exchange_log.hpp"

namespace holdon {

namespace {
// A JSON string's body (and the text format's quoted parts): quotes and backslashes escaped,
// control characters blanked, so that one exchange is always one line.
std::string quoted(std::string_view s) {
  std::string o;
  o.reserve(s.size());
  for (char c : s) {
    if (c == '"' || c == '\\') o += '\\', o += c;
    else if (static_cast<unsigned char>(c) < 0x20) o += ' ';
    else o += c;
  }
  return o;
}

std::string n(unsigned long long v) { return std::to_string(v); }
std::string n(long long v) { return std::to_string(v); }
}  // namespace

std::string access_line_of(const exchange_record& r, access_log_format format) {
  switch (format) {
    case access_log_format::off:
      return {};
    case access_log_format::json:
      return "{\"time\":\"" + std::string(r.time) + "\",\"client\":\"" + quoted(r.client) + "\",\"method\":\"" +
             quoted(r.method) + "\",\"target\":\"" + quoted(r.target) + "\",\"status\":" + n(r.status + 0ull) +
             ",\"interims\":" + n(r.interims + 0ull) + ",\"keepalive_102\":" + n(r.keepalive_102 + 0ull) +
             ",\"upstream_ms\":" + n(r.upstream_ms) + ",\"total_ms\":" + n(r.total_ms) + ",\"bytes_in\":" +
             n(static_cast<unsigned long long>(r.bytes_in)) + ",\"bytes_out\":" +
             n(static_cast<unsigned long long>(r.bytes_out)) + ",\"route\":\"" + quoted(r.route) +
             "\",\"interim_policy\":\"" + quoted(r.policy) + "\",\"user_agent\":\"" + quoted(r.user_agent) +
             "\",\"error\":\"" + quoted(r.error) + "\"}";
    case access_log_format::text:
      break;
  }
  return std::string(r.time) + " " + quoted(r.client) + " \"" + quoted(r.method) + " " + quoted(r.target) + "\" " +
         n(r.status + 0ull) + " interims=" + n(r.interims + 0ull) + " upstream_ms=" + n(r.upstream_ms) +
         " total_ms=" + n(r.total_ms) + " in=" + n(static_cast<unsigned long long>(r.bytes_in)) +
         " out=" + n(static_cast<unsigned long long>(r.bytes_out)) + " route=" + std::string(r.route) +
         " policy=" + std::string(r.policy) + (r.error.empty() ? "" : " error=\"" + quoted(r.error) + "\"");
}

}  // namespace holdon
