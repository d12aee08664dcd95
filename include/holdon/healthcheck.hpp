// healthcheck: `holdon --healthcheck [URL]`, a tiny HTTP GET client for container
// HEALTHCHECKs and probes (the slim image has no curl). Exit 0 on a 2xx, 1 otherwise.
#pragma once
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "holdon/config.hpp"

namespace holdon {

struct http_url {
  std::string host;  // IP literal or name, without brackets
  std::uint16_t port = 80;
  std::string path = "/";
};

// Pure: "http://127.0.0.1:9901/healthz", "http://[::1]:9901", "http://localhost/x".
std::optional<http_url> parse_http_url(std::string_view url);

// Pure: the URL that probes `admin_listen` + path from the same host: a wildcard
// listen address (0.0.0.0, ::) is probed on loopback.
http_url admin_url(const endpoint_spec& admin_listen, std::string_view path);

// GET url within `timeout`; returns the status code, or 0 with `error` set.
unsigned http_get_status(const http_url& url, duration timeout, std::string& error);

}  // namespace holdon
