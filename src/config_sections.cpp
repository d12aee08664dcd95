// config_sections: the configuration sections made of entries (interim and its user-agent
// caps, fronts, upstreams, routes), each entry read by a function of its own. The primitives
// and the top level are in config.cpp.
#include <algorithm>

#include "config_parser.hpp"
#include "holdon/front.hpp"

namespace holdon::config_detail {

// ---------------------------------------------------------------- interim

interim_config parser::interim(const YAML::Node& n, const std::string& path, interim_config c) const {
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
  if (auto v = n["user_agent_caps"]) c.user_agent_caps = user_agent_caps(v, join(path, "user_agent_caps"));
  return c;
}

// Replaces the whole list (the built-in caps included), like allow_user_agents does.
std::vector<user_agent_cap> parser::user_agent_caps(const YAML::Node& v, const std::string& key) const {
  if (!v.IsSequence()) fail(v, key, "must be a list of {match: TEXT, max: N}");
  std::vector<user_agent_cap> caps;
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
    caps.push_back({scalar(v[i]["match"], k + ".match"),
                    static_cast<unsigned>(get_uint(v[i]["max"], k + ".max", 0, 100000)), before});
  }
  return caps;
}

// ---------------------------------------------------------------- fronts

// fronts: the proxies in front of holdon, by peer address (README "Where to put holdon").
std::vector<front_config> parser::fronts(const YAML::Node& n) const {
  if (!n.IsSequence()) fail(n, "fronts", "must be a list of {addresses: [IP or CIDR, ...], kind: KIND}");
  std::vector<front_config> out;
  for (std::size_t i = 0; i < n.size(); ++i) out.push_back(front(n[i], "fronts[" + std::to_string(i) + "]"));
  return out;
}

front_config parser::front(const YAML::Node& f, const std::string& path) const {
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
  return fc;
}

// ---------------------------------------------------------------- upstreams

void parser::upstreams(const YAML::Node& root, config& c) const {
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
}

// Balancing, passive health (fail_threshold, fail_backoff) and TLS to the servers.
void parser::upstream_extras(const YAML::Node& n, const std::string& path, upstream_config& u) const {
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

// ---------------------------------------------------------------- routes

void parser::routes(const YAML::Node& root, config& c) const {
  auto routes = root["routes"];
  if (!routes) fail(root, "routes", "missing (e.g. routes: [{path_prefix: /, upstream: app}])");
  if (!routes.IsSequence() || routes.size() == 0) fail(routes, "routes", "must be a non-empty list");
  for (std::size_t i = 0; i < routes.size(); ++i)
    c.routes.push_back(route(routes[i], "routes[" + std::to_string(i) + "]", c));
}

// One route, merged with the global interim and timeouts; `c` holds the routes before it.
route_config parser::route(const YAML::Node& r, const std::string& path, const config& c) const {
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
    if (rc.path_prefix.empty() || rc.path_prefix.front() != '/') fail(p, path + ".path_prefix", "must start with /");
  }
  auto u = r["upstream"];
  if (!u) fail(r, path + ".upstream", "missing");
  rc.upstream = scalar(u, path + ".upstream");
  auto it = std::find_if(c.upstreams.begin(), c.upstreams.end(),
                         [&](const upstream_config& x) { return x.name == rc.upstream; });
  if (it == c.upstreams.end()) fail(u, path + ".upstream", "no upstream named '" + rc.upstream + "'");
  rc.upstream_index = static_cast<std::size_t>(it - c.upstreams.begin());
  if (auto v = r["interim"]) rc.interim = interim(v, path + ".interim", c.interim);
  if (auto v = r["timeouts"]) rc.timeouts = timeouts(v, path + ".timeouts", c.timeouts, true);
  prefix_mount(r, path, rc);
  return rc;
}

// host, methods and default: which requests the route takes besides its path prefix.
void parser::route_match(const YAML::Node& r, const std::string& path, route_config& rc) const {
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
void parser::prefix_mount(const YAML::Node& r, const std::string& path, route_config& rc) const {
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

}  // namespace holdon::config_detail
