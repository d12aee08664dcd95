// Unit tests for exchange_log: the access line of an exchange record, text and JSON.
#include <doctest/doctest.h>

#include "holdon/exchange_log.hpp"

using namespace holdon;

namespace {
exchange_record sample() {
  exchange_record r;
  r.time = "2026-12-02T08:00:07.786Z";
  r.client = "198.51.100.9";
  r.method = "PROPFIND";
  r.target = "/dav/x?delay_ms=1500";
  r.route = "/";
  r.policy = "allow:neon/";
  r.user_agent = "cadaver/0.24 neon/0.32.5";
  r.status = 207;
  r.interims = 7;
  r.keepalive_102 = 6;
  r.upstream_ms = 1507;
  r.total_ms = 1508;
  r.bytes_in = 0;
  r.bytes_out = 1051;
  return r;
}
}  // namespace

TEST_CASE("exchange_log: the JSON line has every field, in order") {
  CHECK(access_line_of(sample(), access_log_format::json) ==
        R"({"time":"2026-12-02T08:00:07.786Z","client":"198.51.100.9","method":"PROPFIND",)"
        R"("target":"/dav/x?delay_ms=1500","status":207,"interims":7,"keepalive_102":6,"upstream_ms":1507,)"
        R"("total_ms":1508,"bytes_in":0,"bytes_out":1051,"route":"/","interim_policy":"allow:neon/",)"
        R"("user_agent":"cadaver/0.24 neon/0.32.5","error":""})");
}

TEST_CASE("exchange_log: the text line, with the error only when there is one") {
  auto r = sample();
  CHECK(access_line_of(r, access_log_format::text) ==
        "2026-12-02T08:00:07.786Z 198.51.100.9 \"PROPFIND /dav/x?delay_ms=1500\" 207 interims=7 upstream_ms=1507 "
        "total_ms=1508 in=0 out=1051 route=/ policy=allow:neon/");
  r.status = 499;
  r.upstream_ms = -1;
  r.error = "client closed the connection";
  CHECK(access_line_of(r, access_log_format::text).ends_with(
        "499 interims=7 upstream_ms=-1 total_ms=1508 in=0 out=1051 route=/ policy=allow:neon/ "
        "error=\"client closed the connection\""));
}

TEST_CASE("exchange_log: quotes, backslashes and control characters cannot break a line") {
  auto r = sample();
  r.target = "/a\"b\\c\r\nd";
  r.user_agent = "evil\"\x01";
  auto json = access_line_of(r, access_log_format::json);
  CHECK(json.find(R"("target":"/a\"b\\c  d")") != std::string::npos);
  CHECK(json.find(R"("user_agent":"evil\" ")") != std::string::npos);
  CHECK(json.find('\n') == std::string::npos);
  CHECK(access_line_of(r, access_log_format::text).find("\"PROPFIND /a\\\"b\\\\c  d\"") != std::string::npos);
  CHECK(access_line_of(r, access_log_format::off).empty());
}
