#include "holdon/healthcheck.hpp"

#include <boost/asio/connect.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/http/empty_body.hpp>
#include <boost/beast/http/read.hpp>
#include <boost/beast/http/string_body.hpp>
#include <boost/beast/http/write.hpp>
#include <charconv>

#include "holdon/net.hpp"

namespace holdon {
namespace http = beast::http;

std::optional<http_url> parse_http_url(std::string_view u) {
  constexpr std::string_view scheme = "http://";
  if (u.substr(0, scheme.size()) != scheme) return std::nullopt;
  u.remove_prefix(scheme.size());
  http_url r;
  auto slash = u.find('/');
  auto authority = u.substr(0, slash);
  r.path = slash == std::string_view::npos ? "/" : std::string(u.substr(slash));
  std::string_view port;
  if (!authority.empty() && authority.front() == '[') {
    auto close = authority.find(']');
    if (close == std::string_view::npos) return std::nullopt;
    r.host = std::string(authority.substr(1, close - 1));
    auto rest = authority.substr(close + 1);
    if (!rest.empty()) {
      if (rest.front() != ':') return std::nullopt;
      port = rest.substr(1);
    }
  } else {
    auto colon = authority.find(':');
    r.host = std::string(authority.substr(0, colon));
    if (colon != std::string_view::npos) port = authority.substr(colon + 1);
    if (port.find(':') != std::string_view::npos) return std::nullopt;
  }
  if (r.host.empty()) return std::nullopt;
  if (!port.empty()) {
    unsigned p = 0;
    auto [end, ec] = std::from_chars(port.data(), port.data() + port.size(), p);
    if (ec != std::errc{} || end != port.data() + port.size() || p == 0 || p > 65535) return std::nullopt;
    r.port = static_cast<std::uint16_t>(p);
  }
  return r;
}

http_url admin_url(const endpoint_spec& listen, std::string_view path) {
  http_url r;
  r.host = listen.host == "0.0.0.0" ? "127.0.0.1" : (listen.host == "::" ? "::1" : listen.host);
  r.port = listen.port;
  r.path = std::string(path);
  return r;
}

unsigned http_get_status(const http_url& url, duration timeout, std::string& error) {
  net::io_context ioc(1);
  tcp::resolver resolver(ioc);
  tcp::socket socket(ioc);
  beast::flat_buffer buffer;
  http::request<http::empty_body> req{http::verb::get, url.path, 11};
  req.set(http::field::host, url.host.find(':') != std::string::npos ? "[" + url.host + "]" : url.host);
  req.set(http::field::user_agent, "holdon-healthcheck");
  req.set(http::field::connection, "close");
  http::response_parser<http::string_body> res;
  res.body_limit(1 << 20);
  unsigned status = 0;
  auto fail = [&](std::string_view what, error_code ec) { error = std::string(what) + ": " + ec.message(); };

  resolver.async_resolve(url.host, std::to_string(url.port), [&](error_code ec, tcp::resolver::results_type rs) {
    if (ec) return fail("resolve " + url.host, ec);
    net::async_connect(socket, rs, [&](error_code ec2, const tcp::endpoint&) {
      if (ec2) return fail("connect", ec2);
      http::async_write(socket, req, [&](error_code ec3, std::size_t) {
        if (ec3) return fail("write", ec3);
        http::async_read(socket, buffer, res, [&](error_code ec4, std::size_t) {
          if (ec4) return fail("read", ec4);
          status = res.get().result_int();
        });
      });
    });
  });
  ioc.run_for(timeout);
  if (status == 0 && error.empty()) error = "no response within " + std::to_string(timeout.count()) + " ms";
  return status;
}

}  // namespace holdon
