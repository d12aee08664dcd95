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

// First match wins; nullptr when no route matches (the client gets 404). Path only:
// ignores the routes' hosts and methods (see select_route).
const route_config* match_route(const std::vector<route_config>& routes, std::string_view target);

// The host a request is for, lower-case, port kept: the authority of an absolute-form
// target (RFC 9112 §3.2.2: it wins over Host), else the Host header.
std::string request_host(std::string_view host_header, std::string_view target);

// Host pattern vs request host, case-insensitive, a trailing dot ignored. "a.example"
// matches "a.example" on any port; "*.example" matches "x.example" and "x.y.example" but
// not "example"; a pattern with a port ("a.example:8443") needs that port in the host.
bool host_matches(std::string_view pattern, std::string_view host);

// The route for a request: the first whose hosts (any, if none), methods (exact tokens;
// any, if none) and path prefix all match; else the route marked default; else nullptr.
const route_config* select_route(const std::vector<route_config>& routes, std::string_view host,
                                 std::string_view method, std::string_view target);

}  // namespace holdon
