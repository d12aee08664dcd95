// config: YAML -> plain structs. Every error names the source, the line and the key path.
#include "holdon/config.hpp"
#include "holdon/front.hpp"

#include <yaml-cpp/yaml.h>

#include <algorithm>
#include <boost/asio/ip/address.hpp>
#include <charconv>
#include <fstream>
#include <sstream>

namespace holdon {

interim_config::interim_config()
    // Each allow entry is a client family that a test of the suite drives for real through
    // holdon (tests/clients); each deny entry one that breaks on a 102 (the README's client
    // table says how each was shown). Unknown clients get none.
    : allow_user_agents{"curl/", "neon/", "rclone/", "Go-http-client/", "Java-http-client/",
                        "Apache-HttpClient/", "Cyberduck/", "libsoup/", "gvfs/", "python-httpx/",
                        "aiohttp/", "node-fetch/", "^node$"},
      deny_user_agents{"Python-urllib", "python-requests", "urllib3", "HTTPie", "okhttp/1.",
                       "okhttp/2.", "okhttp/3.", "okhttp/4.", "^Java/", "mirall", "Nextcloud",
                       "ownCloud", "Qt/", "^Mozilla/5.0$"},
      // Java-http-client: JDK 17 fails past jdk.httpclient.maxNonFinalResponses (8), measured here.
      user_agent_caps{{"Go-http-client/", 5, ""}, {"rclone/", 5, "1.70"}, {"Java-http-client/", 8, ""},
                      {"neon/", 100, ""}, {"Ruby", 90, ""}} {}

std::string endpoint_spec::text() const {
  if (host.find(':') != std::string::npos) return "[" + host + "]:" + std::to_string(port);
  return host + ":" + std::to_string(port);
}

std::string_view to_string(interim_mode m) {
  switch (m) {
    case interim_mode::always: return "always";
    case interim_mode::never: return "never";
    default: return "auto";
  }
}

std::optional<duration> parse_duration(std::string_view t) {
  std::uint64_t n = 0;
  auto [end, ec] = std::from_chars(t.data(), t.data() + t.size(), n);
  if (ec != std::errc{} || end == t.data()) return std::nullopt;
  std::string_view unit(end, t.data() + t.size() - end);
  std::uint64_t mul = 0;
  if (unit == "ms") mul = 1;
  else if (unit == "s") mul = 1000;
  else if (unit == "m") mul = 60'000;
  else if (unit == "h") mul = 3'600'000;
  else return std::nullopt;
  if (n > (std::uint64_t{1} << 40) / mul) return std::nullopt;  // absurd: ~35 years
  return duration(static_cast<duration::rep>(n * mul));
}

std::optional<endpoint_spec> parse_endpoint(std::string_view t) {
  endpoint_spec e;
  std::string_view port;
  if (!t.empty() && t.front() == '[') {
    auto close = t.find(']');
    if (close == std::string_view::npos || close + 1 >= t.size() || t[close + 1] != ':')
      return std::nullopt;
    e.host = std::string(t.substr(1, close - 1));
    port = t.substr(close + 2);
    boost::system::error_code ec;
    auto a = boost::asio::ip::make_address_v6(e.host, ec);
    if (ec) return std::nullopt;
    (void)a;
  } else {
    auto colon = t.rfind(':');
    if (colon == std::string_view::npos || colon == 0) return std::nullopt;
    e.host = std::string(t.substr(0, colon));
    port = t.substr(colon + 1);
    if (e.host.find(':') != std::string::npos) return std::nullopt;  // bare IPv6: use [..]
  }
  unsigned p = 0;
  auto [end, ec] = std::from_chars(port.data(), port.data() + port.size(), p);
  if (ec != std::errc{} || end != port.data() + port.size() || port.empty() || p > 65535)
    return std::nullopt;
  e.port = static_cast<std::uint16_t>(p);
  return e;
}

namespace {

struct parser {
  std::string source;

  [[noreturn]] void fail(const YAML::Node& at, const std::string& key, const std::string& what) const {
    std::ostringstream os;
    os << source;
    if (at.IsDefined() && !at.Mark().is_null()) os << ':' << at.Mark().line + 1;
    os << ": " << key << ": " << what;
    throw config_error(os.str());
  }

