// Unit tests for holdon::decide_interim and its helpers. Facts behind the expectations:
// /work/shared/docs/INTERIM-FACTS.md (which clients break on an unsolicited 1xx).
#include <doctest/doctest.h>

#include <optional>
#include <string>
#include <string_view>

#include "holdon/config.hpp"
#include "holdon/interim_policy.hpp"

using namespace holdon;

namespace {

constexpr std::string_view curl = "curl/8.5.0";

request_facts req(std::string_view method, std::optional<std::string_view> ua, unsigned version = 11) {
  request_facts r;
  r.version = version;
  r.method = method;
  r.user_agent = ua;
  return r;
}

interim_config with_mode(interim_mode m) {
  interim_config c;
  c.mode = m;
  return c;
}

bool starts_with(std::string_view s, std::string_view prefix) { return s.substr(0, prefix.size()) == prefix; }

}  // namespace

// ---------------------------------------------------------------- HTTP/1.0

TEST_CASE("interim: HTTP/1.0 never gets a keep-alive or a forwarded 1xx, in any mode") {
  for (auto mode : {interim_mode::auto_, interim_mode::always, interim_mode::never}) {
    CAPTURE(to_string(mode));
    auto r = req("PROPFIND", "davfs2/1.7.0 neon/0.33", 10);
    r.has_dav_header = true;
    r.expects_continue = true;  // RFC 9110 §10.1.1: a 1.0 request's 100-continue is ignored
    auto d = decide_interim(r, with_mode(mode));
    CHECK_FALSE(d.keepalive);
    CHECK_FALSE(d.forward_interims);
    CHECK_FALSE(d.forward_continue);
    CHECK(d.why == "http/1.0");
  }
}

// ---------------------------------------------------------------- auto: WebDAV signals

TEST_CASE("interim: auto sends keep-alive for WebDAV methods from an ordinary client") {
  interim_config c;
  for (auto m : {"PROPFIND", "PROPPATCH", "MKCOL", "COPY", "MOVE", "LOCK", "UNLOCK", "REPORT",
                 "SEARCH", "ACL", "MKCALENDAR", "VERSION-CONTROL", "MKWORKSPACE"}) {
    CAPTURE(m);
    auto d = decide_interim(req(m, curl), c);
    CHECK(d.keepalive);
    CHECK(d.forward_interims);
    CHECK(d.cap == c.max);
    CHECK(d.why == "dav-method");
  }
}

TEST_CASE("interim: methods are case-sensitive and ordinary methods are not WebDAV") {
  CHECK(is_dav_method("PROPFIND"));
  CHECK_FALSE(is_dav_method("propfind"));
  for (auto m : {"GET", "HEAD", "PUT", "POST", "DELETE", "OPTIONS", "PATCH", ""}) {
    CAPTURE(m);
    CHECK_FALSE(is_dav_method(m));
  }
}

TEST_CASE("interim: WebDAV request headers are recognised case-insensitively") {
  for (auto h : {"Depth", "depth", "DESTINATION", "Overwrite", "If", "Lock-Token", "timeout"}) {
    CAPTURE(h);
    CHECK(is_dav_header(h));
  }
  for (auto h : {"Host", "Content-Type", "If-None-Match", "If-Match", "Dept", ""}) {
    CAPTURE(h);
    CHECK_FALSE(is_dav_header(h));
  }
}

TEST_CASE("interim: auto sends keep-alive for a GET carrying a WebDAV header") {
  auto r = req("GET", curl);
  r.has_dav_header = true;
  auto d = decide_interim(r, interim_config{});
  CHECK(d.keepalive);
  CHECK(d.forward_interims);
  CHECK(d.why == "dav-header");
}

TEST_CASE("interim: auto does not send keep-alive for a plain GET from curl, but forwards 1xx") {
  auto d = decide_interim(req("GET", curl), interim_config{});
  CHECK_FALSE(d.keepalive);
  CHECK(d.forward_interims);
  CHECK_FALSE(d.forward_continue);
  CHECK(d.why == "not-dav");
}

TEST_CASE("interim: Expect: 100-continue lets the upstream's 100 through") {
  auto r = req("PUT", curl);
  r.expects_continue = true;
  auto d = decide_interim(r, interim_config{});
  CHECK(d.forward_continue);
  CHECK_FALSE(d.keepalive);
}

// ---------------------------------------------------------------- auto: allow list

