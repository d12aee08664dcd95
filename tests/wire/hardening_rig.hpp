// hardening_rig: holdon in-process with two upstreams: a healthy one behind /ok (answers
// every request on a connection with 200 "ok") and the scripted one under test behind
// everything else. keeps_serving() proves holdon still serves another client afterwards.
#pragma once
#include <doctest/doctest.h>

#include "wire/wire_harness.hpp"

namespace wire {

inline std::string rig_yaml(std::uint16_t good_port, std::uint16_t bad_port, const std::string& extra_yaml) {
  return "listen: [127.0.0.1:0]\nthreads: 1\nupstreams:\n  good: {servers: [127.0.0.1:" + std::to_string(good_port) +
         "]}\n  bad: {servers: [127.0.0.1:" + std::to_string(bad_port) +
         "]}\nroutes:\n  - {path_prefix: /ok, upstream: good}\n  - {path_prefix: /, upstream: bad}\n"
         "log: {access: off}\n" + extra_yaml;
}

class rig {
 public:
  rig(std::uint16_t bad_port, const std::string& extra_yaml)
      : good_(answer_every("ok")), px_(rig_yaml(good_.port(), bad_port, extra_yaml), holdon::log_level::error) {}
  holdon::metrics& stats() { return px_.stats(); }
  conn connect() const { return px_.connect(); }
  std::uint16_t port() const { return px_.port(); }

  // A fresh client gets a complete 200 "ok" through holdon, and nothing is left in flight.
  bool keeps_serving() {
    auto c = connect();
    auto r = round_trip(c, "GET /ok HTTP/1.1\r\nHost: a\r\n\r\n");
    bool ok = r.h.status == 200 && r.body == "ok";
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
  proxy px_;
};

}  // namespace wire
