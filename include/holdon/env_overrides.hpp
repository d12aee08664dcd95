// env_overrides: pure. Environment variables that override common settings after the YAML
// is loaded, so one image serves many deployments (Docker, Compose, Kubernetes) without a
// config file per instance. Values in (a lookup function), values out (the changed config).
//
//   HOLDON_LISTEN=0.0.0.0:8080[,[::]:8080]   replaces listen
//   HOLDON_UPSTREAM=HOST:PORT[,HOST:PORT]     replaces the servers of the only upstream
//   HOLDON_UPSTREAM=NAME=HOST:PORT[,...]      replaces the servers of upstream NAME
//   HOLDON_ADMIN_LISTEN=0.0.0.0:9901 | off    sets or removes admin.listen
//   HOLDON_LOG_FORMAT=json|text|off           log.access
//   HOLDON_LOG_LEVEL=debug|info|warn|error    log.level
//   HOLDON_THREADS=N                          threads (0: one per core)
// An empty or unset variable changes nothing. A bad value throws config_error naming it.
#pragma once
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "holdon/config.hpp"

namespace holdon {

using env_lookup = std::function<std::optional<std::string>(std::string_view name)>;

// Returns the names of the variables that were applied (for a start-up log line).
std::vector<std::string> apply_env_overrides(config& c, const env_lookup& env);

env_lookup process_env();  // std::getenv

}  // namespace holdon
