#include "holdon/env_overrides.hpp"

#include <boost/asio/ip/address.hpp>
#include <charconv>
#include <cstdlib>

namespace holdon {
namespace {

[[noreturn]] void bad(std::string_view name, const std::string& what) {
  throw config_error("environment " + std::string(name) + ": " + what);
}

std::vector<std::string> split_list(std::string_view s) {
  std::vector<std::string> out;
  while (!s.empty()) {
    auto comma = s.find(',');
    auto item = s.substr(0, comma);
    while (!item.empty() && item.front() == ' ') item.remove_prefix(1);
    while (!item.empty() && item.back() == ' ') item.remove_suffix(1);
    if (!item.empty()) out.emplace_back(item);
    if (comma == std::string_view::npos) break;
    s.remove_prefix(comma + 1);
  }
  return out;
}

endpoint_spec endpoint(std::string_view name, const std::string& text, bool must_be_ip, bool allow_port0) {
  auto e = parse_endpoint(text);
  if (!e) bad(name, "bad address '" + text + "' (expected HOST:PORT or [IPv6]:PORT)");
  if (e->port == 0 && !allow_port0) bad(name, "bad address '" + text + "': port 0");
  if (must_be_ip) {
    boost::system::error_code ec;
    boost::asio::ip::make_address(e->host, ec);
    if (ec) bad(name, "bad address '" + text + "': needs an IP address");
  }
  return *e;
}

// HOLDON_UPSTREAM=HOST:PORT[,HOST:PORT...] for the only upstream, or NAME=... for a named one.
void override_upstream(config& c, const std::string& v) {
  std::string servers = v;
  upstream_config* target = nullptr;
  auto eq = v.find('=');
  if (eq != std::string::npos) {
    auto name = v.substr(0, eq);
    servers = v.substr(eq + 1);
    for (auto& u : c.upstreams)
      if (u.name == name) target = &u;
    if (!target) bad("HOLDON_UPSTREAM", "no upstream named '" + name + "' in the configuration");
  } else {
    if (c.upstreams.size() != 1)
      bad("HOLDON_UPSTREAM", "the configuration has " + std::to_string(c.upstreams.size()) +
                                 " upstreams: use NAME=HOST:PORT");
    target = &c.upstreams.front();
  }
  auto list = split_list(servers);
  if (list.empty()) bad("HOLDON_UPSTREAM", "must list at least one HOST:PORT");
  target->servers.clear();
  for (const auto& a : list) target->servers.push_back(endpoint("HOLDON_UPSTREAM", a, false, false));
}

}  // namespace

std::vector<std::string> apply_env_overrides(config& c, const env_lookup& env) {
  std::vector<std::string> applied;
  auto get = [&](const char* name) -> std::optional<std::string> {
    auto v = env(name);
    if (!v || v->empty()) return std::nullopt;
    applied.emplace_back(name);
    return v;
  };

  if (auto v = get("HOLDON_LISTEN")) {
    auto list = split_list(*v);
    if (list.empty()) bad("HOLDON_LISTEN", "must list at least one address");
    c.listen.clear();
    for (const auto& a : list) c.listen.push_back(endpoint("HOLDON_LISTEN", a, true, true));
    c.listen_tls.assign(c.listen.size(), {});  // plain HTTP: the file's TLS listeners are replaced too
  }
  if (auto v = get("HOLDON_UPSTREAM")) override_upstream(c, *v);
  if (auto v = get("HOLDON_ADMIN_LISTEN")) {
    if (*v == "off") c.admin.listen.reset();
    else c.admin.listen = endpoint("HOLDON_ADMIN_LISTEN", *v, true, true);
  }
  if (auto v = get("HOLDON_LOG_FORMAT")) {
    if (*v == "json") c.access_log = access_log_format::json;
    else if (*v == "text") c.access_log = access_log_format::text;
    else if (*v == "off") c.access_log = access_log_format::off;
    else bad("HOLDON_LOG_FORMAT", "must be json, text or off, got '" + *v + "'");
  }
  if (auto v = get("HOLDON_LOG_LEVEL")) {
    if (*v != "debug" && *v != "info" && *v != "warn" && *v != "error")
      bad("HOLDON_LOG_LEVEL", "must be debug, info, warn or error, got '" + *v + "'");
    c.log_level = *v;
  }
  if (auto v = get("HOLDON_THREADS")) {
    unsigned n = 0;
    auto [end, ec] = std::from_chars(v->data(), v->data() + v->size(), n);
    if (ec != std::errc{} || end != v->data() + v->size() || n > 256)
      bad("HOLDON_THREADS", "must be a whole number from 0 to 256, got '" + *v + "'");
    c.threads = n;
  }
  return applied;
}

env_lookup process_env() {
  return [](std::string_view name) -> std::optional<std::string> {
    const char* v = std::getenv(std::string(name).c_str());
    if (!v) return std::nullopt;
    return std::string(v);
  };
}

}  // namespace holdon
