// header_rewrite: pure functions over header field lists (http_head.hpp). Hop-by-hop removal
// (RFC 9110 §7.6.1), Via, X-Forwarded-*. Message framing (Content-Length vs chunked)
// is decided by the exchange from what the parser saw, never from these fields.
#pragma once
#include <string>
#include <string_view>

#include "holdon/http_head.hpp"

namespace holdon {

struct forward_info {
  std::string_view client_ip;
  std::string_view scheme = "http";  // what the client spoke to holdon
  unsigned version = 11;             // HTTP version of the message received
  std::string_view via = "holdon";   // pseudonym for Via
  std::string_view via_value;        // "1.1 holdon" made by the caller, or empty: made here
  bool trusted = false;              // from a declared front: its X-Forwarded-*/Forwarded are kept
};

// Removes Connection and every header it names, Keep-Alive, Proxy-Connection, TE,
// Transfer-Encoding and Upgrade. Content-Length and Host are never removed because
// a Connection header named them: framing and routing are not the sender's to erase.
void strip_hop_by_hop(header_fields& f);

// Request to the upstream: hop-by-hop removed, Via appended. From a declared front
// (`trusted`), X-Forwarded-For and Forwarded get the front's address appended and its
// X-Forwarded-Proto/-Host are kept; from anyone else they are never passed on: X-Forwarded-For
// is the peer alone, Forwarded and X-Real-IP are removed, X-Forwarded-Proto/-Host are holdon's
// view. Host is preserved as the client sent it.
void rewrite_request_headers(header_fields& f, const forward_info& in);

// Response to the client: hop-by-hop removed, Via appended.
void rewrite_response_headers(header_fields& f, const forward_info& from_upstream);

// An upstream 1xx as it is forwarded to an HTTP/1.1 client: status line, end-to-end fields.
std::string interim_head(unsigned status, std::string_view reason, const header_fields& upstream_fields);

// Holdon's own keep-alive interim: exactly these bytes, no Content-Length (RFC 9110 §15.2).
inline constexpr std::string_view keepalive_102 = "HTTP/1.1 102 Processing\r\n\r\n";

}  // namespace holdon
