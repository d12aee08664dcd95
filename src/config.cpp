// config: YAML -> plain structs. Every error names the source, the line and the key path.
#include "holdon/config.hpp"

#include <algorithm>
#include <boost/asio/ip/address.hpp>
#include <charconv>
#include <fstream>
#include <sstream>

#include "config_parser.hpp"

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

namespace config_detail {

// ---------------------------------------------------------------- primitives

void parser::fail(const YAML::Node& at, const std::string& key, const std::string& what) const {
  std::ostringstream os;
  os << source;
  if (at.IsDefined() && !at.Mark().is_null()) os << ':' << at.Mark().line + 1;
  os << ": " << key << ": " << what;
  throw config_error(os.str());
}

void parser::known_keys(const YAML::Node& map, const std::string& path,
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

std::string parser::join(const std::string& path, std::string_view key) {
  return path.empty() ? std::string(key) : path + "." + std::string(key);
}

std::string parser::origin(const YAML::Node& n, const std::string& key) const {
  auto line = n.IsDefined() && !n.Mark().is_null() ? ":" + std::to_string(n.Mark().line + 1) : "";
  return source + line + ": " + key;
}

std::string parser::scalar(const YAML::Node& n, const std::string& key) const {
  if (!n.IsScalar()) fail(n, key, n.IsSequence() ? "must be a single value, not a list" : "must be a single value, not a mapping");
  return n.Scalar();
}

duration parser::get_duration(const YAML::Node& n, const std::string& key) const {
  auto s = scalar(n, key);
  auto d = parse_duration(s);
  if (!d) fail(n, key, "bad duration '" + s + "' (use a whole number with ms, s, m or h, e.g. 500ms)");
  return *d;
}

duration parser::get_positive_duration(const YAML::Node& n, const std::string& key) const {
  auto d = get_duration(n, key);
  if (d.count() == 0) fail(n, key, "must be more than 0");
  return d;
}

std::uint64_t parser::get_uint(const YAML::Node& n, const std::string& key, std::uint64_t lo,
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

bool parser::get_bool(const YAML::Node& n, const std::string& key) const {
  auto s = scalar(n, key);
  if (s == "true") return true;
  if (s == "false") return false;
  fail(n, key, "must be true or false, got '" + s + "'");
}

std::string parser::get_path(const YAML::Node& n, const std::string& key) const {
  auto s = scalar(n, key);
  if (s.empty()) fail(n, key, "must name a file");
  return s;
}

interim_mode parser::get_mode(const YAML::Node& m, const std::string& key) const {
  auto s = scalar(m, key);
  if (s == "auto") return interim_mode::auto_;
  if (s == "always") return interim_mode::always;
  if (s == "never") return interim_mode::never;
  fail(m, key, "must be auto, always or never, got '" + s + "'");
}

std::vector<std::string> parser::get_strings(const YAML::Node& n, const std::string& key) const {
  std::vector<std::string> out;
  if (n.IsScalar()) return {n.Scalar()};
  if (!n.IsSequence()) fail(n, key, "must be a list");
  for (std::size_t i = 0; i < n.size(); ++i)
    out.push_back(scalar(n[i], key + "[" + std::to_string(i) + "]"));
  return out;
}

endpoint_spec parser::get_endpoint(const YAML::Node& n, const std::string& key, bool must_be_ip,
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

// ---------------------------------------------------------------- the top level

config parser::top(const YAML::Node& root) const {
  config c;
  if (!root.IsDefined() || root.IsNull()) fail(root, "(top)", "the configuration is empty");
  known_keys(root, "", {"listen", "threads", "upstreams", "routes", "fronts", "interim", "timeouts",
                        "limits", "log", "via", "admin", "drain_timeout"});
  if (auto v = root["fronts"]) c.fronts = fronts(v);
  // Global sections first: routes inherit them.
  if (auto v = root["interim"]) c.interim = interim(v, "interim", c.interim);
  if (auto v = root["timeouts"]) c.timeouts = timeouts(v, "timeouts", c.timeouts, false);
  if (auto v = root["limits"]) c.limits = limits(v);
  if (auto v = root["drain_timeout"]) c.drain_timeout = get_duration(v, "drain_timeout");
  if (auto v = root["threads"]) c.threads = static_cast<unsigned>(get_uint(v, "threads", 0, 256));
  if (auto v = root["via"]) c.via = scalar(v, "via");
  if (auto v = root["log"]) log(v, c);
  if (auto v = root["admin"]) c.admin = admin(v);
  listen(root, c);
  upstreams(root, c);
  routes(root, c);
  return c;
}

timeouts_config parser::timeouts(const YAML::Node& n, const std::string& path, timeouts_config t,
                                 bool route) const {
  known_keys(n, path, {"connect", "client_header", "idle", "upstream_response"});
  // The head is read before a route can be chosen, so only the global value can apply.
  if (auto v = n["client_header"]; route && v)
    fail(v, join(path, "client_header"),
         "applies to the whole connection before any route is chosen; set it under the global timeouts");
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

limits_config parser::limits(const YAML::Node& v) const {
  limits_config l;
  known_keys(v, "limits", {"max_header_bytes", "max_body_bytes", "max_connections",
                           "max_requests_per_connection", "max_request_line_bytes"});
  if (auto m = v["max_header_bytes"]) l.max_header_bytes = get_uint(m, "limits.max_header_bytes", 1024, 1 << 20);
  if (auto m = v["max_body_bytes"])
    l.max_body_bytes = get_uint(m, "limits.max_body_bytes", 0, std::uint64_t(1) << 50);
  if (auto m = v["max_connections"]) l.max_connections = get_uint(m, "limits.max_connections", 0, 1000000);
  if (auto m = v["max_requests_per_connection"])
    l.max_requests_per_connection = get_uint(m, "limits.max_requests_per_connection", 0, 100000000);
  if (auto m = v["max_request_line_bytes"])
    l.max_request_line_bytes = get_uint(m, "limits.max_request_line_bytes", 256, 1 << 20);
  return l;
}

void parser::log(const YAML::Node& v, config& c) const {
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

// The admin listener (/healthz, /readyz, /metrics) on an address of its own.
admin_config parser::admin(const YAML::Node& v) const {
  admin_config a;
  known_keys(v, "admin", {"listen"});
  if (auto l = v["listen"]) a.listen = get_endpoint(l, "admin.listen", true, true);
  return a;
}

// listen: an address, or a list of addresses and {address: IP:PORT, tls: {...}} entries.
void parser::listen(const YAML::Node& root, config& c) const {
  auto listen = root["listen"];
  if (!listen) fail(root, "listen", "missing (e.g. listen: [127.0.0.1:8080])");
  auto addrs = listen.IsScalar() ? std::vector<YAML::Node>{listen} : std::vector<YAML::Node>{};
  if (listen.IsSequence()) for (const auto& a : listen) addrs.push_back(a);
  if (addrs.empty()) fail(listen, "listen", "must list at least one address");
  for (std::size_t i = 0; i < addrs.size(); ++i) {
    auto key = "listen[" + std::to_string(i) + "]";
    if (addrs[i].IsMap()) {
      known_keys(addrs[i], key, {"address", "tls"});
      if (!addrs[i]["address"]) fail(addrs[i], key + ".address", "missing");
      c.listen.push_back(get_endpoint(addrs[i]["address"], key + ".address", true, true));
      c.listen_tls.push_back(addrs[i]["tls"] ? listen_tls(addrs[i]["tls"], key + ".tls") : listen_tls_config{});
      continue;
    }
    c.listen.push_back(get_endpoint(addrs[i], key, true, true));
    c.listen_tls.emplace_back();
  }
}

// TLS termination on one listen address: its certificates, SNI picks among them.
listen_tls_config parser::listen_tls(const YAML::Node& n, const std::string& path) const {
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

}  // namespace config_detail

config parse_config(std::string_view text, std::string_view source) {
  config_detail::parser p{std::string(source)};
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
