#include "holdon/interim_policy.hpp"

#include <algorithm>
#include <array>
#include <boost/beast/core/string.hpp>

namespace holdon {

bool is_dav_method(std::string_view m) {
  static constexpr std::array<std::string_view, 13> dav{
      "PROPFIND", "PROPPATCH", "MKCOL", "COPY", "MOVE", "LOCK", "UNLOCK",
      "REPORT", "SEARCH", "ACL", "MKCALENDAR", "VERSION-CONTROL", "MKWORKSPACE"};
  return std::find(dav.begin(), dav.end(), m) != dav.end();
}

bool is_dav_header(std::string_view name) {
  static constexpr std::array<std::string_view, 6> dav{"Depth", "Destination", "Overwrite",
                                                       "If", "Lock-Token", "Timeout"};
  return std::any_of(dav.begin(), dav.end(),
                     [&](std::string_view d) { return boost::beast::iequals(d, name); });
}

bool user_agent_matches(std::string_view ua, std::string_view pattern) {
  if (pattern.empty() || pattern.size() > ua.size()) return false;
  auto lower = [](char c) { return (c >= 'A' && c <= 'Z') ? char(c - 'A' + 'a') : c; };
  auto it = std::search(ua.begin(), ua.end(), pattern.begin(), pattern.end(),
                        [&](char a, char b) { return lower(a) == lower(b); });
  return it != ua.end();
}

interim_decision decide_interim(const request_facts& r, const interim_config& c) {
  interim_decision d;
  // RFC 9110 §15.2: never a 1xx to an HTTP/1.0 client, whatever the mode.
  if (r.version < 11) {
    d.why = "http/1.0";
    return d;
  }
  d.cap = c.max;
  std::string_view ua = r.user_agent.value_or("");
  for (const auto& cap : c.user_agent_caps)
    if (user_agent_matches(ua, cap.match)) d.cap = std::min(d.cap, cap.max);
  d.forward_continue = r.expects_continue;

  auto deny = std::find_if(c.deny_user_agents.begin(), c.deny_user_agents.end(),
                           [&](const std::string& p) { return user_agent_matches(ua, p); });
  switch (c.mode) {
    case interim_mode::never:
      d.forward_interims = deny == c.deny_user_agents.end();
      d.why = "mode-never";
      return d;
    case interim_mode::always:
      d.keepalive = d.forward_interims = true;
      d.why = "mode-always";
      break;
    case interim_mode::auto_:
      if (deny != c.deny_user_agents.end()) {
        d.why = "deny:" + *deny;  // takes the 1xx as final: only the 100 it asked for
        return d;
      }
      d.forward_interims = true;
      if (!r.user_agent) {
        d.why = "no-user-agent";  // unknown client: safe means none of our own
        return d;
      }
      if (is_dav_method(r.method)) d.why = "dav-method";
      else if (r.has_dav_header) d.why = "dav-header";
      else {
        auto allow = std::find_if(c.allow_user_agents.begin(), c.allow_user_agents.end(),
                                  [&](const std::string& p) { return user_agent_matches(ua, p); });
        if (allow == c.allow_user_agents.end()) {
          d.why = "not-dav";
          return d;
        }
        d.why = "allow:" + *allow;
      }
      d.keepalive = true;
      break;
  }
  if (d.cap == 0) d.keepalive = false;
  return d;
}

}  // namespace holdon
