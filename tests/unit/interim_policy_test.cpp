// Unit tests for holdon::decide_interim and its helpers. The expectations follow the README's
// client and front tables; the real clients and fronts behind them are driven by
// tests/clients and tests/fronts.
#include <doctest/doctest.h>

#include <optional>
#include <string>
#include <string_view>

#include "holdon/config.hpp"
#include "holdon/front.hpp"
#include "holdon/interim_policy.hpp"
#include "match_table.hpp"

using namespace holdon;
using namespace std::chrono_literals;

namespace {

constexpr std::string_view curl = "curl/7.88.1";
constexpr duration wait_300s{300000};

request_facts req(std::optional<std::string_view> ua, unsigned version = 11) {
  request_facts r;
  r.version = version;
  r.user_agent = ua;
  return r;
}

interim_decision decide(const request_facts& r, const interim_config& c = {}, const front_config* f = nullptr) {
  return decide_interim(r, c, f, wait_300s);
}

interim_config with_mode(interim_mode m) {
  interim_config c;
  c.mode = m;
  return c;
}

front_config front_of(front_kind k) {
  front_config f;
  f.kind = k;
  f.addresses.push_back(*parse_address_range("127.0.0.1"));
  return f;
}

bool starts_with(std::string_view s, std::string_view prefix) { return s.substr(0, prefix.size()) == prefix; }

}  // namespace

// ---------------------------------------------------------------- HTTP/1.0

TEST_CASE("interim: HTTP/1.0 never gets a keep-alive or a forwarded 1xx, in any mode") {
  for (auto mode : {interim_mode::auto_, interim_mode::always, interim_mode::never}) {
    CAPTURE(to_string(mode));
    auto r = req("davfs2/1.7.0 neon/0.33", 10);
    r.expects_continue = true;  // RFC 9110 §10.1.1: a 1.0 request's 100-continue is ignored
    auto d = decide(r, with_mode(mode));
    CHECK_FALSE(d.keepalive);
    CHECK_FALSE(d.forward_interims);
    CHECK_FALSE(d.forward_continue);
    CHECK(d.why == "http/1.0");
  }
}

// ---------------------------------------------------------------- auto: the client table

TEST_CASE("interim: auto sends 102s and forwards 1xx to the client families proven to survive them") {
  struct row {
    const char* ua;
    const char* why;
    unsigned cap;
  };
  interim_config c;
  c.max = 200;
  for (auto [ua, why, cap] : {
           row{"curl/7.88.1", "allow:curl/", 200},
           row{"cadaver/0.24 neon/0.32.5", "allow:neon/", 100},
           row{"litmus/0.13 neon/0.32.5", "allow:neon/", 100},
           row{"davfs2/1.7.0 neon/0.33", "allow:neon/", 100},
           row{"WinSCP/5.19.1 neon/0.31.2", "allow:neon/", 100},
           row{"rclone/v1.60.1-DEV", "allow:rclone/", 5},
           row{"rclone/v1.70.0", "allow:rclone/", 200},  // built with Go 1.24: no 1xx cap
           row{"rclone/", "allow:rclone/", 5},  // Debian's 1.60 shows no version: assume old
           row{"Go-http-client/1.1", "allow:Go-http-client/", 5},
           row{"Java-http-client/17.0.15", "allow:Java-http-client/", 8},  // maxNonFinalResponses
           row{"Apache-HttpClient/4.5.14 (Java/17.0.15)", "allow:Apache-HttpClient/", 200},
           row{"Cyberduck/8.7.0.40629 (Linux/6.1) (x86_64)", "allow:Cyberduck/", 200},
           row{"libsoup/3.2.2", "allow:libsoup/", 200},
           row{"gvfs/1.50.3", "allow:gvfs/", 200},
           row{"python-httpx/0.23.3", "allow:python-httpx/", 200},
           row{"Python/3.11 aiohttp/3.8.4", "allow:aiohttp/", 200},
           row{"node", "allow:^node$", 200},
           row{"node-fetch/1.0 (+https://github.com/bitinn/node-fetch)", "allow:node-fetch/", 200},
       }) {
    CAPTURE(ua);
    auto d = decide(req(ua), c);
    CHECK(d.keepalive);
    CHECK(d.forward_interims);
    CHECK(d.why == why);
    CHECK(d.cap == cap);
  }
}