  void known_keys(const YAML::Node& map, const std::string& path,
                  std::initializer_list<std::string_view> keys) const {
    if (!map.IsMap()) fail(map, path.empty() ? "(top)" : path, "must be a mapping");
    for (const auto& kv : map) {
      auto k = kv.first.as<std::string>();
      if (std::find(keys.begin(), keys.end(), k) != keys.end()) continue;
      std::string list;
      for (auto e : keys) list += (list.empty() ? "" : ", ") + std::string(e);
      fail(kv.first, join(path, k), "unknown key (expected one of: " + list + ")");
    }
  }

  static std::string join(const std::string& path, std::string_view key) {
    return path.empty() ? std::string(key) : path + "." + std::string(key);
  }

  std::string scalar(const YAML::Node& n, const std::string& key) const {
    if (!n.IsScalar()) fail(n, key, n.IsSequence() ? "must be a single value, not a list" : "must be a single value, not a mapping");
    return n.Scalar();
  }

  duration get_duration(const YAML::Node& n, const std::string& key) const {
    auto s = scalar(n, key);
    auto d = parse_duration(s);
    if (!d) fail(n, key, "bad duration '" + s + "' (use a whole number with ms, s, m or h, e.g. 500ms)");
    return *d;
  }

  std::uint64_t get_uint(const YAML::Node& n, const std::string& key, std::uint64_t lo,
                         std::uint64_t hi) const {
    auto s = scalar(n, key);
    std::uint64_t v = 0;
    auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
    if (ec != std::errc{} || end != s.data() + s.size() || s.empty())
      fail(n, key, "must be a whole number, got '" + s + "'");
    if (v < lo || v > hi)
      fail(n, key, "must be between " + std::to_string(lo) + " and " + std::to_string(hi));
    return v;
  }

  std::vector<std::string> get_strings(const YAML::Node& n, const std::string& key) const {
    std::vector<std::string> out;
    if (n.IsScalar()) return {n.Scalar()};
    if (!n.IsSequence()) fail(n, key, "must be a list");
    for (std::size_t i = 0; i < n.size(); ++i)
      out.push_back(scalar(n[i], key + "[" + std::to_string(i) + "]"));
    return out;
  }

  endpoint_spec get_endpoint(const YAML::Node& n, const std::string& key, bool must_be_ip,
                             bool allow_port0) const {
    auto s = scalar(n, key);
    auto e = parse_endpoint(s);
    if (!e) fail(n, key, "bad address '" + s + "' (expected HOST:PORT or [IPv6]:PORT)");
    if (e->port == 0 && !allow_port0) fail(n, key, "bad address '" + s + "': port 0");
    if (must_be_ip) {
      boost::system::error_code ec;
      boost::asio::ip::make_address(e->host, ec);
      if (ec) fail(n, key, "bad address '" + s + "': listen needs an IP address");
    }
    return *e;
  }

  interim_config interim(const YAML::Node& n, const std::string& path, interim_config c) const {
    known_keys(n, path, {"mode", "first_after", "every", "max", "max_gap", "allow_user_agents",
                         "deny_user_agents", "add_allow_user_agents", "add_deny_user_agents",
                         "user_agent_caps"});
    if (auto m = n["mode"]) c.mode = get_mode(m, join(path, "mode"));
    if (auto v = n["first_after"]) c.first_after = get_duration(v, join(path, "first_after"));
    if (auto v = n["every"]) c.every = get_positive_duration(v, join(path, "every"));
    if (auto v = n["max_gap"]) c.max_gap = get_positive_duration(v, join(path, "max_gap"));
    if (auto v = n["max"]) c.max = static_cast<unsigned>(get_uint(v, join(path, "max"), 0, 100000));
    if (auto v = n["allow_user_agents"]) c.allow_user_agents = get_strings(v, join(path, "allow_user_agents"));
    if (auto v = n["deny_user_agents"]) c.deny_user_agents = get_strings(v, join(path, "deny_user_agents"));
    for (auto [key, list] : {std::pair{"add_allow_user_agents", &c.allow_user_agents},
                             std::pair{"add_deny_user_agents", &c.deny_user_agents}})
      if (auto v = n[key])
        for (auto& p : get_strings(v, join(path, key))) list->push_back(std::move(p));
    if (auto v = n["user_agent_caps"]) {
      auto key = join(path, "user_agent_caps");
      if (!v.IsSequence()) fail(v, key, "must be a list of {match: TEXT, max: N}");
      c.user_agent_caps.clear();
      for (std::size_t i = 0; i < v.size(); ++i) {
        auto k = key + "[" + std::to_string(i) + "]";
        known_keys(v[i], k, {"match", "max", "before"});
        if (!v[i]["match"] || !v[i]["max"]) fail(v[i], k, "needs both match and max");
        std::string before;
        if (auto b = v[i]["before"]) {
          before = scalar(b, k + ".before");
          if (before.empty() || before.find_first_not_of("0123456789.") != std::string::npos || before.front() == '.')
            fail(b, k + ".before", "must be a version such as 1.70, got '" + before + "'");
        }
        c.user_agent_caps.push_back({scalar(v[i]["match"], k + ".match"),
                                     static_cast<unsigned>(get_uint(v[i]["max"], k + ".max", 0, 100000)), before});
      }
    }
    return c;
  }

