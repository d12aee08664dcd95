// config: YAML -> immutable plain structs with defaults. Errors name the key and line.
// Route entries carry their fully merged interim policy and timeouts, so the data
// path never looks at the global section again.
#pragma once
#include <array>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

namespace holdon {

using duration = std::chrono::milliseconds;

struct endpoint_spec {
  std::string host;  // IP literal or DNS name (upstreams only)
  std::uint16_t port = 0;
  std::string text() const;  // "127.0.0.1:8080", "[::1]:8080"
};

enum class interim_mode { auto_, always, never };

// User-Agent patterns: a case-insensitive substring; a leading '^' anchors it at the start of
// the User-Agent, a trailing '$' at the end.
struct user_agent_cap {
  std::string match;
  unsigned max = 0;    // interim responses in total per exchange
  std::string before;  // a version ("1.70"): the cap applies only below it; empty: always
};

struct interim_config {
  interim_mode mode = interim_mode::auto_;
  duration first_after{1000};
  duration every{10000};
  unsigned max = 30;
  duration max_gap{50000};  // longest gap when a capped schedule is stretched (README)
  std::vector<std::string> allow_user_agents;  // proven to survive 102s (README client table)
  std::vector<std::string> deny_user_agents;   // break on unsolicited 1xx
  std::vector<user_agent_cap> user_agent_caps;
  interim_config();  // fills the default lists
};

struct timeouts_config {
  duration connect{5000};
  duration client_header{30000};
  duration idle{60000};
  duration upstream_response{300000};
};

struct limits_config {
  std::size_t max_header_bytes = 16384;
  // Hardening limits; 0 means unlimited.
  std::uint64_t max_body_bytes = 0;             // request body, 413 beyond
  std::size_t max_connections = 0;              // open client connections per process
  std::size_t max_requests_per_connection = 0;  // then the connection closes after its response
  std::size_t max_request_line_bytes = 8192;    // method + target + version, 414 beyond
};

// TLS to the upstream. Off unless the upstream has a `tls` section.
struct upstream_tls_config {
  bool enabled = false;
  std::string ca_file;       // empty: the system's trust store
  std::string server_name;   // SNI and the name verified; empty: each server's host
  bool insecure_skip_verify = false;  // tests only; logged at start-up
  std::string origin;        // "file:LINE: upstreams.NAME.tls" for errors found later
};

enum class balance_mode { round_robin, least_in_flight };

struct upstream_config {
  std::string name;
  std::vector<endpoint_spec> servers;
  balance_mode balance = balance_mode::round_robin;
  unsigned fail_threshold = 3;  // consecutive connect failures that take a server out
  duration fail_backoff{10000}; // how long it stays out before it is tried again
  upstream_tls_config tls;
};

// TLS termination on one listen address: its certificates (SNI picks among them).
struct tls_certificate {
  std::string cert;    // PEM file: certificate, then its chain
  std::string key;     // PEM file: private key
  std::string origin;  // "file:LINE: listen[i].tls.certificates[j]" for errors found later
};
struct listen_tls_config {
  std::vector<tls_certificate> certificates;  // empty: plain HTTP; SNI picks, the first is the default
  bool enabled() const { return !certificates.empty(); }
};

struct route_config {
  std::vector<std::string> hosts;    // empty: any; "a.example", "*.example", "a.example:8443"
  std::vector<std::string> methods;  // empty: any; exact method tokens
  bool is_default = false;           // taken when no route matches (instead of 404)
  std::string path_prefix = "/";
  std::string upstream;            // name as written
  std::size_t upstream_index = 0;  // into config::upstreams
  interim_config interim;          // global section merged with the route's overrides
  timeouts_config timeouts;
  // Prefix mount (README "Prefix mounts"): path_prefix on the public side is
  // upstream_prefix on the upstream; empty = the same path both sides (no rewriting).
  std::string upstream_prefix;
  // Scheme://host[:port] clients use to reach holdon when it differs from the upstream's
  // (a public name, TLS in front); Destination headers naming it are rewritten. Empty: none.
  std::string public_origin;
};

// A proxy in front of holdon (README "Where to put holdon"), recognised by the peer address.
enum class front_kind {
  none, haproxy, nginx, apache, caddy, traefik, envoy, varnish, squid, lighttpd, trafficserver,
  cloudflare, aws_alb, generic
};

// An IP prefix; IPv4 is held as IPv4-mapped IPv6 (::ffff:a.b.c.d), so one compare serves both.
struct address_range {
  std::array<unsigned char, 16> bytes{};
  unsigned bits = 128;
};

struct front_config {
  std::string name;                       // for logs; default: the kind
  std::vector<address_range> addresses;   // peers that are this front
  front_kind kind = front_kind::generic;
  std::optional<interim_mode> mode;       // unset: the kind's default
  std::optional<duration> every;          // replaces interim.every through this front
  std::optional<unsigned> max;            // lowers the cap through this front
  std::optional<duration> idle_timeout;   // unset: the kind's default, if it has one
  bool go_1_24 = false;                   // caddy/traefik built with Go >= 1.24: no 5-interim cap
};

enum class access_log_format { off, text, json };

// Admin listener (/healthz, /readyz, /metrics) on its own address; none when unset.
struct admin_config {
  std::optional<endpoint_spec> listen;
};

struct config {
  std::vector<endpoint_spec> listen;
  std::vector<listen_tls_config> listen_tls;  // parallel to listen
  unsigned threads = 0;  // 0: one per core
  std::vector<upstream_config> upstreams;
  std::vector<route_config> routes;
  std::vector<front_config> fronts;
  interim_config interim;
  timeouts_config timeouts;
  limits_config limits;
  access_log_format access_log = access_log_format::text;
  std::string log_level = "info";
  std::string via = "holdon";  // pseudonym in Via headers
  admin_config admin;
  duration drain_timeout{30000};  // SIGTERM: how long in-flight exchanges may still finish
};

// "file:LINE: key.path: what is wrong"
struct config_error : std::runtime_error {
  using std::runtime_error::runtime_error;
};

config parse_config(std::string_view yaml_text, std::string_view source = "<config>");
config load_config(const std::string& path);

std::optional<duration> parse_duration(std::string_view text);  // "150ms", "2s", "5m"
std::optional<endpoint_spec> parse_endpoint(std::string_view text);
std::string_view to_string(interim_mode m);

}  // namespace holdon