TEST_CASE("interim: clients that break on a 1xx get neither keep-alive nor forwarded 1xx") {
  struct row {
    const char* ua;
    const char* why;
  };
  for (auto [ua, why] : {
           row{"Mozilla/5.0", "deny:^Mozilla/5.0$"},  // Qt's default
           row{"Mozilla/5.0 (Linux) mirall/3.13.0 (Nextcloud, debian-x86_64 QT/5.15.8)", "deny:mirall"},
           row{"Mozilla/5.0 (Linux) mirall/5.2.0 (ownCloud, debian)", "deny:mirall"},
           row{"Mozilla/5.0 (Android) Nextcloud-android/3.26.0", "deny:Nextcloud"},
           row{"MyApp/1.0 Qt/5.15.8", "deny:Qt/"},
           row{"Java/17.0.15", "deny:^Java/"},
           row{"Java/1.8.0_292", "deny:^Java/"},
           row{"Python-urllib/3.11", "deny:Python-urllib"},
           row{"python-requests/2.28.1", "deny:python-requests"},
           row{"urllib3/1.26.12", "deny:urllib3"},
           row{"HTTPie/3.2.1", "deny:HTTPie"},
           row{"okhttp/4.12.0", "deny:okhttp/4."},
           row{"DAVx5/4.3 (dav4jvm; okhttp/4.11.0) Android/13", "deny:okhttp/4."},
       }) {
    for (auto mode : {interim_mode::auto_, interim_mode::always, interim_mode::never}) {
      CAPTURE(ua);
      CAPTURE(to_string(mode));
      auto d = decide(req(ua), with_mode(mode));
      CHECK_FALSE(d.keepalive);
      CHECK_FALSE(d.forward_interims);
      CHECK_FALSE(d.forward_continue);
      CHECK(d.why == why);
    }
  }
}

TEST_CASE("interim: an unknown client gets no 1xx at all in auto, nor does one without a User-Agent") {
  for (auto ua : {std::optional<std::string_view>{"acme-sync/2.1"}, std::optional<std::string_view>{"okhttp/5.0.0"},
                  std::optional<std::string_view>{"Microsoft-WebDAV-MiniRedir/10.0.19043"},
                  std::optional<std::string_view>{"Mozilla/5.0 (X11; Linux x86_64) Firefox/128.0"},
                  std::optional<std::string_view>{}}) {
    CAPTURE(ua.value_or("<none>"));
    auto d = decide(req(ua));
    CHECK_FALSE(d.keepalive);
    CHECK_FALSE(d.forward_interims);
    CHECK(d.why == (ua ? "unknown-client" : "no-user-agent"));
  }
}

TEST_CASE("interim: a denied or unknown client still gets the 100 Continue it asked for") {
  for (auto ua : {"python-requests/2.28.1", "acme-sync/2.1"}) {
    CAPTURE(ua);
    auto r = req(ua);
    r.expects_continue = true;
    auto d = decide(r);
    CHECK(d.forward_continue);
    CHECK_FALSE(d.forward_interims);
    CHECK_FALSE(d.keepalive);
  }
}

TEST_CASE("interim: deny wins over allow, whatever the order in the User-Agent") {
  interim_config c;
  c.allow_user_agents.push_back("Mozilla/");
  auto d = decide(req("Mozilla/5.0 (Linux) mirall/3.13.0 (Nextcloud)"), c);
  CHECK_FALSE(d.keepalive);
  CHECK(d.why == "deny:mirall");
  // ^Java/ anchors: Apache HttpClient names the JVM after its own product.
  CHECK(decide(req("Apache-HttpClient/4.5.14 (Java/17.0.15)")).keepalive);
}

// ---------------------------------------------------------------- matching

TEST_CASE("interim: user-agent patterns: case-insensitive substring, ^ and $ anchor") {
  auto matches = [](std::string_view pattern, std::string_view ua) { return user_agent_matches(ua, pattern); };
  // {pattern, User-Agent, matches}
  match_table::check_matches(matches, {
      {"Python-urllib", "PYTHON-URLLIB/3.11", true},
      {"Python-Requests", "x (python-requests/2.31) y", true},
      {"okhttp/4.", "okhttp/4.12.0", true},
      {"okhttp/4.", "okhttp/5.0.0", false},
      {"neon/", "neon", false},
      {"", "anything", false},
      {"curl", "", false},
      {"^Java/", "Java/17.0.2", true},
      {"^Java/", "Apache-HttpClient/4.5 (Java/17)", false},
      {"^Mozilla/5.0$", "Mozilla/5.0", true},
      {"^Mozilla/5.0$", "mozilla/5.0", true},
      {"^Mozilla/5.0$", "Mozilla/5.0 (X11)", false},
      {"^Mozilla/5.0$", "x Mozilla/5.0", false},
      {"^node$", "node", true},
      {"^node$", "nodejs-thing", false},
      {"node$", "my node", true},
      {"^", "^", false},
  });
}

