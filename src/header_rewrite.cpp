#include "holdon/header_rewrite.hpp"

#include <boost/beast/http/rfc7230.hpp>
#include <array>
#include <vector>

namespace holdon {
namespace http = boost::beast::http;

namespace {
bool named_by_connection(const std::vector<header_field>& f, std::string_view name) {
  for (const auto& h : f) {
    if (!iequals_ascii(h.name, "Connection")) continue;
    for (auto tok : http::token_list{h.value})
      if (iequals_ascii(tok, name)) return true;
  }
  return false;
}

bool always_hop_by_hop(field_kind k) {
  return k == field_kind::connection || k == field_kind::keep_alive || k == field_kind::proxy_connection ||
         k == field_kind::te || k == field_kind::transfer_encoding || k == field_kind::upgrade;
}

void append_list(header_fields& f, std::string_view name, std::string_view value) {
  if (f.find(name) == f.end()) return f.insert(name, value);
  // Fold repeated fields into one list, then append ours (RFC 9110 §5.3).
  std::string all;
  for (const auto& h : f) {
    if (!iequals_ascii(h.name, name)) continue;
    if (!all.empty()) all += ", ";
    all += h.value;
  }
  all += ", ";
  all += value;
  f.set(name, f.own(std::move(all)));
}

// RFC 7239 §6: an IPv6 node is quoted and bracketed.
std::string_view forwarded_for(header_fields& f, std::string_view ip) {
  bool v6 = ip.find(':') != std::string_view::npos;
  return f.own((v6 ? "for=\"[" : "for=") + std::string(ip) + (v6 ? "]\"" : ""));
}

std::string_view via_value(header_fields& f, const forward_info& in) {
  if (!in.via_value.empty()) return in.via_value;
  std::string v = in.version == 10 ? "1.0 " : "1.1 ";
  v += in.via;
  return f.own(std::move(v));
}
}  // namespace

void strip_hop_by_hop(header_fields& f) {
  // The names Connection lists, as views into its values (which outlive the erasing: the
  // Connection fields themselves go last). Content-Length and Host are never removed because
  // a Connection header named them: framing and routing are not the sender's to erase.
  std::array<std::string_view, 16> named{};
  std::size_t n = 0;
  bool overflow = false;
  for (const auto& h : f) {
    if (h.kind != field_kind::connection) continue;
    for (auto tok : http::token_list{h.value}) {
      if (n < named.size()) named[n++] = tok;
      else overflow = true;
    }
  }
  if (n > 0) {
    std::vector<header_field> all;  // rare: more than 16 tokens, look them up again
    if (overflow) all.assign(f.begin(), f.end());
    f.erase_if([&](const header_field& h) {
      if (h.kind == field_kind::connection || h.kind == field_kind::content_length || h.kind == field_kind::host)
        return false;
      for (std::size_t i = 0; i < n; ++i)
        if (iequals_ascii(named[i], h.name)) return true;
      return overflow && named_by_connection(all, h.name);
    });
  }
  f.erase_if([](const header_field& h) { return always_hop_by_hop(h.kind); });
}

void rewrite_request_headers(header_fields& f, const forward_info& in) {
  strip_hop_by_hop(f);
  append_list(f, "Via", via_value(f, in));
  if (in.trusted) {
    append_list(f, "X-Forwarded-For", in.client_ip);
    if (f.find("Forwarded") != f.end()) append_list(f, "Forwarded", forwarded_for(f, in.client_ip));
    if (f.find(field_kind::x_forwarded_proto) != f.end() && f.find(field_kind::x_forwarded_host) != f.end()) return;
  } else {
    f.erase_if([](const header_field& h) {
      return h.kind == field_kind::x_forwarded_for || iequals_ascii(h.name, "Forwarded") || iequals_ascii(h.name, "X-Real-IP");
    });
    f.insert("X-Forwarded-For", in.client_ip);
  }
  if (!in.trusted || f.find(field_kind::x_forwarded_proto) == f.end()) f.set("X-Forwarded-Proto", in.scheme);
  if (in.trusted && f.find(field_kind::x_forwarded_host) != f.end()) return;
  auto host = f.find(field_kind::host);
  if (host != f.end()) f.set("X-Forwarded-Host", host->value);
  else f.erase("X-Forwarded-Host");
}

void rewrite_response_headers(header_fields& f, const forward_info& from) {
  strip_hop_by_hop(f);
  append_list(f, "Via", via_value(f, from));
}

std::string interim_head(unsigned status, std::string_view reason, const header_fields& upstream) {
  header_fields f;
  f.assign(upstream);
  strip_hop_by_hop(f);
  f.erase("Content-Length");  // a 1xx has no body and carries no framing
  std::string s;
  write_response_head(s, status, reason, f);
  return s;
}

}  // namespace holdon