TEST_CASE("interim: auto sends keep-alive for a GET from a known DAV client") {
  struct row {
    const char* ua;
    const char* why;
  };
  for (auto [ua, why] : {
           row{"Microsoft-WebDAV-MiniRedir/10.0.19043", "allow:Microsoft-WebDAV-MiniRedir"},
           row{"davfs2/1.7.0 neon/0.33", "allow:davfs2"},
           row{"WebDAVFS/3.0.0 (03008000) Darwin/22.0.0 (x86_64)", "allow:WebDAVFS"},
           row{"Mozilla/5.0 (Linux) mirall/3.13.0 (Nextcloud, ubuntu-6.8.0 ClientArchitecture: x86_64)",
               "allow:mirall"},
           row{"gvfs/1.36.1", "allow:gvfs"},
           row{"cadaver/0.23.3 neon/0.31.2", "allow:cadaver"},
           row{"Cyberduck/8.7.0.40629 (Mac OS X/13.4) (arm64)", "allow:Cyberduck"},
       }) {
    CAPTURE(ua);
    auto d = decide_interim(req("GET", ua), interim_config{});
    CHECK(d.keepalive);
    CHECK(d.forward_interims);
    CHECK(d.why == why);
  }
}

// ---------------------------------------------------------------- auto: deny list

TEST_CASE("interim: clients that break on 1xx get neither keep-alive nor forwarded 1xx") {
  for (auto ua : {"Python-urllib/3.11", "python-requests/2.31.0", "python-urllib3/2.0.7",
                  "urllib3/1.26.18", "HTTPie/3.2.2", "okhttp/4.12.0", "okhttp/3.14.9",
                  "Java/1.8.0_292"}) {
    for (auto method : {"GET", "PROPFIND"}) {
      CAPTURE(ua);
      CAPTURE(method);
      auto r = req(method, ua);
      r.has_dav_header = true;
      auto d = decide_interim(r, interim_config{});
      CHECK_FALSE(d.keepalive);
      CHECK_FALSE(d.forward_interims);
      CHECK_FALSE(d.forward_continue);
      CHECK(starts_with(d.why, "deny:"));
    }
  }
}

TEST_CASE("interim: the deny reason names the pattern that matched") {
  CHECK(decide_interim(req("GET", "Python-urllib/3.11"), interim_config{}).why == "deny:Python-urllib");
  CHECK(decide_interim(req("GET", "python-requests/2.31.0"), interim_config{}).why ==
        "deny:python-requests");
  CHECK(decide_interim(req("GET", "okhttp/4.12.0"), interim_config{}).why == "deny:okhttp/4.");
  CHECK(decide_interim(req("GET", "Java/1.8.0_292"), interim_config{}).why == "deny:Java/1.");
}

TEST_CASE("interim: DAVx5 on OkHttp 4 is denied even for PROPFIND with Depth") {
  auto r = req("PROPFIND", "DAVx5/4.3 (dav4jvm; okhttp/4.11.0) Android/13");
  r.has_dav_header = true;
  auto d = decide_interim(r, interim_config{});
  CHECK_FALSE(d.keepalive);
  CHECK_FALSE(d.forward_interims);
  CHECK(d.why == "deny:okhttp/4.");
}

TEST_CASE("interim: a denied client still gets the 100 Continue it asked for") {
  auto r = req("PUT", "python-requests/2.31.0");
  r.expects_continue = true;
  auto d = decide_interim(r, interim_config{});
  CHECK(d.forward_continue);
  CHECK_FALSE(d.forward_interims);
  CHECK_FALSE(d.keepalive);
}

TEST_CASE("interim: OkHttp 5 is not denied") {
  auto get = decide_interim(req("GET", "okhttp/5.0.0"), interim_config{});
  CHECK(get.forward_interims);
  CHECK_FALSE(get.keepalive);
  CHECK(get.why == "not-dav");
  auto propfind = decide_interim(req("PROPFIND", "okhttp/5.0.0"), interim_config{});
  CHECK(propfind.keepalive);
  CHECK(propfind.why == "dav-method");
}

TEST_CASE("interim: user-agent matching is a case-insensitive substring match") {
  CHECK(user_agent_matches("PYTHON-URLLIB/3.11", "Python-urllib"));
  CHECK(user_agent_matches("x (python-requests/2.31) y", "Python-Requests"));
  CHECK(user_agent_matches("okhttp/4.12.0", "okhttp/4."));
  CHECK_FALSE(user_agent_matches("okhttp/5.0.0", "okhttp/4."));
  CHECK_FALSE(user_agent_matches("neon", "neon/"));
  CHECK_FALSE(user_agent_matches("anything", ""));  // an empty pattern matches nothing
  CHECK_FALSE(user_agent_matches("", "curl"));

  auto denied = decide_interim(req("GET", "PYTHON-URLLIB/3.11"), interim_config{});
  CHECK_FALSE(denied.forward_interims);
  auto allowed = decide_interim(req("GET", "MICROSOFT-WEBDAV-MINIREDIR/10.0"), interim_config{});
  CHECK(allowed.keepalive);
}

// ---------------------------------------------------------------- auto: no User-Agent

TEST_CASE("interim: a request without User-Agent gets no keep-alive but forwarded 1xx") {
  for (auto method : {"GET", "PROPFIND"}) {
    CAPTURE(method);
    auto d = decide_interim(req(method, std::nullopt), interim_config{});
    CHECK_FALSE(d.keepalive);
    CHECK(d.forward_interims);
    CHECK(d.why == "no-user-agent");
  }
}

