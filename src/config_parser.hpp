// config_parser: the YAML walker behind parse_config, private to config.cpp (the primitives
// and the top level) and config_sections.cpp (the sections made of entries: interim, fronts,
// upstreams, routes). Every error it throws is config_error "SOURCE:LINE: key.path: what".
#pragma once
#include <yaml-cpp/yaml.h>

#include <cstdint>
#include <initializer_list>
#include <string>
#include <string_view>
#include <vector>

#include "holdon/config.hpp"

namespace holdon::config_detail {

struct parser {
  std::string source;

  // ---- primitives (config.cpp): key paths, errors, typed scalars
  [[noreturn]] void fail(const YAML::Node& at, const std::string& key, const std::string& what) const;
  void known_keys(const YAML::Node& map, const std::string& path, std::initializer_list<std::string_view> keys) const;
  static std::string join(const std::string& path, std::string_view key);
  std::string origin(const YAML::Node& n, const std::string& key) const;  // "SOURCE:LINE: key"
  std::string scalar(const YAML::Node& n, const std::string& key) const;
  duration get_duration(const YAML::Node& n, const std::string& key) const;
  duration get_positive_duration(const YAML::Node& n, const std::string& key) const;
  std::uint64_t get_uint(const YAML::Node& n, const std::string& key, std::uint64_t lo, std::uint64_t hi) const;
  bool get_bool(const YAML::Node& n, const std::string& key) const;
  std::string get_path(const YAML::Node& n, const std::string& key) const;
  interim_mode get_mode(const YAML::Node& n, const std::string& key) const;
  std::vector<std::string> get_strings(const YAML::Node& n, const std::string& key) const;
  endpoint_spec get_endpoint(const YAML::Node& n, const std::string& key, bool must_be_ip, bool allow_port0) const;

  // ---- the top level and its one-mapping sections (config.cpp), in the order top() reads them
  config top(const YAML::Node& root) const;
  // `route`: the section of a route, which must not set what applies before routing.
  timeouts_config timeouts(const YAML::Node& n, const std::string& path, timeouts_config t, bool route) const;
  limits_config limits(const YAML::Node& n) const;
  void log(const YAML::Node& n, config& c) const;
  admin_config admin(const YAML::Node& n) const;
  void listen(const YAML::Node& root, config& c) const;
  listen_tls_config listen_tls(const YAML::Node& n, const std::string& path) const;

  // ---- sections made of entries (config_sections.cpp)
  interim_config interim(const YAML::Node& n, const std::string& path, interim_config c) const;
  std::vector<user_agent_cap> user_agent_caps(const YAML::Node& v, const std::string& key) const;
  std::vector<front_config> fronts(const YAML::Node& n) const;
  front_config front(const YAML::Node& f, const std::string& path) const;
  void upstreams(const YAML::Node& root, config& c) const;
  void upstream_extras(const YAML::Node& n, const std::string& path, upstream_config& u) const;
  void routes(const YAML::Node& root, config& c) const;  // after upstreams: routes name them
  route_config route(const YAML::Node& r, const std::string& path, const config& c) const;
  void route_match(const YAML::Node& r, const std::string& path, route_config& rc) const;
  void prefix_mount(const YAML::Node& r, const std::string& path, route_config& rc) const;
};

}  // namespace holdon::config_detail
