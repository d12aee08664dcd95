#include "holdon/front.hpp"

#include <algorithm>
#include <array>
#include <boost/asio/ip/address.hpp>
#include <charconv>
#include <cstring>

namespace holdon {

namespace {
using namespace std::chrono_literals;
constexpr auto never = interim_mode::never;
constexpr auto auto_ = interim_mode::auto_;

// The README's front table, with its evidence: measured through the real front by
// tests/fronts (Debian 12's packages) or cited from the front's source and documentation.
constexpr std::array<front_kind_facts, 14> kinds{{
    {front_kind::none, "none", "none (the peer is a client)", auto_, no_cap, false, duration(0)},
    {front_kind::haproxy, "haproxy", "forwards", auto_, no_cap, false, duration(0)},
    {front_kind::nginx, "nginx", "breaks: takes a 102 as the final response", never, 0, false, duration(60s)},
    {front_kind::apache, "apache", "forwards; 502 at the 10th", auto_, 9, false, duration(60s)},
    {front_kind::caddy, "caddy", "forwards; Go before 1.24: 502 at the 6th", auto_, 5, true, duration(0)},
    {front_kind::traefik, "traefik", "forwards; Go before 1.24: 502 at the 6th", auto_, 5, true, duration(0)},
    {front_kind::envoy, "envoy", "drops (the first one passes with proxy_100_continue)", auto_, 1, false, duration(0)},
    {front_kind::varnish, "varnish", "breaks: 503 at the first", never, 0, false, duration(60s)},
    {front_kind::squid, "squid", "forwards (to HTTP/1.1 clients)", auto_, no_cap, false, duration(0)},
    {front_kind::lighttpd, "lighttpd", "forwards (1.4.56 and later)", auto_, no_cap, false, duration(0)},
    {front_kind::trafficserver, "trafficserver", "breaks: takes a 102 as the final response", never, 0, false, duration(30s)},
    {front_kind::cloudflare, "cloudflare", "forwards (documented, not measured)", auto_, no_cap, false, duration(100s)},
    {front_kind::aws_alb, "aws-alb", "unknown", never, 0, false, duration(60s)},
    {front_kind::generic, "generic", "unknown", never, 0, false, duration(0)},
}};

// Fields a proxy, CDN or load balancer adds on the way (the fronts' default request fields,
// README "Who gets a 102"). Any one of them from a peer that is not a declared front means an
// undeclared proxy, whose handling of 1xx nobody vouched for.
constexpr std::array<std::string_view, 27> proxy_fields{
    "Via", "Forwarded", "X-Forwarded-For", "X-Forwarded-Host", "X-Forwarded-Proto",
    "X-Forwarded-Port", "X-Forwarded-Server", "X-Forwarded-Scheme", "X-Real-IP",
    "X-Original-Forwarded-For", "X-Request-ID", "X-Scheme", "X-Host", "X-Varnish",
    "CF-Ray", "CF-Connecting-IP", "CDN-Loop", "True-Client-IP", "X-Amzn-Trace-Id",
    "X-Amz-Cf-Id", "X-Azure-Ref", "X-Azure-FDID", "Fastly-FF", "Fastly-Client-IP",
    "Akamai-Origin-Hop", "X-Forwarded-Client-Cert", "X-Cloud-Trace-Context"};

bool is_proxy_field(const header_field& h) {
  if (h.kind == field_kind::via || h.kind == field_kind::x_forwarded_for ||
      h.kind == field_kind::x_forwarded_host || h.kind == field_kind::x_forwarded_proto)
    return true;
  if (h.kind != field_kind::other || h.name.size() < 3) return false;
  if (h.name.size() > 8 && (h.name[0] == 'x' || h.name[0] == 'X') && iequals_ascii(h.name.substr(0, 8), "X-Envoy-"))
    return true;
  return std::any_of(proxy_fields.begin(), proxy_fields.end(), [&](std::string_view n) { return iequals_ascii(n, h.name); });
}

std::string_view trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
  return s;
}

// Calls f with each trimmed item of a `sep`-separated list (no quoted separators: addresses and
// Forwarded's for= values hold none).
template <class F>
void for_each_item(std::string_view list, char sep, F&& f) {
  while (!list.empty()) {
    auto at = list.find(sep);
    auto item = trim(list.substr(0, at));
    if (!item.empty()) f(item);
    list = at == std::string_view::npos ? std::string_view() : list.substr(at + 1);
  }
}

// An address as it appears in X-Forwarded-For or Forwarded's for=: maybe quoted, "[v6]:port",
// "v4:port". nullopt for "unknown", obfuscated names and garbage.
std::optional<address_range> node_address(std::string_view s) {
  s = trim(s);
  if (s.size() >= 2 && s.front() == '"' && s.back() == '"') s = s.substr(1, s.size() - 2);
  if (!s.empty() && s.front() == '[') {
    auto close = s.find(']');
    if (close == std::string_view::npos) return std::nullopt;
    return parse_ip(s.substr(1, close - 1));
  }
  if (auto ip = parse_ip(s)) return ip;
  auto colon = s.find(':');  // v4:port (one colon only)
  if (colon != std::string_view::npos && s.find(':', colon + 1) == std::string_view::npos)
    return parse_ip(s.substr(0, colon));
  return std::nullopt;
}

std::string text_of(const address_range& a) {
  boost::asio::ip::address_v6::bytes_type b;
  std::copy(a.bytes.begin(), a.bytes.end(), b.begin());
  boost::asio::ip::address_v6 v6(b);
  if (v6.is_v4_mapped()) return boost::asio::ip::make_address_v4(boost::asio::ip::v4_mapped, v6).to_string();
  return v6.to_string();
}

bool is_front_address(const std::vector<front_config>& fronts, const address_range& a) {
  return std::any_of(fronts.begin(), fronts.end(), [&](const front_config& f) {
    return std::any_of(f.addresses.begin(), f.addresses.end(), [&](const address_range& r) { return contains(r, a); });
  });
}
}  // namespace

