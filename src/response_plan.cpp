#include "holdon/response_plan.hpp"

namespace holdon {

response_plan plan_response(const response_facts& f) {
  response_plan p;
  p.no_body = without_body(f.status, f.head_request);
  // No length to pass on: HTTP/1.1 gets chunks (the connection lives on), HTTP/1.0 an end
  // by close. A chunked upstream answer to HEAD keeps its Transfer-Encoding field.
  if (!f.length_known && (!p.no_body || f.upstream_chunked)) {
    if (f.client_version == 11) p.chunk_out = true;
    else if (!p.no_body) p.framing_close = true;
  }
  p.keep_alive = f.may_keep_alive && !p.framing_close;
  if (!p.keep_alive) p.connection = response_plan::connection_field::close;
  else if (f.client_version == 10) p.connection = response_plan::connection_field::keep_alive;
  return p;
}

bool keep_after_error(unsigned status, unsigned client_version, bool may_keep_alive) {
  return status >= 500 && client_version == 11 && may_keep_alive;
}

}  // namespace holdon
