// route_table: pure. Request target -> the first route whose path prefix matches.
#pragma once
#include <string>
#include <string_view>
#include <vector>

#include "holdon/config.hpp"

namespace holdon {

// The path of a request target in origin-form ("/a/b?q") or absolute-form
// ("http://h/a/b?q" -> "/a/b?q", "http://h?q" -> "/?q"); "*" (OPTIONS) stays "*".
std::string target_path(std::string_view target);

// A prefix "/dav" matches "/dav", "/dav/x" and "/dav?q" but not "/davx";
// a prefix ending in "/" matches everything below it.
bool prefix_matches(std::string_view prefix, std::string_view path);

// First match wins; nullptr when no route matches (the client gets 404).
const route_config* match_route(const std::vector<route_config>& routes, std::string_view target);

}  // namespace holdon