TEST_CASE("interim: a cap with `before` applies only below that version") {
  CHECK(version_below("rclone/v1.60.1-DEV", "rclone/", "1.70"));
  CHECK(version_below("rclone/v1.69.3", "rclone/", "1.70"));
  CHECK_FALSE(version_below("rclone/v1.70.0", "rclone/", "1.70"));
  CHECK_FALSE(version_below("rclone/v2.0", "rclone/", "1.70"));
  CHECK(version_below("rclone/DEV", "rclone/", "1.70"));  // no version shown: assume old
  CHECK_FALSE(version_below("curl/8", "rclone/", "1.70"));
}

// ---------------------------------------------------------------- caps

TEST_CASE("interim: a per-agent cap never raises the configured max, and the lowest one wins") {
  interim_config c;
  REQUIRE(c.max < 100);
  CHECK(decide(req("litmus/0.13 neon/0.31.2"), c).cap == c.max);  // neon's 100 is above max
  c.max = 500;
  CHECK(decide(req("litmus/0.13 neon/0.31.2"), c).cap == 100);
  CHECK(decide(req(curl), c).cap == 500);
  c.allow_user_agents = {"A/"};
  c.user_agent_caps = {{"A/", 20, ""}, {"B/", 7, ""}, {"C/", 12, ""}};
  CHECK(decide(req("A/1 B/2 C/3"), c).cap == 7);
  CHECK(decide(req("A/1 C/3"), c).cap == 12);
}

TEST_CASE("interim: a cap of 0 disables every 1xx but the asked-for 100") {
  interim_config c;
  c.user_agent_caps = {{"curl/", 0, ""}};
  auto r = req(curl);
  r.expects_continue = true;
  auto d = decide(r, c);
  CHECK_FALSE(d.keepalive);
  CHECK_FALSE(d.forward_interims);
  CHECK(d.forward_continue);
}

// ---------------------------------------------------------------- modes always and never

TEST_CASE("interim: mode always sends keep-alive to every HTTP/1.1 client but the denied") {
  auto c = with_mode(interim_mode::always);
  for (auto ua : {std::optional<std::string_view>{curl}, std::optional<std::string_view>{"acme-sync/2.1"},
                  std::optional<std::string_view>{}}) {
    CAPTURE(ua.value_or("<none>"));
    auto d = decide(req(ua), c);
    CHECK(d.keepalive);
    CHECK(d.forward_interims);
    CHECK(d.why == "mode-always");
  }
  CHECK(decide(req("Go-http-client/1.1"), c).cap == 5);  // caps still apply
  CHECK_FALSE(decide(req("Python-urllib/3.11"), c).keepalive);
  CHECK_FALSE(decide(req(curl, 10), c).keepalive);
}

TEST_CASE("interim: mode never sends no keep-alive and forwards 1xx to allowed clients only") {
  auto c = with_mode(interim_mode::never);
  auto d = decide(req("davfs2/1.7.0 neon/0.33"), c);
  CHECK_FALSE(d.keepalive);
  CHECK(d.forward_interims);
  CHECK(d.why == "mode-never");
  auto unknown = decide(req("acme-sync/2.1"), c);
  CHECK_FALSE(unknown.forward_interims);
  auto denied = decide(req("python-requests/2.28.1"), c);
  CHECK_FALSE(denied.forward_interims);
}

// ---------------------------------------------------------------- fronts

TEST_CASE("interim: fronts that break on 1xx or are unknown get none, whatever the end client") {
  for (auto k : {front_kind::nginx, front_kind::varnish, front_kind::trafficserver, front_kind::aws_alb,
                 front_kind::generic}) {
    auto f = front_of(k);
    CAPTURE(facts_of(k).name);
    for (auto mode : {interim_mode::auto_, interim_mode::always}) {
      auto d = decide(req(curl), with_mode(mode), &f);
      CHECK_FALSE(d.keepalive);
      CHECK_FALSE(d.forward_interims);
      CHECK(d.why == "front:" + std::string(facts_of(k).name));
    }
  }
}

