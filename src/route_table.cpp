#include "holdon/route_table.hpp"

namespace holdon {

std::string_view target_path(std::string_view t) {
  if (t.empty() || t.front() == '/' || t == "*") return t;
  auto scheme = t.find("://");
  if (scheme == std::string_view::npos) return t;
  auto slash = t.find('/', scheme + 3);
  return slash == std::string_view::npos ? std::string_view("/") : t.substr(slash);
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
