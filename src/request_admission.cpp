#include "holdon/request_admission.hpp"

#include <boost/beast/http/error.hpp>
#include <algorithm>

#include "holdon/front.hpp"
#include "holdon/route_table.hpp"

namespace holdon {
namespace http = boost::beast::http;

guard_verdict parse_refusal(const error_code& ec) {
  if (!ec) return {};
  if (ec == http::error::header_limit) return {431, "request header too large"};
  if (ec == http::error::body_limit) return {413, "request body larger than limits.max_body_bytes"};
  return {400, "malformed request: " + ec.message()};
}

namespace {
guard_verdict check_version_and_host(const request_head& req) {
  if (req.version != 10 && req.version != 11) return {505, "only HTTP/1.0 and HTTP/1.1 are served"};
  auto hosts = req.fields.count(field_kind::host);
  if (hosts > 1 || (hosts == 0 && req.version == 11)) return {400, "an HTTP/1.1 request needs exactly one Host header"};
  return {};
}

const route_config* route_for(const request_head& req, const std::vector<route_config>& routes) {
  bool by_host = std::any_of(routes.begin(), routes.end(), [](const auto& r) { return !r.hosts.empty(); });
  auto host = by_host ? request_host(req.fields[field_kind::host], req.target) : std::string();
  return select_route(routes, host, req.method, req.target);
}

request_facts facts_of(const request_head& req, const front_config* front) {
  request_facts facts;
  facts.version = req.version;
  for (const auto& f : req.fields) {
    if (f.kind == field_kind::user_agent && !facts.user_agent) facts.user_agent = f.value;
    else if (f.kind == field_kind::expect) facts.expects_continue = iequals_ascii(f.value, "100-continue");
  }
  if (!front) facts.proxy_sign = proxy_sign(req.fields);
  return facts;
}
}  // namespace

admission admit_request(const request_head& req, const config& cfg, const front_config* front,
                        std::string_view peer_ip) {
  admission a;
  if ((a.refused = check_version_and_host(req))) return a;
  if ((a.refused = check_framing(framing_facts_of(req)))) return a;
  a.route = route_for(req, cfg.routes);
  if (!a.route) {
    a.refused = {404, "no route for this path"};
    return a;
  }
  auto facts = facts_of(req, front);
  a.proxy_sign = facts.proxy_sign;
  if (trusts_forwarded(front)) a.end_client = forwarded_client(req.fields, cfg.fronts, peer_ip);
  a.interim = decide_interim(facts, a.route->interim, front, a.route->timeouts.upstream_response);
  return a;
}

}  // namespace holdon