TEST_CASE("interim: a forwarding front passes the end client's verdict, under the front's cap") {
  struct row {
    front_kind kind;
    unsigned cap;
  };
  interim_config c;
  c.max = 200;
  for (auto [kind, cap] : {row{front_kind::haproxy, 200}, row{front_kind::apache, 9}, row{front_kind::caddy, 5},
                           row{front_kind::traefik, 5}, row{front_kind::envoy, 1}, row{front_kind::squid, 200},
                           row{front_kind::lighttpd, 200}, row{front_kind::cloudflare, 200}}) {
    auto f = front_of(kind);
    CAPTURE(facts_of(kind).name);
    auto d = decide(req(curl), c, &f);
    CHECK(d.keepalive);
    CHECK(d.cap == cap);
    CHECK(d.why == "allow:curl/");
    CHECK_FALSE(decide(req("Mozilla/5.0 (Linux) mirall/3.13.0 (Nextcloud)"), c, &f).forward_interims);
    CHECK_FALSE(decide(req("acme-sync/2.1"), c, &f).keepalive);
  }
}

TEST_CASE("interim: per-front overrides: go_1_24 lifts the Go cap, max lowers, mode and every replace") {
  interim_config c;
  c.max = 200;
  auto caddy = front_of(front_kind::caddy);
  caddy.go_1_24 = true;
  CHECK(decide(req(curl), c, &caddy).cap == 200);
  caddy.max = 3;
  CHECK(decide(req(curl), c, &caddy).cap == 3);

  auto nginx = front_of(front_kind::nginx);  // the operator vouches for a fixed nginx
  nginx.mode = interim_mode::auto_;
  CHECK(decide(req(curl), c, &nginx).keepalive);
  CHECK(decide(req(curl), c, &nginx).cap == 200);

  auto haproxy = front_of(front_kind::haproxy);
  haproxy.mode = interim_mode::never;
  auto off = decide(req(curl), c, &haproxy);
  CHECK_FALSE(off.keepalive);
  CHECK_FALSE(off.forward_interims);
  haproxy.mode = interim_mode::always;
  haproxy.every = duration(20000);
  auto all = decide(req("acme-sync/2.1"), c, &haproxy);
  CHECK(all.keepalive);
  CHECK(all.every == duration(20000));
  CHECK_FALSE(decide(req("Java/17.0.15"), c, &haproxy).keepalive);  // deny still wins
}

TEST_CASE("interim: a request with proxy fields from an undeclared peer gets no 1xx, in any mode") {
  for (auto mode : {interim_mode::auto_, interim_mode::always}) {
    auto r = req(curl);
    r.proxy_sign = "X-Forwarded-For";
    r.expects_continue = true;
    auto d = decide(r, with_mode(mode));
    CHECK_FALSE(d.keepalive);
    CHECK_FALSE(d.forward_interims);
    CHECK(d.forward_continue);
    CHECK(d.undeclared_proxy);
    CHECK(d.why == "undeclared-proxy:X-Forwarded-For");
  }
  auto none = front_of(front_kind::none);  // declared as a client: its fields are no sign
  auto r = req(curl);
  r.proxy_sign = "Via";
  CHECK(decide(r, {}, &none).keepalive);
}

// ---------------------------------------------------------------- schedules under a cap

TEST_CASE("interim: an uncapped schedule keeps first_after and every") {
  interim_config c;  // 1s, 10s, max 30
  auto d = decide(req(curl), c);
  CHECK(d.first_after == duration(1000));
  CHECK(d.every == duration(10000));
}

TEST_CASE("interim: a capped schedule is spread over the longest wait, bounded by max_gap and the front's idle timeout") {
  interim_config c;  // every 10s, max 30, max_gap 50s
  // Go, cap 5, waits up to 300s: (300 - 1) / 5 = 59.8s, bounded by max_gap.
  CHECK(decide(req("Go-http-client/1.1"), c).every == duration(50000));
  // A short wait needs no stretching beyond `every`.
  CHECK(decide_interim(req("Go-http-client/1.1"), c, nullptr, duration(20000)).every == duration(10000));
  CHECK(decide_interim(req("Go-http-client/1.1"), c, nullptr, duration(100000)).every == duration(19800));
  // Apache, cap 9, 60s idle timeout: at most 54s apart.
  auto apache = front_of(front_kind::apache);
  c.max_gap = duration(600000);
  CHECK(decide_interim(req(curl), c, &apache, duration(900000)).every == duration(54000));
  apache.idle_timeout = duration(20000);
  CHECK(decide_interim(req(curl), c, &apache, duration(900000)).every == duration(18000));
}