  interim_mode get_mode(const YAML::Node& m, const std::string& key) const {
    auto s = scalar(m, key);
    if (s == "auto") return interim_mode::auto_;
    if (s == "always") return interim_mode::always;
    if (s == "never") return interim_mode::never;
    fail(m, key, "must be auto, always or never, got '" + s + "'");
  }

  duration get_positive_duration(const YAML::Node& n, const std::string& key) const {
    auto d = get_duration(n, key);
    if (d.count() == 0) fail(n, key, "must be more than 0");
    return d;
  }

  // fronts: the proxies in front of holdon, by peer address (README "Where to put holdon").
  std::vector<front_config> fronts(const YAML::Node& n) const {
    if (!n.IsSequence()) fail(n, "fronts", "must be a list of {addresses: [IP or CIDR, ...], kind: KIND}");
    std::vector<front_config> out;
    for (std::size_t i = 0; i < n.size(); ++i) {
      auto path = "fronts[" + std::to_string(i) + "]";
      const auto& f = n[i];
      known_keys(f, path, {"name", "addresses", "kind", "mode", "every", "max", "idle_timeout", "go_1_24"});
      front_config fc;
      auto kind = f["kind"];
      if (!kind) fail(f, path + ".kind", "missing (one of: " + front_kind_names() + ")");
      auto k = front_kind_named(scalar(kind, path + ".kind"));
      if (!k) fail(kind, path + ".kind", "unknown kind '" + kind.Scalar() + "' (one of: " + front_kind_names() + ")");
      fc.kind = *k;
      fc.name = f["name"] ? scalar(f["name"], path + ".name") : std::string(facts_of(fc.kind).name);
      auto addrs = f["addresses"];
      if (!addrs) fail(f, path + ".addresses", "missing (e.g. addresses: [10.0.0.0/8, \"::1\"])");
      for (const auto& a : get_strings(addrs, path + ".addresses")) {
        auto r = parse_address_range(a);
        if (!r) fail(addrs, path + ".addresses", "bad address '" + a + "' (expected an IP or CIDR, e.g. 10.0.0.0/8 or fd00::/8)");
        fc.addresses.push_back(*r);
      }
      if (fc.addresses.empty()) fail(addrs, path + ".addresses", "must list at least one IP or CIDR");
      if (auto v = f["mode"]) fc.mode = get_mode(v, path + ".mode");
      if (auto v = f["every"]) fc.every = get_positive_duration(v, path + ".every");
      if (auto v = f["max"]) fc.max = static_cast<unsigned>(get_uint(v, path + ".max", 0, 100000));
      if (auto v = f["idle_timeout"]) fc.idle_timeout = get_positive_duration(v, path + ".idle_timeout");
      if (auto v = f["go_1_24"]) {
        fc.go_1_24 = get_bool(v, path + ".go_1_24");
        if (!facts_of(fc.kind).go_capped) fail(v, path + ".go_1_24", "only for the Go-based kinds (caddy, traefik)");
      }
      out.push_back(std::move(fc));
    }
    return out;
  }

  timeouts_config timeouts(const YAML::Node& n, const std::string& path, timeouts_config t) const {
    known_keys(n, path, {"connect", "client_header", "idle", "upstream_response"});
    auto one = [&](const char* k, duration& d) {
      if (auto v = n[k]) {
        d = get_duration(v, join(path, k));
        if (d.count() == 0) fail(v, join(path, k), "must be more than 0");
      }
    };
    one("connect", t.connect);
    one("client_header", t.client_header);
    one("idle", t.idle);
    one("upstream_response", t.upstream_response);
    return t;
  }

  // ---- issue 7: TLS listeners, upstream balancing/health/TLS, route host and method match

