// Helpers shared by config_test.cpp and config_routes_test.cpp (documents that parse) and
// config_errors_test.cpp (documents that are refused).
#pragma once

#include <algorithm>
#include <initializer_list>
#include <string>
#include <string_view>
#include <vector>

#include "holdon/config.hpp"

namespace config_test {

// Joins lines with "\n", so a document's line N is element N-1 of the list.
inline std::string yaml(std::initializer_list<std::string_view> lines) {
  std::string s;
  for (auto l : lines) {
    s += l;
    s += '\n';
  }
  return s;
}

// The config_error message for a document that must be rejected. Any other exception
// type escapes and fails the test: every config problem must surface as config_error.
inline std::string error_of(const std::string& text) {
  try {
    holdon::parse_config(text, "t.yaml");
  } catch (const holdon::config_error& e) {
    return e.what();
  }
  return "<parsed without error>";
}

inline bool contains(std::string_view haystack, std::string_view needle) {
  return haystack.find(needle) != std::string_view::npos;
}

inline bool has(const std::vector<std::string>& list, std::string_view s) {
  return std::find(list.begin(), list.end(), s) != list.end();
}

// The smallest valid document: the three required keys.
inline const std::string minimal = yaml({
    "listen: [127.0.0.1:8080]",
    "upstreams:",
    "  dav: {servers: [127.0.0.1:8081]}",
    "routes:",
    "  - {path_prefix: /, upstream: dav}",
});

// An upstream `app` and a catch-all route to it, as lines of a document.
inline constexpr std::string_view ups7 = "upstreams: {app: {servers: [127.0.0.1:8081]}}";
inline constexpr std::string_view routes7 = "routes: [{upstream: app}]";

// The base document of the hardening limits cases.
inline const std::string hardening_base =
    "listen: [127.0.0.1:8080]\nupstreams:\n  app: {servers: [127.0.0.1:8081]}\nroutes:\n  - {upstream: app}\n";

}  // namespace config_test
