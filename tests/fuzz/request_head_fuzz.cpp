// Fuzz target: the request-head path holdon runs on untrusted bytes: the raw-head guard,
// Beast's header parser, the framing guard, then the request-header rewrite and target
// mapping. Invariants (abort on violation): the rewrite leaves no hop-by-hop field, adds
// exactly one Via, and the forwarded target is origin-form.
#include <boost/beast/http/empty_body.hpp>
#include <boost/beast/http/parser.hpp>
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string_view>

#include "holdon/header_rewrite.hpp"
#include "holdon/request_guard.hpp"
#include "holdon/route_table.hpp"

namespace http = boost::beast::http;

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  std::string_view bytes(reinterpret_cast<const char*>(data), size);
  bool complete = false;
  if (holdon::check_raw_head(bytes, 8192, 16384, complete) || !complete) return 0;
  http::request_parser<http::empty_body> p;
  p.header_limit(16384);
  p.eager(false);
  boost::system::error_code ec;
  p.put(boost::asio::buffer(bytes.data(), bytes.size()), ec);
  if (ec || !p.is_header_done()) return 0;
  auto& req = p.get();
  if (holdon::check_framing(holdon::framing_facts_of(req))) return 0;

  http::fields out;
  for (const auto& fld : req) out.insert(fld.name(), fld.name_string(), fld.value());
  holdon::rewrite_request_headers(out, {"192.0.2.1", "http", req.version(), "holdon"});
  for (auto name : {http::field::connection, http::field::keep_alive, http::field::proxy_connection,
                    http::field::te, http::field::upgrade, http::field::transfer_encoding})
    if (out.count(name) != 0) std::abort();
  if (out.count(http::field::via) == 0) std::abort();
  auto t = holdon::target_path(req.target());
  if (!t.empty() && t.front() != '/' && t != "*") std::abort();
  return 0;
}