const front_kind_facts& facts_of(front_kind k) {
  for (const auto& f : kinds)
    if (f.kind == k) return f;
  return kinds.back();
}

std::optional<front_kind> front_kind_named(std::string_view name) {
  for (const auto& f : kinds)
    if (f.name == name) return f.kind;
  return std::nullopt;
}

std::string front_kind_names() {
  std::string s;
  for (const auto& f : kinds) s += (s.empty() ? "" : ", ") + std::string(f.name);
  return s;
}

std::optional<address_range> parse_ip(std::string_view text) {
  boost::system::error_code ec;
  auto a = boost::asio::ip::make_address(std::string(text), ec);
  if (ec) return std::nullopt;
  address_range r;
  auto v6 = a.is_v4() ? boost::asio::ip::make_address_v6(boost::asio::ip::v4_mapped, a.to_v4()) : a.to_v6();
  if (v6.scope_id() != 0) return std::nullopt;
  auto b = v6.to_bytes();
  std::copy(b.begin(), b.end(), r.bytes.begin());
  return r;
}

std::optional<address_range> parse_address_range(std::string_view text) {
  auto slash = text.find('/');
  auto r = parse_ip(text.substr(0, slash));
  if (!r || slash == std::string_view::npos) return r;
  auto bits_text = text.substr(slash + 1);
  unsigned bits = 0;
  auto [end, ec] = std::from_chars(bits_text.data(), bits_text.data() + bits_text.size(), bits);
  if (ec != std::errc{} || end != bits_text.data() + bits_text.size() || bits_text.empty()) return std::nullopt;
  bool v4 = text.find(':') == std::string_view::npos;
  if (bits > (v4 ? 32u : 128u)) return std::nullopt;
  r->bits = v4 ? bits + 96 : bits;
  for (unsigned i = r->bits; i < 128; ++i) r->bytes[i / 8] &= static_cast<unsigned char>(~(0x80u >> (i % 8)));
  return r;
}

bool contains(const address_range& range, const address_range& ip) {
  unsigned full = range.bits / 8, rest = range.bits % 8;
  if (std::memcmp(range.bytes.data(), ip.bytes.data(), full) != 0) return false;
  if (rest == 0) return true;
  auto mask = static_cast<unsigned char>(0xffu << (8 - rest));
  return (range.bytes[full] & mask) == (ip.bytes[full] & mask);
}

const front_config* find_front(const std::vector<front_config>& fronts, std::string_view peer_ip) {
  if (fronts.empty()) return nullptr;
  auto ip = parse_ip(peer_ip);
  if (!ip) return nullptr;
  for (const auto& f : fronts)
    for (const auto& r : f.addresses)
      if (contains(r, *ip)) return &f;
  return nullptr;
}

std::string_view proxy_sign(const header_fields& f) {
  for (const auto& h : f)
    if (is_proxy_field(h)) return h.name;
  return {};
}

std::string forwarded_client(const header_fields& f, const std::vector<front_config>& fronts,
                             std::string_view peer_ip) {
  // X-Forwarded-For first (every front listed here writes it), then Forwarded's for=.
  std::vector<std::string_view> hops;
  for (const auto& h : f)
    if (h.kind == field_kind::x_forwarded_for)
      for_each_item(h.value, ',', [&](std::string_view hop) { hops.push_back(hop); });
  for (const auto& h : f) {
    if (!hops.empty() || !iequals_ascii(h.name, "Forwarded")) continue;
    for_each_item(h.value, ',', [&](std::string_view element) {
      for_each_item(element, ';', [&](std::string_view pair) {
        if (pair.size() > 4 && iequals_ascii(pair.substr(0, 4), "for=")) hops.push_back(pair.substr(4));
      });
    });
  }
  for (auto it = hops.rbegin(); it != hops.rend(); ++it) {
    auto a = node_address(*it);
    if (!a) break;  // "unknown" or garbage: trust nothing further left
    if (!is_front_address(fronts, *a)) return text_of(*a);
  }
  return std::string(peer_ip);
}

}  // namespace holdon
