#include "holdon/route_table.hpp"

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

}  // namespace holdon
