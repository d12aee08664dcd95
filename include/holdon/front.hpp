// front: pure. The proxies that may stand in front of holdon: what each kind does with an
// upstream 1xx (the built-in table of the README's "Where to put holdon"), which peer is a
// declared front, what a request shows of a proxy on its way, and who the end client is.
// Values in, values out: unit-tested without sockets.
#pragma once
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "holdon/config.hpp"
#include "holdon/http_head.hpp"

namespace holdon {

inline constexpr unsigned no_cap = ~0u;

struct front_kind_facts {
  front_kind kind;
  std::string_view name;          // as written in the config
  std::string_view upstream_1xx;  // what it does with an upstream 1xx: forwards, drops, breaks, unknown
  interim_mode default_mode;      // never for the kinds that break or are unknown
  unsigned cap;                   // interims per exchange it survives (no_cap: none known)
  bool go_capped;                 // Go before 1.24: `go_1_24: true` lifts the cap
  duration idle_timeout;          // its default upstream idle timeout, 0: none or not fixed
};

const front_kind_facts& facts_of(front_kind k);
std::optional<front_kind> front_kind_named(std::string_view name);
std::string front_kind_names();  // "none, haproxy, ..." for errors and docs

// "10.0.0.0/8", "192.0.2.7", "2001:db8::/32", "::1": nullopt when malformed.
std::optional<address_range> parse_address_range(std::string_view text);
// An address as a /128 (IPv4 mapped); nullopt when text is not an IP address.
std::optional<address_range> parse_ip(std::string_view text);
bool contains(const address_range& range, const address_range& ip);

// The declared front the peer address belongs to, or nullptr.
const front_config* find_front(const std::vector<front_config>& fronts, std::string_view peer_ip);

// The first field that shows a proxy on the request's way (Via, Forwarded, X-Forwarded-*, X-Real-IP,
// CDN and load-balancer fields), or empty.
std::string_view proxy_sign(const header_fields& f);

// A declared front (kind other than none) whose X-Forwarded-* / Forwarded fields are believed.
inline bool trusts_forwarded(const front_config* front) { return front && front->kind != front_kind::none; }

// The end client behind declared fronts: the rightmost address of X-Forwarded-For (else of
// Forwarded's for=) that is not itself a declared front; the peer when there is none.
std::string forwarded_client(const header_fields& f, const std::vector<front_config>& fronts,
                             std::string_view peer_ip);

}  // namespace holdon
