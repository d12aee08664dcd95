// hardening_rig: holdon in-process with two upstreams: a healthy one behind /ok (answers
// every request on a connection with 200 "ok") and the scripted one under test behind
// everything else. keeps_serving() proves holdon still serves another client afterwards.
#pragma once
#include <doctest/doctest.h>

#include "holdon/log.hpp"
#include "wire/wire_harness.hpp"

namespace wire {

inline void serve_ok(conn& c) {
  for (;;) {
    auto req = read_head(c, 10000ms);
    read_body(c, req);
    c.send(response(200, "ok"));
  }
}

class rig {
 public:
  rig(std::uint16_t bad_port, const std::string& extra_yaml) : good_(serve_ok) {
    std::string yaml = "listen: [127.0.0.1:0]\nthreads: 1\nupstreams:\n  good: {servers: [127.0.0.1:" +
                       std::to_string(good_.port()) + "]}\n  bad: {servers: [127.0.0.1:" + std::to_string(bad_port) +
                       "]}\nroutes:\n  - {path_prefix: /ok, upstream: good}\n  - {path_prefix: /, upstream: bad}\n"
                       "log: {access: off}\n" + extra_yaml;
    auto cfg = std::make_shared<const holdon::config>(holdon::parse_config(yaml, "hardening-test"));
    holdon::set_log_level(holdon::log_level::error);
    server_ = std::make_unique<holdon::server>(cfg);
    port_ = server_->endpoints().front().port();
    server_->start();
  }
  ~rig() {
    server_->stop();
    server_->wait();
  }
  holdon::metrics& stats() { return server_->stats(); }
  conn connect() const { return connect_to(port_); }
  std::uint16_t port() const { return port_; }

  // A fresh client gets a complete 200 "ok" through holdon, and nothing is left in flight.
  bool keeps_serving() {
    auto c = connect();
    c.send("GET /ok HTTP/1.1\r\nHost: a\r\n\r\n");
    auto h = read_head(c);
    bool ok = h.status == 200 && read_body(c, h) == "ok";
    return ok && eventually([&] { return stats().exchanges_in_flight.load() == 0; });
  }

  // Every connection and exchange gone (after the test's clients closed theirs).
  bool all_settled() {
    return eventually([&] {
      return stats().exchanges_in_flight.load() == 0 && stats().client_connections.load() == 0;
    });
  }

 private:
  fake_upstream good_;
  std::unique_ptr<holdon::server> server_;
  std::uint16_t port_ = 0;
};

inline std::string get(std::string_view target, std::string_view extra = "") {
  return "GET " + std::string(target) + " HTTP/1.1\r\nHost: a\r\n" + std::string(extra) + "\r\n";
}

}  // namespace wire
