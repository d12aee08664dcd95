#include "holdon/error_response.hpp"

#include <boost/beast/http/status.hpp>

namespace holdon {

std::string error_response(unsigned status, std::string_view text, bool keep_alive, bool head) {
  namespace http = boost::beast::http;
  std::string body = std::to_string(status) + " " +
                     std::string(http::obsolete_reason(http::int_to_status(status))) + ": " +
                     std::string(text) + "\n";
  std::string r = "HTTP/1.1 " + std::to_string(status) + " " +
                  std::string(http::obsolete_reason(http::int_to_status(status))) + "\r\n";
  r += "Content-Type: text/plain; charset=utf-8\r\n";
  r += "Content-Length: " + std::to_string(body.size()) + "\r\n";
  r += "Server: holdon\r\n";
  if (!keep_alive) r += "Connection: close\r\n";
  r += "\r\n";
  if (!head) r += body;
  return r;
}

}  // namespace holdon
