// The exchange's part of prefix mounts (README "Prefix mounts"): the header mapping on the
// way up and down and the href rewriting of XML bodies. Kept apart from exchange.cpp so the
// relay stays readable; the mapping itself is the pure prefix_mount / href_rewriter units.
#include "holdon/client_session.hpp"
#include "holdon/exchange.hpp"
#include "holdon/prefix_mount.hpp"

namespace holdon {
// Destination and the resource tags of If name the public side; the upstream must see
// its own origin and prefix, or it refuses COPY/MOVE (502) and lock checks (412). Mapped
// from the client's own values, so that a head written again for another server is right.
void exchange::map_request_headers() {
  auto m = mount_of(route_);
  const auto& req = s_->parser_->head();
  const auto& up = s_->cfg_->upstreams[route_.upstream_index];
  auto authority = up.servers[server_].text();
  std::string_view up_scheme = up.tls.enabled ? "https" : "http";
  auto host = req.fields["Host"];
  auto forwarded = [&](std::string_view name) { return up_fields_.find(name) != up_fields_.end(); };
  if (auto d = req.fields.find("Destination"); d != req.fields.end() && forwarded("Destination"))
    up_fields_.set("Destination",
                   up_fields_.own(url_to_upstream(m, d->value, host, authority, s_->scheme_, up_scheme)));
  if (auto i = req.fields.find("If"); i != req.fields.end() && forwarded("If"))
    up_fields_.set("If", up_fields_.own(if_header_to_upstream(m, i->value, host, authority, s_->scheme_, up_scheme)));
}

// Location and Content-Location back to the public side; an XML body (207 multistatus,
// LOCK answers...) gets its DAV: hrefs mapped while it streams. Compressed bodies are
// left alone: holdon does not inflate.
void exchange::map_response_headers() {
  auto m = mount_of(route_);
  const auto& up = s_->cfg_->upstreams[route_.upstream_index];
  auto authority = up.servers[up_ ? up_->server : 0].text();
  std::string_view client_scheme = s_->scheme_, up_scheme = up.tls.enabled ? "https" : "http";
  std::string host(s_->parser_->head().fields["Host"]);
  for (std::string_view f : {"Location", "Content-Location"})
    if (auto it = client_fields_.find(f); it != client_fields_.end())
      client_fields_.set(f, client_fields_.own(url_to_public(m, it->value, host, authority, client_scheme, up_scheme)));
  std::string_view type = client_fields_["Content-Type"];
  type = type.substr(0, type.find(';'));
  while (!type.empty() && type.back() == ' ') type.remove_suffix(1);
  bool xml = type.size() >= 4 && (iequals_ascii(type.substr(type.size() - 4), "/xml") ||
                                  iequals_ascii(type.substr(type.size() - 4), "+xml"));
  auto enc = client_fields_["Content-Encoding"];
  if (!xml || !(enc.empty() || iequals_ascii(enc, "identity"))) return;
  hrefs_.emplace([m, host, authority, client_scheme, up_scheme](std::string_view href) {
    return url_to_public(m, href, host, authority, client_scheme, up_scheme);
  });
}

}  // namespace holdon
