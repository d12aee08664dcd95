#include "holdon/prefix_mount.hpp"

#include <cctype>

namespace holdon {

namespace {
int hex(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

bool ieq(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  for (std::size_t i = 0; i < a.size(); ++i)
    if (std::tolower(static_cast<unsigned char>(a[i])) != std::tolower(static_cast<unsigned char>(b[i])))
      return false;
  return true;
}

// RFC 3986 pchar plus "/": everything else of a configured prefix is written as %XX.
std::string encode_prefix(std::string_view p) {
  static constexpr std::string_view safe = "-._~!$&'()*+,;=:@/";
  static constexpr char digits[] = "0123456789ABCDEF";
  std::string out;
  for (char c : p) {
    auto u = static_cast<unsigned char>(c);
    if (std::isalnum(u) || safe.find(c) != std::string_view::npos) {
      out += c;
    } else {
      out += '%';
      out += digits[u >> 4];
      out += digits[u & 15];
    }
  }
  return out;
}

std::string_view strip_default_port(std::string_view scheme, std::string_view auth) {
  auto port = ieq(scheme, "https") ? std::string_view(":443") : std::string_view(":80");
  if (auth.size() > port.size() && auth.substr(auth.size() - port.size()) == port)
    return auth.substr(0, auth.size() - port.size());
  return auth;
}
}  // namespace

prefix_mount mount_of(const route_config& r) {
  return {r.path_prefix, r.upstream_prefix, r.public_origin};
}

std::optional<std::size_t> match_prefix(std::string_view prefix, std::string_view path) {
  std::size_t i = 0;  // into path
  for (char want : prefix) {
    if (i >= path.size()) return std::nullopt;
    char got = path[i];
    std::size_t len = 1;
    if (got == '%' && i + 2 < path.size() && hex(path[i + 1]) >= 0 && hex(path[i + 2]) >= 0) {
      got = static_cast<char>(hex(path[i + 1]) * 16 + hex(path[i + 2]));
      len = 3;
    }
    if (got != want) return std::nullopt;
    i += len;
  }
  // Segment boundary, as in route matching.
  if (prefix.empty() || prefix.back() == '/' || i == path.size()) return i;
  char next = path[i];
  if (next == '/' || next == '?') return i;
  return std::nullopt;
}

std::string join_path(std::string_view prefix, std::string_view rest) {
  auto p = encode_prefix(prefix);
  if (!p.empty() && p.back() == '/' && !rest.empty() && rest.front() == '/') rest.remove_prefix(1);
  else if ((p.empty() || p.back() != '/') && !rest.empty() && rest.front() != '/' && rest.front() != '?')
    p += '/';
  if (p.empty() && (rest.empty() || rest.front() != '/')) p = "/";
  return p + std::string(rest);
}

std::string path_to_upstream(const prefix_mount& m, std::string_view path) {
  if (m.upstream_prefix.empty()) return std::string(path);
  auto n = match_prefix(m.public_prefix, path);
  if (!n) return std::string(path);
  return join_path(m.upstream_prefix, path.substr(*n));
}

std::optional<std::string> path_to_public(const prefix_mount& m, std::string_view path) {
  if (m.upstream_prefix.empty()) return std::string(path);
  auto n = match_prefix(m.upstream_prefix, path);
  if (!n) return std::nullopt;
  return join_path(m.public_prefix, path.substr(*n));
}

std::optional<url_parts> split_url(std::string_view url) {
  if (!url.empty() && url.front() == '/') return url_parts{{}, {}, url};
  auto colon = url.find("://");
  if (colon == std::string_view::npos || colon == 0) return std::nullopt;
  url_parts u;
  u.scheme = url.substr(0, colon);
  for (char c : u.scheme)
    if (!std::isalnum(static_cast<unsigned char>(c)) && c != '+' && c != '-' && c != '.') return std::nullopt;
  auto rest = url.substr(colon + 3);
  auto end = rest.find_first_of("/?#");
  u.authority = rest.substr(0, end);
  u.path = end == std::string_view::npos ? std::string_view("/") : rest.substr(end);
  if (!u.path.empty() && u.path.front() != '/') return std::nullopt;  // "?q" or "#f" right after the host
  if (u.authority.empty()) return std::nullopt;
  return u;
}

bool same_origin(std::string_view sa, std::string_view aa, std::string_view sb, std::string_view ab) {
  return ieq(sa, sb) && ieq(strip_default_port(sa, aa), strip_default_port(sb, ab));
}

std::string url_to_upstream(const prefix_mount& m, std::string_view url, std::string_view request_host,
                            std::string_view upstream_authority, std::string_view client_scheme,
                            std::string_view upstream_scheme) {
  auto u = split_url(url);
  if (!u) return std::string(url);
  if (!u->scheme.empty()) {
    bool ours = same_origin(u->scheme, u->authority, client_scheme, request_host) ||
                same_origin(u->scheme, u->authority, upstream_scheme, upstream_authority);
    if (!ours && !m.public_origin.empty()) {
      auto o = split_url(m.public_origin);
      ours = o && same_origin(u->scheme, u->authority, o->scheme, o->authority);
    }
    if (!ours) return std::string(url);
  }
  return std::string(upstream_scheme) + "://" + std::string(upstream_authority) + path_to_upstream(m, u->path);
}

std::string url_to_public(const prefix_mount& m, std::string_view url, std::string_view request_host,
                          std::string_view upstream_authority, std::string_view client_scheme,
                          std::string_view upstream_scheme) {
  auto u = split_url(url);
  if (!u) return std::string(url);
  if (u->scheme.empty()) return path_to_public(m, u->path).value_or(std::string(url));
  bool ours = same_origin(u->scheme, u->authority, client_scheme, request_host) ||
              same_origin(u->scheme, u->authority, upstream_scheme, upstream_authority);
  if (!ours) return std::string(url);
  auto path = path_to_public(m, u->path);
  if (!path) return std::string(url);
  if (!m.public_origin.empty()) return std::string(m.public_origin) + *path;
  if (request_host.empty()) return std::string(u->scheme) + "://" + std::string(u->authority) + *path;
  return std::string(client_scheme) + "://" + std::string(request_host) + *path;  // the client's own scheme
}

std::string if_header_to_upstream(const prefix_mount& m, std::string_view v, std::string_view request_host,
                                  std::string_view upstream_authority, std::string_view client_scheme,
                                  std::string_view upstream_scheme) {
  std::string out;
  int depth = 0;  // inside (...) lists: <...> there are state tokens, not resources
  for (std::size_t i = 0; i < v.size(); ++i) {
    char c = v[i];
    if (c == '(') ++depth;
    else if (c == ')' && depth > 0) --depth;
    else if (c == '[') {  // entity tag: copy through, it may contain anything but ']'
      auto end = v.find(']', i);
      if (end == std::string_view::npos) end = v.size() - 1;
      out.append(v.substr(i, end - i + 1));
      i = end;
      continue;
    } else if (c == '<' && depth == 0) {
      auto end = v.find('>', i);
      if (end == std::string_view::npos) return std::string(v);  // malformed: leave it alone
      out += '<';
      out += url_to_upstream(m, v.substr(i + 1, end - i - 1), request_host, upstream_authority, client_scheme,
                             upstream_scheme);
      out += '>';
      i = end;
      continue;
    }
    out += c;
  }
  return out;
}

void map_request_fields(const prefix_mount& m, const mount_sides& x, const header_fields& from_client,
                        header_fields& to_upstream) {
  auto forwarded = [&](std::string_view name) { return to_upstream.find(name) != to_upstream.end(); };
  if (auto d = from_client.find("Destination"); d != from_client.end() && forwarded("Destination"))
    to_upstream.set("Destination", to_upstream.own(url_to_upstream(m, d->value, x.request_host, x.upstream_authority,
                                                                   x.client_scheme, x.upstream_scheme)));
  if (auto i = from_client.find("If"); i != from_client.end() && forwarded("If"))
    to_upstream.set("If", to_upstream.own(if_header_to_upstream(m, i->value, x.request_host, x.upstream_authority,
                                                                x.client_scheme, x.upstream_scheme)));
}

bool map_response_fields(const prefix_mount& m, const mount_sides& x, header_fields& to_client) {
  for (std::string_view f : {"Location", "Content-Location"})
    if (auto it = to_client.find(f); it != to_client.end())
      to_client.set(f, to_client.own(url_to_public(m, it->value, x.request_host, x.upstream_authority,
                                                   x.client_scheme, x.upstream_scheme)));
  std::string_view type = to_client["Content-Type"];
  type = type.substr(0, type.find(';'));
  while (!type.empty() && type.back() == ' ') type.remove_suffix(1);
  bool xml = type.size() >= 4 && (iequals_ascii(type.substr(type.size() - 4), "/xml") ||
                                  iequals_ascii(type.substr(type.size() - 4), "+xml"));
  auto enc = to_client["Content-Encoding"];
  return xml && (enc.empty() || iequals_ascii(enc, "identity"));
}

}  // namespace holdon