// ---------------------------------------------------------------- caps

TEST_CASE("interim: Go and rclone clients are capped at 5 interim responses") {
  auto go = decide_interim(req("PROPFIND", "Go-http-client/1.1"), interim_config{});
  CHECK(go.keepalive);
  CHECK(go.cap == 5);
  auto rclone = decide_interim(req("GET", "rclone/v1.68.2"), interim_config{});
  CHECK(rclone.keepalive);  // rclone/ is on the allow list
  CHECK(rclone.cap == 5);
}

TEST_CASE("interim: a per-agent cap never raises the configured max") {
  interim_config c;
  REQUIRE(c.max < 100);
  auto low = decide_interim(req("PROPFIND", "litmus/0.13 neon/0.31.2"), c);
  CHECK(low.cap == c.max);  // neon's 100 is above max

  c.max = 500;
  auto high = decide_interim(req("PROPFIND", "litmus/0.13 neon/0.31.2"), c);
  CHECK(high.cap == 100);
  CHECK(decide_interim(req("GET", curl), c).cap == 500);
}

TEST_CASE("interim: the lowest matching cap wins") {
  interim_config c;
  c.user_agent_caps = {{"A/", 20}, {"B/", 7}, {"C/", 12}};
  CHECK(decide_interim(req("PROPFIND", "A/1 B/2 C/3"), c).cap == 7);
  CHECK(decide_interim(req("PROPFIND", "A/1 C/3"), c).cap == 12);
}

TEST_CASE("interim: a cap of 0 disables keep-alive") {
  interim_config c;
  c.user_agent_caps = {{"Sensitive/", 0}};
  auto d = decide_interim(req("PROPFIND", "Sensitive/1.0"), c);
  CHECK_FALSE(d.keepalive);
  CHECK(d.cap == 0);

  interim_config always = with_mode(interim_mode::always);
  always.max = 0;
  CHECK_FALSE(decide_interim(req("PROPFIND", curl), always).keepalive);
}

// ---------------------------------------------------------------- modes always and never

TEST_CASE("interim: mode always sends keep-alive to every HTTP/1.1 client, ignoring the lists") {
  auto c = with_mode(interim_mode::always);
  for (auto ua : {std::optional<std::string_view>{"curl/8.5.0"}, std::optional<std::string_view>{"Python-urllib/3.11"},
                  std::optional<std::string_view>{}}) {
    CAPTURE(ua.value_or("<none>"));
    auto d = decide_interim(req("GET", ua), c);
    CHECK(d.keepalive);
    CHECK(d.forward_interims);
    CHECK(d.why == "mode-always");
  }
  CHECK(decide_interim(req("GET", "Go-http-client/1.1"), c).cap == 5);  // caps still apply
  CHECK_FALSE(decide_interim(req("GET", curl, 10), c).keepalive);
}

TEST_CASE("interim: mode never sends no keep-alive but forwards 1xx except to denied clients") {
  auto c = with_mode(interim_mode::never);
  auto dav = req("PROPFIND", "davfs2/1.7.0 neon/0.33");
  dav.has_dav_header = true;
  auto d = decide_interim(dav, c);
  CHECK_FALSE(d.keepalive);
  CHECK(d.forward_interims);
  CHECK(d.why == "mode-never");

  auto py = req("PUT", "python-requests/2.31.0");
  py.expects_continue = true;
  auto denied = decide_interim(py, c);
  CHECK_FALSE(denied.keepalive);
  CHECK_FALSE(denied.forward_interims);
  CHECK(denied.forward_continue);
}

// ---------------------------------------------------------------- configured lists

TEST_CASE("interim: configured lists replace the defaults") {
  config cfg = parse_config(
      "listen: [127.0.0.1:8080]\n"
      "upstreams: {dav: {servers: [127.0.0.1:8081]}}\n"
      "routes: [{upstream: dav}]\n"
      "interim:\n"
      "  allow_user_agents: [MyDav/]\n"
      "  deny_user_agents: [FragileClient]\n");
  const interim_config& c = cfg.routes[0].interim;

  auto mine = decide_interim(req("GET", "MyDav/2.0"), c);
  CHECK(mine.keepalive);
  CHECK(mine.why == "allow:MyDav/");

  auto davfs = decide_interim(req("GET", "davfs2/1.7.0 neon/0.33"), c);  // default allow entry gone
  CHECK_FALSE(davfs.keepalive);
  CHECK(davfs.why == "not-dav");

  auto py = decide_interim(req("GET", "Python-urllib/3.11"), c);  // default deny entry gone
  CHECK(py.forward_interims);
  CHECK(py.why == "not-dav");

  auto fragile = decide_interim(req("PROPFIND", "FragileClient/1"), c);
  CHECK_FALSE(fragile.keepalive);
  CHECK_FALSE(fragile.forward_interims);
  CHECK(fragile.why == "deny:FragileClient");
}