  std::string origin(const YAML::Node& n, const std::string& key) const {
    auto line = n.IsDefined() && !n.Mark().is_null() ? ":" + std::to_string(n.Mark().line + 1) : "";
    return source + line + ": " + key;
  }

  bool get_bool(const YAML::Node& n, const std::string& key) const {
    auto s = scalar(n, key);
    if (s == "true") return true;
    if (s == "false") return false;
    fail(n, key, "must be true or false, got '" + s + "'");
  }

  std::string get_path(const YAML::Node& n, const std::string& key) const {
    auto s = scalar(n, key);
    if (s.empty()) fail(n, key, "must name a file");
    return s;
  }

  listen_tls_config listen_tls(const YAML::Node& n, const std::string& path) const {
    known_keys(n, path, {"certificates"});
    auto certs = n["certificates"];
    if (!certs) fail(n, path + ".certificates", "missing (e.g. certificates: [{cert: a.pem, key: a.key}])");
    if (!certs.IsSequence() || certs.size() == 0)
      fail(certs, path + ".certificates", "must be a non-empty list of {cert: FILE, key: FILE}");
    listen_tls_config t;
    for (std::size_t i = 0; i < certs.size(); ++i) {
      auto k = path + ".certificates[" + std::to_string(i) + "]";
      known_keys(certs[i], k, {"cert", "key"});
      if (!certs[i]["cert"] || !certs[i]["key"]) fail(certs[i], k, "needs both cert and key");
      t.certificates.push_back({get_path(certs[i]["cert"], k + ".cert"), get_path(certs[i]["key"], k + ".key"),
                                origin(certs[i], k)});
    }
    return t;
  }

  void upstream_extras(const YAML::Node& n, const std::string& path, upstream_config& u) const {
    if (auto b = n["balance"]) {
      auto s = scalar(b, path + ".balance");
      if (s == "round_robin") u.balance = balance_mode::round_robin;
      else if (s == "least_in_flight") u.balance = balance_mode::least_in_flight;
      else fail(b, path + ".balance", "must be round_robin or least_in_flight, got '" + s + "'");
    }
    if (auto v = n["fail_threshold"])
      u.fail_threshold = static_cast<unsigned>(get_uint(v, path + ".fail_threshold", 1, 1000));
    if (auto v = n["fail_backoff"]) u.fail_backoff = get_duration(v, path + ".fail_backoff");
    if (auto t = n["tls"]) {
      auto k = path + ".tls";
      u.tls.enabled = true;
      u.tls.origin = origin(t, k);
      if (t.IsNull()) return;  // `tls:` alone: verify against the system store
      known_keys(t, k, {"ca_file", "server_name", "insecure_skip_verify"});
      if (auto v = t["ca_file"]) u.tls.ca_file = get_path(v, k + ".ca_file");
      if (auto v = t["server_name"]) u.tls.server_name = scalar(v, k + ".server_name");
      if (auto v = t["insecure_skip_verify"]) u.tls.insecure_skip_verify = get_bool(v, k + ".insecure_skip_verify");
    }
  }

  void route_match(const YAML::Node& r, const std::string& path, route_config& rc) const {
    if (auto h = r["host"]) {
      rc.hosts = get_strings(h, path + ".host");
      for (const auto& x : rc.hosts)
        if (x.empty() || x.find_first_of(" /") != std::string::npos || (x.find('*') != std::string::npos && x.rfind("*.", 0) != 0) ||
            x.find('*', 1) != std::string::npos)
          fail(h, path + ".host", "bad host '" + x + "' (expected a.example.com, *.example.com or a.example.com:8443)");
    }
    if (auto m = r["methods"]) {
      rc.methods = get_strings(m, path + ".methods");
      if (rc.methods.empty()) fail(m, path + ".methods", "must list at least one method");
      for (const auto& x : rc.methods)
        if (x.empty() || x.find_first_of(" \t/:") != std::string::npos)
          fail(m, path + ".methods", "bad method '" + x + "'");
    }
    if (auto d = r["default"]) rc.is_default = get_bool(d, path + ".default");
  }

