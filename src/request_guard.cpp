#include "holdon/request_guard.hpp"

#include <algorithm>
#include <cctype>

namespace holdon {

namespace {
bool iequal(std::string_view a, std::string_view b) {
  return a.size() == b.size() && std::equal(a.begin(), a.end(), b.begin(), [](char x, char y) {
           return std::tolower(static_cast<unsigned char>(x)) == std::tolower(static_cast<unsigned char>(y));
         });
}

std::string_view trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
  return s;
}

// Last element of a comma-separated list, trimmed ("gzip, chunked" -> "chunked").
std::string_view last_token(std::string_view list) {
  auto comma = list.rfind(',');
  return trim(comma == std::string_view::npos ? list : list.substr(comma + 1));
}

// Whether an element before the last of a comma-separated list is `token` ("chunked, chunked").
bool before_last(std::string_view list, std::string_view token) {
  for (auto comma = list.find(','); comma != std::string_view::npos; comma = list.find(',')) {
    if (iequal(trim(list.substr(0, comma)), token)) return true;
    list.remove_prefix(comma + 1);
  }
  return false;
}

// How the body of a request is framed (RFC 9112 §6), refused unless it is unambiguous and
// one holdon relays. The head parser refuses none of this (it only marks such a head as one
// whose framing it cannot tell), so these are the statuses and texts a client gets.
guard_verdict check_body_framing(const framing_facts& f) {
  if (f.content_length_fields > 1 || f.content_length.find(',') != std::string_view::npos)
    return {400, "more than one Content-Length"};
  if (f.content_length_fields == 1 && !parse_content_length(f.content_length, false))
    return {400, "Content-Length is not a number of bytes"};
  if (f.transfer_encoding_fields == 0) return {};
  if (f.content_length_fields > 0) return {400, "both Content-Length and Transfer-Encoding"};
  if (f.version < 11) return {400, "Transfer-Encoding in an HTTP/1.0 request"};
  if (f.transfer_encoding_fields > 1) return {400, "more than one Transfer-Encoding field"};
  if (!iequal(last_token(f.transfer_encoding), "chunked")) return {400, "Transfer-Encoding does not end in chunked"};
  if (before_last(f.transfer_encoding, "chunked")) return {400, "Transfer-Encoding applies chunked more than once"};
  if (!iequal(trim(f.transfer_encoding), "chunked")) return {501, "only Transfer-Encoding: chunked is accepted"};
  return {};
}
}  // namespace

guard_verdict check_raw_head(std::string_view b, std::size_t max_line, std::size_t max_head, bool& complete) {
  std::size_t n = 0;
  auto v = check_raw_head(b, max_line, max_head, n);
  complete = n != 0;
  return v;
}

guard_verdict check_raw_head(std::string_view b, std::size_t max_line, std::size_t max_head, std::size_t& head_len) {
  head_len = 0;
  auto eol = b.find("\r\n");
  // Leading empty lines before a request are tolerated (RFC 9112 2.2), by the head parser too.
  std::size_t start = 0;
  while (eol == start) {
    start += 2;
    eol = b.find("\r\n", start);
  }
  auto line_len = (eol == std::string_view::npos ? b.size() : eol) - start;
  if (line_len > max_line) return {414, "request line longer than " + std::to_string(max_line) + " bytes"};
  auto end = b.find("\r\n\r\n", start);
  auto total = end == std::string_view::npos ? b.size() : end + 4;
  if (total > max_head) return {431, "request header larger than " + std::to_string(max_head) + " bytes"};
  if (end == std::string_view::npos) return {};
  // obs-fold: a header line that starts with SP or HTAB continues the previous one. A server
  // behind holdon might join it or not: refuse (RFC 9112 5.2 allows 400), here on the raw
  // bytes, before the head parser (which would only say bad_field) sees them.
  auto head = b.substr(0, end + 2);
  for (auto p = head.find("\r\n", start); p != std::string_view::npos && p + 2 < head.size();
       p = head.find("\r\n", p + 2))
    if (head[p + 2] == ' ' || head[p + 2] == '\t') return {400, "obsolete line folding in the request header"};
  head_len = end + 4;
  return {};
}

framing_facts framing_facts_of(const request_head& req) {
  framing_facts f;
  f.version = req.version;
  for (const auto& h : req.fields) {
    if (h.kind == field_kind::content_length && f.content_length_fields++ == 0) f.content_length = h.value;
    if (h.kind == field_kind::transfer_encoding && f.transfer_encoding_fields++ == 0) f.transfer_encoding = h.value;
    if (h.kind == field_kind::host && f.host.empty()) f.host = h.value;
  }
  f.target = req.target;
  f.connect = req.method == "CONNECT";
  return f;
}

guard_verdict check_framing(const framing_facts& f) {
  if (f.connect) return {405, "CONNECT is not served: holdon is not a forward proxy"};
  if (auto v = check_body_framing(f)) return v;
  // absolute-form: holdon never connects to a host the client names. It serves such a target
  // on its own routes only when the authority is the one the Host header names anyway.
  auto t = f.target;
  auto scheme = t.find("://");
  if (!t.empty() && t.front() != '/' && t != "*") {
    if (scheme == std::string_view::npos) return {400, "request target is neither a path nor absolute-form"};
    auto s = t.substr(0, scheme);
    if (!iequal(s, "http") && !iequal(s, "https")) return {400, "request target has an unknown scheme"};
    auto rest = t.substr(scheme + 3);
    auto authority = rest.substr(0, rest.find_first_of("/?#"));
    if (authority.find('@') != std::string_view::npos) return {400, "userinfo in the request target"};
    if (!iequal(authority, trim(f.host)))
      return {400, "absolute-form target names another host than Host: holdon is not an open proxy"};
  }
  return {};
}

}  // namespace holdon
