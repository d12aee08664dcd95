// prefix_mount: pure. Maps paths and URLs between the public side of a route (its
// path_prefix, and public_origin when clients reach holdon by another name, port or scheme)
// and the upstream side (upstream_prefix, the upstream's own address). Used on request
// targets, Destination and If headers going up and on Location, Content-Location and
// multistatus hrefs coming down (README "Prefix mounts").
//
// Prefix matching works on decoded characters ("/my%20files/x" is under "/my files/") and
// follows route matching: "/dav" matches "/dav", "/dav/x", "/dav?q"; "/dav/" all below it.
// Prefixes are written percent-encoded where a URL needs it.
#pragma once
#include <optional>
#include <string>
#include <string_view>

#include "holdon/config.hpp"
#include "holdon/http_head.hpp"

namespace holdon {

struct prefix_mount {
  std::string_view public_prefix;    // the route's path_prefix
  std::string_view upstream_prefix;  // empty: paths are the same on both sides
  std::string_view public_origin;    // "https://files.example.com"; empty: none
  // Any rewriting at all for this route (otherwise holdon forwards these fields untouched).
  bool active() const { return !upstream_prefix.empty() || !public_origin.empty(); }
};

prefix_mount mount_of(const route_config& r);

// Length of path's leading part that matches prefix (decoding %XX in path), or nullopt.
std::optional<std::size_t> match_prefix(std::string_view prefix, std::string_view path);

// prefix (percent-encoded where needed) + rest, with exactly one "/" at the seam.
std::string join_path(std::string_view prefix, std::string_view rest);

// Origin-form path (query included) from the client -> the upstream's; unchanged if not mapped.
std::string path_to_upstream(const prefix_mount& m, std::string_view path);
// Upstream path -> public path; nullopt if it lies outside upstream_prefix.
std::optional<std::string> path_to_public(const prefix_mount& m, std::string_view path);

// "scheme://authority/path" or "/path". scheme and authority empty for a bare path.
struct url_parts {
  std::string_view scheme, authority, path;  // path keeps its query; "" becomes "/"
};
std::optional<url_parts> split_url(std::string_view url);

// Same scheme and host:port, ignoring case and a default port (:80 http, :443 https).
bool same_origin(std::string_view scheme_a, std::string_view auth_a, std::string_view scheme_b,
                 std::string_view auth_b);

// A URL the client sent (Destination, a resource tag of If) -> the URL the upstream must
// see: "http://UPSTREAM/mapped-path". Applies to bare paths and to URLs naming holdon (the
// request's Host over http, public_origin, or the upstream itself); a URL naming any other
// server is returned unchanged (the upstream then refuses a cross-server COPY, as it should).
// client_scheme / upstream_scheme: "https" when the client / the upstream speaks TLS.
std::string url_to_upstream(const prefix_mount& m, std::string_view url, std::string_view request_host,
                            std::string_view upstream_authority, std::string_view client_scheme = "http",
                            std::string_view upstream_scheme = "http");

// A URL the upstream sent (Location, Content-Location, href) -> the URL for the client.
// Bare paths stay bare; absolute URLs naming the upstream or the request's Host get
// public_origin (if set). Anything outside upstream_prefix or naming another server: unchanged.
std::string url_to_public(const prefix_mount& m, std::string_view url, std::string_view request_host,
                          std::string_view upstream_authority, std::string_view client_scheme = "http",
                          std::string_view upstream_scheme = "http");

// If header (RFC 4918 §10.4): every resource tag <URL> outside parentheses goes through
// url_to_upstream; state tokens and entity tags are untouched.
std::string if_header_to_upstream(const prefix_mount& m, std::string_view value,
                                  std::string_view request_host, std::string_view upstream_authority,
                                  std::string_view client_scheme = "http", std::string_view upstream_scheme = "http");

// Both sides of one exchange under a mount: the request's Host, the upstream server's
// authority, and the scheme each side speaks.
struct mount_sides {
  std::string_view request_host;
  std::string_view upstream_authority;
  std::string_view client_scheme = "http", upstream_scheme = "http";
};

// The request's fields for the upstream: Destination and the resource tags of If name the
// public side, the upstream must see its own origin and prefix (or it refuses COPY/MOVE with
// 502 and lock checks with 412). Mapped from the client's values, so that a head written again
// for another server is right; only fields still in `to_upstream` are set.
void map_request_fields(const prefix_mount& m, const mount_sides& sides, const header_fields& from_client,
                        header_fields& to_upstream);

// The final response's Location and Content-Location, back to the public side. Returns whether
// its body is XML that the href rewriter must map too (not when compressed: holdon does not
// inflate).
bool map_response_fields(const prefix_mount& m, const mount_sides& sides, header_fields& to_client);

}  // namespace holdon
