// request_guard: pure checks on a raw request head and its parsed framing fields, for what
// a proxy must not pass on (request smuggling, open proxying). It is the one place that
// refuses a request's body framing: the head parser (http_head) only marks a head whose
// framing it cannot tell. Values in, a verdict out: {0, ""} means acceptable, otherwise the
// status to answer and why.
#pragma once
#include <cstddef>
#include <string>
#include <string_view>

#include "holdon/http_head.hpp"

namespace holdon {

struct guard_verdict {
  unsigned status = 0;  // 0: fine
  std::string why;
  explicit operator bool() const { return status != 0; }
};

// Raw bytes as read so far (the head may be incomplete). Returns a verdict as soon as one is
// certain: request line over max_line (414), head over max_head (431), obs-fold (400).
// `complete` is set when the CRLFCRLF ending the head is present.
guard_verdict check_raw_head(std::string_view bytes, std::size_t max_line, std::size_t max_head,
                             bool& complete);
// The same; `head_len` is the length of the complete head (leading empty lines included),
// 0 while it is incomplete.
guard_verdict check_raw_head(std::string_view bytes, std::size_t max_line, std::size_t max_head,
                             std::size_t& head_len);

struct framing_facts {
  unsigned version = 11;
  std::size_t content_length_fields = 0;
  std::string_view content_length;       // first value
  std::size_t transfer_encoding_fields = 0;
  std::string_view transfer_encoding;    // first value
  std::string_view target;
  std::string_view host;                 // Host header value ("" if none)
  bool connect = false;
};

// The facts of a parsed request head.
framing_facts framing_facts_of(const request_head& req);

// Framing and target checks on the parsed head: CONNECT; ambiguous or bad lengths,
// Transfer-Encoding with Content-Length, in HTTP/1.0 or not ending in chunked (400), codings
// holdon cannot relay (501); absolute-form targets naming another authority than Host. It
// refuses every head whose request_parser::framing_known() is false.
guard_verdict check_framing(const framing_facts& f);

}  // namespace holdon