  // upstream_prefix / public_origin of a route (README "Prefix mounts").
  void prefix_mount(const YAML::Node& r, const std::string& path, route_config& rc) const {
    if (auto p = r["upstream_prefix"]) {
      rc.upstream_prefix = scalar(p, path + ".upstream_prefix");
      if (rc.upstream_prefix.empty() || rc.upstream_prefix.front() != '/')
        fail(p, path + ".upstream_prefix", "must start with /");
    }
    if (auto o = r["public_origin"]) {
      auto s = scalar(o, path + ".public_origin");
      auto scheme_end = s.find("://");
      auto scheme = s.substr(0, scheme_end == std::string::npos ? 0 : scheme_end);
      auto rest = scheme_end == std::string::npos ? std::string() : s.substr(scheme_end + 3);
      if ((scheme != "http" && scheme != "https") || rest.empty() ||
          rest.find_first_of("/?#@ ") != std::string::npos)
        fail(o, path + ".public_origin",
             "must be http://HOST[:PORT] or https://HOST[:PORT] without a path, got '" + s + "'");
      rc.public_origin = s;
    }
  }

  config top(const YAML::Node& root) const {
    config c;
    if (!root.IsDefined() || root.IsNull()) fail(root, "(top)", "the configuration is empty");
    known_keys(root, "", {"listen", "threads", "upstreams", "routes", "fronts", "interim", "timeouts",
                          "limits", "log", "via", "admin", "drain_timeout"});
    if (auto v = root["fronts"]) c.fronts = fronts(v);
    // Global sections first: routes inherit them.
    if (auto v = root["interim"]) c.interim = interim(v, "interim", c.interim);
    if (auto v = root["timeouts"]) c.timeouts = timeouts(v, "timeouts", c.timeouts);
    if (auto v = root["limits"]) {
      known_keys(v, "limits", {"max_header_bytes", "max_body_bytes", "max_connections",
                               "max_requests_per_connection", "max_request_line_bytes"});
      if (auto m = v["max_header_bytes"])
        c.limits.max_header_bytes = get_uint(m, "limits.max_header_bytes", 1024, 1 << 20);
      if (auto m = v["max_body_bytes"])
        c.limits.max_body_bytes = get_uint(m, "limits.max_body_bytes", 0, std::uint64_t(1) << 50);
      if (auto m = v["max_connections"])
        c.limits.max_connections = get_uint(m, "limits.max_connections", 0, 1000000);
      if (auto m = v["max_requests_per_connection"])
        c.limits.max_requests_per_connection = get_uint(m, "limits.max_requests_per_connection", 0, 100000000);
      if (auto m = v["max_request_line_bytes"])
        c.limits.max_request_line_bytes = get_uint(m, "limits.max_request_line_bytes", 256, 1 << 20);
    }
    if (auto v = root["drain_timeout"]) c.drain_timeout = get_duration(v, "drain_timeout");
    if (auto v = root["threads"]) c.threads = static_cast<unsigned>(get_uint(v, "threads", 0, 256));
    if (auto v = root["via"]) c.via = scalar(v, "via");
    if (auto v = root["log"]) {
      known_keys(v, "log", {"level", "access"});
      if (auto l = v["level"]) {
        c.log_level = scalar(l, "log.level");
        if (c.log_level != "debug" && c.log_level != "info" && c.log_level != "warn" && c.log_level != "error")
          fail(l, "log.level", "must be debug, info, warn or error");
      }
      if (auto a = v["access"]) {
        auto s = a.IsNull() ? std::string("off") : scalar(a, "log.access");
        if (s == "off" || s == "false") c.access_log = access_log_format::off;
        else if (s == "text") c.access_log = access_log_format::text;
        else if (s == "json") c.access_log = access_log_format::json;
        else fail(a, "log.access", "must be text, json or off");
      }
    }

    if (auto v = root["admin"]) {  // issue 5: admin listener
      known_keys(v, "admin", {"listen"});
      if (auto l = v["listen"]) c.admin.listen = get_endpoint(l, "admin.listen", true, true);
    }

    auto listen = root["listen"];
    if (!listen) fail(root, "listen", "missing (e.g. listen: [127.0.0.1:8080])");
    auto addrs = listen.IsScalar() ? std::vector<YAML::Node>{listen} : std::vector<YAML::Node>{};
    if (listen.IsSequence()) for (const auto& a : listen) addrs.push_back(a);
    if (addrs.empty()) fail(listen, "listen", "must list at least one address");
    for (std::size_t i = 0; i < addrs.size(); ++i) {
      auto key = "listen[" + std::to_string(i) + "]";
      if (addrs[i].IsMap()) {  // {address: IP:PORT, tls: {...}}
        known_keys(addrs[i], key, {"address", "tls"});
        if (!addrs[i]["address"]) fail(addrs[i], key + ".address", "missing");
        c.listen.push_back(get_endpoint(addrs[i]["address"], key + ".address", true, true));
        c.listen_tls.push_back(addrs[i]["tls"] ? listen_tls(addrs[i]["tls"], key + ".tls") : listen_tls_config{});
        continue;
      }
      c.listen.push_back(get_endpoint(addrs[i], key, true, true));
      c.listen_tls.emplace_back();
    }

    auto ups = root["upstreams"];
    if (!ups) fail(root, "upstreams", "missing (e.g. upstreams: {app: {servers: [127.0.0.1:8081]}})");
    if (!ups.IsMap() || ups.size() == 0) fail(ups, "upstreams", "must map names to {servers: [...]}");
    for (const auto& kv : ups) {
      upstream_config u;
      u.name = kv.first.as<std::string>();
      auto path = "upstreams." + u.name;
      known_keys(kv.second, path, {"servers", "balance", "fail_threshold", "fail_backoff", "tls"});
      upstream_extras(kv.second, path, u);
      auto s = kv.second["servers"];
      if (!s) fail(kv.second, path + ".servers", "missing");
      auto list = s.IsScalar() ? std::vector<YAML::Node>{s} : std::vector<YAML::Node>{};
      if (s.IsSequence()) for (const auto& a : s) list.push_back(a);
      if (list.empty()) fail(s, path + ".servers", "must list at least one HOST:PORT");
      for (std::size_t i = 0; i < list.size(); ++i)
        u.servers.push_back(get_endpoint(list[i], path + ".servers[" + std::to_string(i) + "]", false, false));
      c.upstreams.push_back(std::move(u));
    }

    auto routes = root["routes"];
    if (!routes) fail(root, "routes", "missing (e.g. routes: [{path_prefix: /, upstream: app}])");
    if (!routes.IsSequence() || routes.size() == 0) fail(routes, "routes", "must be a non-empty list");
    for (std::size_t i = 0; i < routes.size(); ++i) {
      auto path = "routes[" + std::to_string(i) + "]";
      const auto& r = routes[i];
      known_keys(r, path, {"host", "methods", "default", "path_prefix", "upstream", "interim", "timeouts",
                           "upstream_prefix", "public_origin"});
      route_config rc;
      route_match(r, path, rc);
      if (rc.is_default && std::any_of(c.routes.begin(), c.routes.end(), [](const route_config& x) { return x.is_default; }))
        fail(r["default"], path + ".default", "only one route can be the default");
      rc.interim = c.interim;
      rc.timeouts = c.timeouts;
      if (auto p = r["path_prefix"]) {
        rc.path_prefix = scalar(p, path + ".path_prefix");
        if (rc.path_prefix.empty() || rc.path_prefix.front() != '/')
          fail(p, path + ".path_prefix", "must start with /");
      }
      auto u = r["upstream"];
      if (!u) fail(r, path + ".upstream", "missing");
      rc.upstream = scalar(u, path + ".upstream");
      auto it = std::find_if(c.upstreams.begin(), c.upstreams.end(),
                             [&](const upstream_config& x) { return x.name == rc.upstream; });
      if (it == c.upstreams.end()) fail(u, path + ".upstream", "no upstream named '" + rc.upstream + "'");
      rc.upstream_index = static_cast<std::size_t>(it - c.upstreams.begin());
      if (auto v = r["interim"]) rc.interim = interim(v, path + ".interim", c.interim);
      if (auto v = r["timeouts"]) rc.timeouts = timeouts(v, path + ".timeouts", c.timeouts);
      prefix_mount(r, path, rc);
      c.routes.push_back(std::move(rc));
    }
    return c;
  }
};

}  // namespace

config parse_config(std::string_view text, std::string_view source) {
  parser p{std::string(source)};
  YAML::Node root;
  try {
    root = YAML::Load(std::string(text));
  } catch (const YAML::Exception& e) {
    throw config_error(p.source + ":" + std::to_string(e.mark.line + 1) + ": YAML syntax: " + e.msg);
  }
  try {
    return p.top(root);
  } catch (const YAML::Exception& e) {  // e.g. a key that is not a scalar
    throw config_error(p.source + ":" + std::to_string(e.mark.line + 1) + ": " + e.msg);
  }
}

config load_config(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) throw config_error(path + ": cannot open the file");
  std::ostringstream ss;
  ss << in.rdbuf();
  return parse_config(ss.str(), path);
}

}  // namespace holdon
