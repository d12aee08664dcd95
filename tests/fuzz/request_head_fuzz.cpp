// Fuzz target: the head paths holdon runs on untrusted bytes. Requests: the raw-head guard,
// the head parser (http_head: views into the raw head, strict per RFC 9112), the
// framing guard, then the request-header rewrite, the upstream head and target mapping.
// Invariants (abort on violation): every parsed view lies in the raw head or in storage the
// fields own; a head the framing guard accepts has a framing the parser knows; the rewrite leaves no hop-by-hop field and adds exactly one Via; the head for
// the upstream is one well-formed head; the forwarded target is origin-form. Responses: the
// head parser and the body framing it implies (Content-Length, chunked, until close).
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string>
#include <string_view>

#include "holdon/header_rewrite.hpp"
#include "holdon/http_head.hpp"
#include "holdon/request_guard.hpp"
#include "holdon/route_table.hpp"

namespace {
// The same bytes as an upstream's response head and body: views stay inside the input, the
// body bytes handed out are never more than the input, nothing is consumed past the end.
void response_path(std::string_view bytes) {
  auto end = bytes.find("\r\n\r\n");
  if (end == std::string_view::npos) return;
  std::string raw(bytes.substr(0, end + 4));
  holdon::response_parser p;
  boost::system::error_code ec;
  p.parse_head(raw, ec);
  if (ec) return;
  for (const auto& f : p.head().fields)
    if (f.name.data() < raw.data() || f.name.data() + f.name.size() > raw.data() + raw.size()) std::abort();
  std::string body(bytes.substr(end + 4));
  std::size_t used = 0, out = 0;
  for (int i = 0; i < 64 && used < body.size() && !p.is_done(); ++i) {
    p.body().clear();
    auto n = p.put_body(std::string_view(body).substr(used), ec);
    if (ec) return;
    out += p.body_bytes();
    used += n;
    if (n == 0) break;
  }
  if (used > body.size() || out > used) std::abort();
}
}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  std::string_view bytes(reinterpret_cast<const char*>(data), size);
  response_path(bytes);
  std::size_t head_len = 0;
  if (holdon::check_raw_head(bytes, 8192, 16384, head_len) || head_len == 0) return 0;
  std::string raw(bytes.substr(0, head_len));
  holdon::request_parser p;
  p.body_limit(std::nullopt);
  boost::system::error_code ec;
  p.parse_head(raw, ec);
  if (ec) return 0;
  const auto& req = p.head();
  auto inside = [&](std::string_view v) {
    return v.empty() || (v.data() >= raw.data() && v.data() + v.size() <= raw.data() + raw.size());
  };
  if (!inside(req.method) || !inside(req.target)) std::abort();
  for (const auto& f : req.fields)
    if (!inside(f.name) || f.name.empty()) std::abort();  // obs-fold is refused before parsing
  if (holdon::check_framing(holdon::framing_facts_of(req))) return 0;
  if (!p.framing_known()) std::abort();  // the guard lets through only heads the parser can frame

  holdon::header_fields out;
  out.assign(req.fields);
  holdon::rewrite_request_headers(out, {"192.0.2.1", "http", req.version, "holdon"});
  for (std::string_view name : {"Connection", "Keep-Alive", "Proxy-Connection", "TE", "Upgrade", "Transfer-Encoding"})
    if (out.count(name) != 0) std::abort();
  if (out.count("Via") != 1) std::abort();
  auto t = holdon::target_path(req.target);
  if (!t.empty() && t.front() != '/' && t != "*") std::abort();

  // The head written for the upstream parses back to the same method, target and fields.
  std::string up;
  holdon::write_request_head(up, req.method, t.empty() ? "/" : t, out);
  holdon::request_parser back;
  back.body_limit(std::nullopt);
  back.parse_head(up, ec);
  if (ec || back.head().fields.size() != out.size()) std::abort();
  return 0;
}
