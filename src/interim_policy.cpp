#include "holdon/interim_policy.hpp"

#include <algorithm>
#include <charconv>

#include "holdon/front.hpp"

namespace holdon {

namespace {
char lower(char c) { return (c >= 'A' && c <= 'Z') ? char(c - 'A' + 'a') : c; }

// Where `pattern` (anchors stripped) starts in the User-Agent, or npos.
std::size_t find_pattern(std::string_view ua, std::string_view pattern) {
  bool at_start = !pattern.empty() && pattern.front() == '^';
  if (at_start) pattern.remove_prefix(1);
  bool at_end = !pattern.empty() && pattern.back() == '$';
  if (at_end) pattern.remove_suffix(1);
  if (pattern.empty() || pattern.size() > ua.size()) return std::string_view::npos;
  auto same = [](char a, char b) { return lower(a) == lower(b); };
  if (at_start || at_end) {
    std::size_t pos = at_start ? 0 : ua.size() - pattern.size();
    if (at_start && at_end && pattern.size() != ua.size()) return std::string_view::npos;
    return std::equal(pattern.begin(), pattern.end(), ua.begin() + static_cast<std::ptrdiff_t>(pos), same)
               ? pos
               : std::string_view::npos;
  }
  auto it = std::search(ua.begin(), ua.end(), pattern.begin(), pattern.end(), same);
  return it == ua.end() ? std::string_view::npos : static_cast<std::size_t>(it - ua.begin());
}

// "1.60.1-DEV" -> {1, 60, 1}; stops at the first character that is neither digit nor dot.
std::array<unsigned, 3> version_of(std::string_view s) {
  std::array<unsigned, 3> v{};
  for (auto& part : v) {
    auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), part);
    if (ec != std::errc{}) break;
    s.remove_prefix(static_cast<std::size_t>(end - s.data()));
    if (s.empty() || s.front() != '.') break;
    s.remove_prefix(1);
  }
  return v;
}

const std::string* first_match(std::string_view ua, const std::vector<std::string>& patterns) {
  auto it = std::find_if(patterns.begin(), patterns.end(), [&](const std::string& p) { return user_agent_matches(ua, p); });
  return it == patterns.end() ? nullptr : &*it;
}

unsigned client_cap(std::string_view ua, const interim_config& c) {
  unsigned cap = c.max;
  for (const auto& k : c.user_agent_caps)
    if (user_agent_matches(ua, k.match) && (k.before.empty() || version_below(ua, k.match, k.before)))
      cap = std::min(cap, k.max);
  return cap;
}

// A cap lower than the route's max spreads the 102s over the longest wait (README "Schedules
// under a cap"), never closer than `every` nor further apart than the ceiling.
duration spread(duration every, unsigned cap, const interim_config& c, const front_config* front, duration longest_wait) {
  if (cap == 0 || cap >= c.max) return every;
  duration ceiling = c.max_gap;
  if (front) {
    auto idle = front->idle_timeout.value_or(facts_of(front->kind).idle_timeout);
    if (idle.count() > 0) ceiling = std::min(ceiling, idle - idle / 10);
  }
  auto span = longest_wait > c.first_after ? longest_wait - c.first_after : duration(0);
  return std::max(every, std::min(ceiling, duration(span.count() / cap)));
}
}  // namespace

bool user_agent_matches(std::string_view ua, std::string_view pattern) {
  return find_pattern(ua, pattern) != std::string_view::npos;
}

bool version_below(std::string_view ua, std::string_view pattern, std::string_view version) {
  auto at = find_pattern(ua, pattern);
  if (at == std::string_view::npos) return false;
  std::string_view p = pattern;
  if (!p.empty() && p.front() == '^') p.remove_prefix(1);
  if (!p.empty() && p.back() == '$') p.remove_suffix(1);
  auto rest = ua.substr(at + p.size());
  if (!rest.empty() && (rest.front() == 'v' || rest.front() == 'V')) rest.remove_prefix(1);
  if (rest.empty() || rest.front() < '0' || rest.front() > '9') return true;  // no version shown: assume old
  return version_of(rest) < version_of(version);
}

interim_decision decide_interim(const request_facts& r, const interim_config& c,
                                const front_config* front, duration longest_wait) {
  interim_decision d;
  d.first_after = c.first_after;
  d.every = c.every;
  // RFC 9110 §15.2: never a 1xx to an HTTP/1.0 client, whatever the mode.
  if (r.version < 11) {
    d.why = "http/1.0";
    return d;
  }
  d.forward_continue = r.expects_continue;  // the one interim it asked for
  interim_mode mode = c.mode;
  unsigned front_cap = no_cap;
  if (front) {
    const auto& k = facts_of(front->kind);
    if (front->mode.value_or(k.default_mode) == interim_mode::never) {
      d.why = "front:" + std::string(k.name);  // it breaks on 1xx, nobody knows, or it was told so
      return d;
    }
    // A mode set on a kind that breaks or is unknown: the operator vouches for that front.
    bool vouched = front->mode && k.default_mode == interim_mode::never;
    front_cap = vouched || (k.go_capped && front->go_1_24) ? no_cap : k.cap;
    front_cap = std::min(front_cap, front->max.value_or(no_cap));
    if (front->every) d.every = *front->every;
    mode = front->mode.value_or(c.mode);  // else the route decides about the end client
  } else if (!r.proxy_sign.empty()) {
    d.why = "undeclared-proxy:" + std::string(r.proxy_sign);  // a proxy nobody declared
    d.undeclared_proxy = true;
    return d;
  }

  std::string_view ua = r.user_agent.value_or("");
  if (auto deny = r.user_agent ? first_match(ua, c.deny_user_agents) : nullptr) {
    d.why = "deny:" + *deny;  // takes a 1xx as final or hangs: only the 100 it asked for
    return d;
  }
  const std::string* allow = r.user_agent ? first_match(ua, c.allow_user_agents) : nullptr;
  if (mode == interim_mode::always) {
    d.why = "mode-always";
  } else if (allow) {
    d.why = "allow:" + *allow;
  } else {
    d.why = r.user_agent ? "unknown-client" : "no-user-agent";  // unknown means none
    return d;
  }
  d.forward_interims = true;
  d.keepalive = mode != interim_mode::never;
  if (mode == interim_mode::never) d.why = "mode-never";
  d.cap = std::min(client_cap(ua, c), front_cap);
  if (d.cap == 0) d.keepalive = d.forward_interims = false;
  d.every = spread(d.every, d.cap, c, front, longest_wait);
  return d;
}

}  // namespace holdon
