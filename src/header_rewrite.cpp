#include "holdon/header_rewrite.hpp"

#include <boost/beast/http/rfc7230.hpp>
#include <vector>

namespace holdon {
namespace http = boost::beast::http;
using boost::beast::iequals;

void strip_hop_by_hop(http::fields& f) {
  std::vector<std::string> named;
  for (auto it = f.find(http::field::connection); it != f.end() && it->name() == http::field::connection; ++it)
    for (auto tok : http::token_list{it->value()}) named.emplace_back(tok);
  for (const auto& n : named)
    if (!iequals(n, "content-length") && !iequals(n, "host")) f.erase(n);
  f.erase(http::field::connection);
  f.erase(http::field::keep_alive);
  f.erase(http::field::proxy_connection);
  f.erase(http::field::te);
  f.erase(http::field::transfer_encoding);
  f.erase(http::field::upgrade);
}

namespace {
void append_list(http::fields& f, std::string_view name, std::string_view value) {
  auto it = f.find(name);
  if (it == f.end()) {
    f.set(name, value);
    return;
  }
  // Fold repeated fields into one list, then append ours (RFC 9110 §5.3).
  std::string all;
  for (; it != f.end() && iequals(it->name_string(), name); ++it) {
    if (!all.empty()) all += ", ";
    all += std::string_view(it->value());
  }
  all += ", ";
  all += value;
  f.set(name, all);
}

// Boost 1.81 knows no 103 and answers "<unknown-status>" for codes it lacks: an empty
// reason phrase is valid HTTP, that text is not.
std::string_view standard_reason(unsigned status) {
  if (status == 103) return "Early Hints";
  auto s = http::int_to_status(status);
  return s == http::status::unknown ? std::string_view() : std::string_view(http::obsolete_reason(s));
}

std::string via_value(const forward_info& in) {
  std::string v = in.version == 10 ? "1.0 " : "1.1 ";
  v += in.via;
  return v;
}
}  // namespace

void rewrite_request_headers(http::fields& f, const forward_info& in) {
  strip_hop_by_hop(f);
  append_list(f, "Via", via_value(in));
  append_list(f, "X-Forwarded-For", in.client_ip);
  f.set("X-Forwarded-Proto", in.scheme);
  auto host = f.find(http::field::host);
  if (host != f.end()) f.set("X-Forwarded-Host", host->value());
  else f.erase("X-Forwarded-Host");
}

void rewrite_response_headers(http::fields& f, const forward_info& from) {
  strip_hop_by_hop(f);
  append_list(f, "Via", via_value(from));
}

std::string interim_head(unsigned status, std::string_view reason, const http::fields& upstream) {
  http::fields f = upstream;
  strip_hop_by_hop(f);
  f.erase(http::field::content_length);  // a 1xx has no body and carries no framing
  std::string s = "HTTP/1.1 " + std::to_string(status) + " ";
  s += reason.empty() ? standard_reason(status) : reason;
  s += "\r\n";
  for (const auto& h : f) {
    s += std::string_view(h.name_string());
    s += ": ";
    s += std::string_view(h.value());
    s += "\r\n";
  }
  s += "\r\n";
  return s;
}

}  // namespace holdon
