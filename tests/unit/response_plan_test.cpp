// Unit tests for response_plan: body framing and keep-alive of the final response.
#include <doctest/doctest.h>

#include <initializer_list>

#include "holdon/response_plan.hpp"

using namespace holdon;
using conn = response_plan::connection_field;

TEST_CASE("response_plan: framing and keep-alive for each kind of final response") {
  struct row {
    const char* what;
    response_facts in;
    bool no_body, chunk_out, framing_close, keep_alive;
    conn connection;
  };
  for (const auto& r : {
           row{"length known, 1.1", {200, false, true, false, 11, true}, false, false, false, true, conn::none},
           row{"length known, 1.0 keep-alive", {200, false, true, false, 10, true}, false, false, false, true, conn::keep_alive},
           row{"chunked upstream, 1.1: re-chunked", {200, false, false, true, 11, true}, false, true, false, true, conn::none},
           row{"close-delimited, 1.1: re-chunked", {200, false, false, false, 11, true}, false, true, false, true, conn::none},
           row{"no length, 1.0: ended by close", {200, false, false, true, 10, true}, false, false, true, false, conn::close},
           row{"HEAD with a length", {200, true, true, false, 11, true}, true, false, false, true, conn::none},
           row{"HEAD, chunked upstream", {200, true, false, true, 11, true}, true, true, false, true, conn::none},
           row{"HEAD, nothing known, 1.0", {200, true, false, false, 10, true}, true, false, false, true, conn::keep_alive},
           row{"204", {204, false, false, false, 11, true}, true, false, false, true, conn::none},
           row{"304", {304, false, false, false, 11, true}, true, false, false, true, conn::none},
           row{"the session says close", {200, false, true, false, 11, false}, false, false, false, false, conn::close},
       }) {
    CAPTURE(r.what);
    auto p = plan_response(r.in);
    CHECK(p.no_body == r.no_body);
    CHECK(p.chunk_out == r.chunk_out);
    CHECK(p.framing_close == r.framing_close);
    CHECK(p.keep_alive == r.keep_alive);
    CHECK(p.connection == r.connection);
  }
}

TEST_CASE("response_plan: a generated error keeps the connection only for a 5xx to a whole 1.1 request") {
  CHECK(keep_after_error(502, 11, true));
  CHECK(keep_after_error(504, 11, true));
  CHECK_FALSE(keep_after_error(400, 11, true));
  CHECK_FALSE(keep_after_error(413, 11, true));
  CHECK_FALSE(keep_after_error(502, 10, true));
  CHECK_FALSE(keep_after_error(502, 11, false));
}
