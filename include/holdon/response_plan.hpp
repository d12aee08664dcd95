// response_plan: pure. How the final response goes to the client, decided once from the
// upstream's final head and the request: whether it has a body, how that body is framed
// (as it came, re-chunked, or ended by closing), and whether the connection stays open.
// Also the keep-alive rule for an error holdon generates. Values in, values out.
#pragma once

namespace holdon {

struct response_facts {
  unsigned status = 200;          // the upstream's final status
  bool head_request = false;      // the client asked with HEAD
  bool length_known = false;      // a Content-Length the body keeps (not when hrefs are rewritten)
  bool upstream_chunked = false;  // the upstream sent it chunked
  unsigned client_version = 11;   // 10 or 11
  bool may_keep_alive = true;     // the session's rule (client_session::may_keep_alive)
};

struct response_plan {
  bool no_body = false;        // HEAD, 204, 304
  bool chunk_out = false;      // re-chunked for the client (adds Transfer-Encoding: chunked)
  bool framing_close = false;  // HTTP/1.0 with no length: the body ends when holdon closes
  bool keep_alive = false;     // the connection stays open after it
  enum class connection_field { none, close, keep_alive } connection = connection_field::none;
};

// HEAD, 204 and 304 answers carry no body, whatever their head says.
inline bool without_body(unsigned status, bool head_request) { return head_request || status == 204 || status == 304; }

response_plan plan_response(const response_facts& f);

// A generated error keeps the connection only when it is a 5xx to an HTTP/1.1 client whose
// request was read whole: a 4xx means the request itself was wrong, and what follows it
// in the connection cannot be trusted.
bool keep_after_error(unsigned status, unsigned client_version, bool may_keep_alive);

}  // namespace holdon
