#include "holdon/route_table.hpp"

#include <algorithm>
#include <cctype>

namespace holdon {

std::string target_path(std::string_view t) {
  if (t.empty() || t.front() == '/' || t == "*") return std::string(t);
  auto scheme = t.find("://");
  if (scheme == std::string_view::npos) return std::string(t);
  auto rest = t.substr(scheme + 3);
  auto end = rest.find_first_of("/?#");  // the authority ends here, whatever follows
  if (end == std::string_view::npos || rest[end] == '#') return "/";
  if (rest[end] == '?') return "/" + std::string(rest.substr(end));
  return std::string(rest.substr(end));
}

bool prefix_matches(std::string_view prefix, std::string_view path) {
  if (prefix == "/") return true;
  if (path.substr(0, prefix.size()) != prefix) return false;
  if (prefix.back() == '/' || path.size() == prefix.size()) return true;
  char next = path[prefix.size()];
  return next == '/' || next == '?';
}

const route_config* match_route(const std::vector<route_config>& routes, std::string_view target) {
  auto path = target_path(target);
  for (const auto& r : routes)
    if (prefix_matches(r.path_prefix, path)) return &r;
  return nullptr;
}

namespace {
std::string lower(std::string_view s) {
  std::string o(s);
  for (auto& c : o) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return o;
}

// "h:1" -> {"h", "1"}; "[::1]:1" -> {"[::1]", "1"}; "h" -> {"h", ""}; a trailing dot goes.
std::pair<std::string_view, std::string_view> split_host_port(std::string_view h) {
  std::string_view name = h, port;
  if (!h.empty() && h.front() == '[') {
    auto close = h.find(']');
    if (close != std::string_view::npos) {
      name = h.substr(0, close + 1);
      if (close + 1 < h.size() && h[close + 1] == ':') port = h.substr(close + 2);
    }
  } else if (auto colon = h.rfind(':'); colon != std::string_view::npos && h.find(':') == colon) {
    name = h.substr(0, colon);
    port = h.substr(colon + 1);
  }
  if (name.size() > 1 && name.back() == '.') name.remove_suffix(1);
  return {name, port};
}
}  // namespace

std::string request_host(std::string_view host_header, std::string_view target) {
  if (auto scheme = target.find("://"); !target.empty() && target.front() != '/' && scheme != std::string_view::npos) {
    auto rest = target.substr(scheme + 3);
    auto authority = rest.substr(0, rest.find_first_of("/?#"));
    if (auto at = authority.rfind('@'); at != std::string_view::npos) authority.remove_prefix(at + 1);
    if (!authority.empty()) return lower(authority);
  }
  return lower(host_header);
}

bool host_matches(std::string_view pattern, std::string_view host) {
  auto p = lower(pattern);
  auto h = lower(host);
  auto [pname, pport] = split_host_port(p);
  auto [hname, hport] = split_host_port(h);
  if (!pport.empty() && pport != hport) return false;
  if (pname.size() > 2 && pname.substr(0, 2) == "*.") {
    auto suffix = pname.substr(1);  // ".example.com"
    return hname.size() > suffix.size() && hname.substr(hname.size() - suffix.size()) == suffix;
  }
  return pname == hname;
}

const route_config* select_route(const std::vector<route_config>& routes, std::string_view host,
                                 std::string_view method, std::string_view target) {
  std::string absolute;  // only an absolute-form target needs its path made
  std::string_view path = target;
  if (!target.empty() && target.front() != '/') path = absolute = target_path(target);
  const route_config* fallback = nullptr;
  for (const auto& r : routes) {
    if (r.is_default && !fallback) fallback = &r;
    if (!r.hosts.empty() &&
        std::none_of(r.hosts.begin(), r.hosts.end(), [&](const std::string& p) { return host_matches(p, host); }))
      continue;
    if (!r.methods.empty() && std::find(r.methods.begin(), r.methods.end(), method) == r.methods.end()) continue;
    if (prefix_matches(r.path_prefix, path)) return &r;
  }
  return fallback;
}

}  // namespace holdon
