// Writing HTTP/1.1 heads (declared in http_head.hpp): what holdon sends either way.
#include <boost/beast/http/status.hpp>
#include <cstring>

#include "holdon/http_head.hpp"

namespace holdon {
namespace http = boost::beast::http;

namespace {
void append_uint(std::string& out, unsigned v) {
  char b[10];
  char* e = b + sizeof b;
  char* p = e;
  do *--p = static_cast<char>('0' + v % 10);
  while ((v /= 10) != 0);
  out.append(p, static_cast<std::size_t>(e - p));
}
}  // namespace

void append_fields(std::string& out, const header_fields& f) {
  std::size_t n = 0;
  for (const auto& h : f) n += h.name.size() + h.value.size() + 4;
  auto at = out.size();
  out.resize(at + n);
  char* p = out.data() + at;
  for (const auto& h : f) {
    std::memcpy(p, h.name.data(), h.name.size());
    p += h.name.size();
    *p++ = ':';
    *p++ = ' ';
    std::memcpy(p, h.value.data(), h.value.size());
    p += h.value.size();
    *p++ = '\r';
    *p++ = '\n';
  }
}

void write_request_head(std::string& out, std::string_view method, std::string_view target, const header_fields& f) {
  out.append(method);
  out.push_back(' ');
  out.append(target);
  out.append(" HTTP/1.1\r\n", 11);
  append_fields(out, f);
  out.append("\r\n", 2);
}

std::string_view standard_reason(unsigned status) {
  if (status == 103) return "Early Hints";
  auto s = http::int_to_status(status);
  return s == http::status::unknown ? std::string_view() : std::string_view(http::obsolete_reason(s));
}

void write_response_head(std::string& out, unsigned status, std::string_view reason, const header_fields& f) {
  out.append("HTTP/1.1 ", 9);
  append_uint(out, status);
  out.push_back(' ');
  out.append(reason.empty() ? standard_reason(status) : reason);
  out.append("\r\n", 2);
  append_fields(out, f);
  out.append("\r\n", 2);
}

}  // namespace holdon
