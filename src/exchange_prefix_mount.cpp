// The exchange's part of prefix mounts (README "Prefix mounts"): the header mapping on the
// way up and down and the href rewriting of XML bodies. Kept apart from exchange.cpp so the
// relay stays readable; the mapping itself is the pure prefix_mount / href_rewriter units.
#include <boost/beast/core/string.hpp>

#include "holdon/client_session.hpp"
#include "holdon/exchange.hpp"
#include "holdon/prefix_mount.hpp"

namespace holdon {
namespace http = beast::http;


// Destination and the resource tags of If name the public side; the upstream must see
// its own origin and prefix, or it refuses COPY/MOVE (502) and lock checks (412).
void exchange::map_request_headers() {
  auto m = mount_of(route_);
  const auto& up = s_->cfg_->upstreams[route_.upstream_index];
  auto authority = up.servers[server_].text();
  std::string_view up_scheme = up.tls.enabled ? "https" : "http";
  std::string host(s_->parser_->get()[http::field::host]);
  if (auto d = ureq_.find(http::field::destination); d != ureq_.end())
    ureq_.set(http::field::destination, url_to_upstream(m, d->value(), host, authority, s_->scheme_, up_scheme));
  if (auto i = ureq_.find(http::field::if_); i != ureq_.end())
    ureq_.set(http::field::if_, if_header_to_upstream(m, i->value(), host, authority, s_->scheme_, up_scheme));
}

// Location and Content-Location back to the public side; an XML body (207 multistatus,
// LOCK answers...) gets its DAV: hrefs mapped while it streams. Compressed bodies are
// left alone: holdon does not inflate.
void exchange::map_response_headers() {
  auto m = mount_of(route_);
  const auto& up = s_->cfg_->upstreams[route_.upstream_index];
  auto authority = up.servers[up_ ? up_->server : 0].text();
  std::string_view client_scheme = s_->scheme_, up_scheme = up.tls.enabled ? "https" : "http";
  std::string host(s_->parser_->get()[http::field::host]);
  for (auto f : {http::field::location, http::field::content_location})
    if (auto it = cres_.find(f); it != cres_.end())
      cres_.set(f, url_to_public(m, it->value(), host, authority, client_scheme, up_scheme));
  std::string_view type = cres_[http::field::content_type];
  type = type.substr(0, type.find(';'));
  while (!type.empty() && type.back() == ' ') type.remove_suffix(1);
  bool xml = type.size() >= 4 && (beast::iequals(type.substr(type.size() - 4), "/xml") ||
                                  beast::iequals(type.substr(type.size() - 4), "+xml"));
  auto enc = cres_[http::field::content_encoding];
  if (!xml || !(enc.empty() || beast::iequals(enc, "identity"))) return;
  hrefs_.emplace([m, host, authority, client_scheme, up_scheme](std::string_view href) {
    return url_to_public(m, href, host, authority, client_scheme, up_scheme);
  });
}

// Points the client body at n relayed bytes; on a mapped XML body, at the rewriter's output.
void exchange::set_response_chunk(char* data, std::size_t n, bool more) {
  if (hrefs_) {
    rewritten_.clear();
    hrefs_->feed({data, n}, rewritten_);
    if (!more) hrefs_->finish(rewritten_);
    data = rewritten_.data();
    n = rewritten_.size();
  }
  cres_.body().data = n ? data : nullptr;
  cres_.body().size = n;
  cres_.body().more = more;
}

}  // namespace holdon
