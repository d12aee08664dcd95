// wire_fixtures: what the wire tests build on the sockets of wire_harness.cpp: the test PKI,
// holdon in-process, message builders, and the upstream scripts and client reads many cases share.
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <stdexcept>

#include "holdon/config.hpp"
#include "wire/wire_harness.hpp"

namespace wire {

namespace {
struct pki_dir {
  pki p;
  pki_dir() {
    char tmpl[] = "/tmp/holdon-pki.XXXXXX";
    if (!::mkdtemp(tmpl)) throw std::runtime_error("mkdtemp failed");
    p.dir = tmpl;
    auto cmd = "bash '" HOLDON_SOURCE_DIR "/tests/tls/make_pki.sh' '" + p.dir + "'";
    if (std::system(cmd.c_str()) != 0) throw std::runtime_error("tests/tls/make_pki.sh failed");
  }
  ~pki_dir() {
    std::error_code ignored;
    std::filesystem::remove_all(p.dir, ignored);  // private keys do not outlive the tests
  }
};

std::string single_route_yaml(std::uint16_t upstream_port, const std::string& extra_yaml, unsigned threads) {
  return "listen: [127.0.0.1:0]\nthreads: " + std::to_string(threads) + "\nupstreams:\n  app: {servers: [127.0.0.1:" +
         std::to_string(upstream_port) + "]}\nroutes:\n  - {path_prefix: /, upstream: app}\nlog: {access: off}\n" +
         extra_yaml;
}
}  // namespace

const pki& test_pki() {
  static pki_dir d;
  return d.p;
}

proxy::proxy(std::uint16_t upstream_port, const std::string& extra_yaml, unsigned threads)
    : proxy(single_route_yaml(upstream_port, extra_yaml, threads)) {}

proxy::proxy(const std::string& full_yaml, holdon::log_level level) {
  auto cfg = std::make_shared<const holdon::config>(holdon::parse_config(full_yaml, "wire-test"));
  holdon::set_log_level(level);
  server_ = std::make_unique<holdon::server>(cfg);
  port_ = server_->endpoints().front().port();
  for (const auto& ep : server_->endpoints()) ports_.push_back(ep.port());
  server_->start();
}

proxy::~proxy() {
  server_->stop();
  server_->wait();
}

bool eventually(const std::function<bool()>& pred, ms timeout) {
  auto deadline = clock::now() + timeout;
  while (clock::now() < deadline) {
    if (pred()) return true;
    std::this_thread::sleep_for(2ms);
  }
  return pred();
}

bool unchanged_for(const std::atomic<std::uint64_t>& counter, ms window) {
  auto before = counter.load();
  std::this_thread::sleep_for(window);
  return counter.load() == before;
}

std::string response(int status, std::string_view body, std::string_view extra) {
  std::string reason = status == 200 ? "OK" : status == 207 ? "Multi-Status" : "Status";
  return "HTTP/1.1 " + std::to_string(status) + " " + reason + "\r\nContent-Length: " +
         std::to_string(body.size()) + "\r\n" + std::string(extra) + "\r\n" + std::string(body);
}

std::string chunked(std::string_view body, std::size_t piece) {
  std::string out;
  for (std::size_t i = 0; i < body.size(); i += piece) {
    auto part = body.substr(i, piece);
    char hex[32];
    std::snprintf(hex, sizeof hex, "%zx\r\n", part.size());
    out += hex;
    out += part;
    out += "\r\n";
  }
  return out + "0\r\n\r\n";
}

std::string get(std::string_view target, std::string_view extra) {
  return "GET " + std::string(target) + " HTTP/1.1\r\nHost: a\r\n" + std::string(extra) + "\r\n";
}

reply round_trip(conn& c, std::string_view request, ms timeout) {
  c.send(request);
  reply r;
  r.h = read_head(c, timeout);
  r.body = read_body(c, r.h, timeout);
  return r;
}

reply round_trip(std::uint16_t port, std::string_view request, ms timeout) {
  auto c = connect_to(port);
  return round_trip(c, request, timeout);
}

reply head_then_eof(std::uint16_t port, std::string_view request, ms eof_timeout) {
  auto c = connect_to(port);
  c.send(request);
  reply r;
  r.h = read_head(c);
  r.body = c.read_to_eof(eof_timeout);
  return r;
}

void send_in_pieces(conn& c, std::string_view s, std::size_t piece) {
  for (std::size_t i = 0; i < s.size(); i += piece) c.send(s.substr(i, piece));
}

fake_upstream::script answer_once(std::string bytes) {
  return [bytes = std::move(bytes)](conn& c) {
    read_head(c);
    c.send(bytes);
    c.read_to_eof();
  };
}

fake_upstream::script cut_off_at(std::string target, std::string head, std::string body, std::size_t piece,
                                 std::string answer) {
  return [=](conn& c) {
    auto req = read_head(c);
    if (req.target == target) {
      c.send(head);
      send_in_pieces(c, body, piece);
      return;  // closes, short of what `head` announced
    }
    c.send(answer);
    c.read_to_eof();
  };
}

fake_upstream::script answer_every(std::string body) {
  return [body = std::move(body)](conn& c) {
    for (;;) {
      auto req = read_head(c, 10000ms);
      read_body(c, req);
      c.send(response(200, body));
    }
  };
}

fake_upstream::script answer_when(event& go, std::string bytes, std::string first) {
  return [&go, bytes = std::move(bytes), first = std::move(first)](conn& c) {
    read_head(c);
    if (!first.empty()) c.send(first);
    go.wait(5000ms);
    c.send(bytes);
    c.read_to_eof();
  };
}

fake_upstream::script note_close(event& closed) {
  return [&closed](conn& c) {
    read_head(c);
    if (c.closed_within(5000ms)) closed.set();
  };
}

fake_upstream::script answer_then_close(std::string bytes) {
  return [bytes = std::move(bytes)](conn& c) {
    read_head(c);
    c.send(bytes);
  };
}

recording_upstream::recording_upstream(std::string answer)
    : up([this, answer = std::move(answer)](conn& c) {
        seen = read_head(c).raw;
        seen_set.set();
        c.send(answer);
        c.read_to_eof();
      }) {}

int leave_after_first_head(std::uint16_t port, std::string_view request, const std::function<void()>& while_held) {
  auto c = connect_to(port);
  c.send(request);
  auto status = read_head(c).status;
  if (while_held) while_held();
  return status;
}  // the client closes here

std::vector<head> read_interims(conn& c, head& final_head, ms timeout) {
  std::vector<head> interims;
  for (;;) {
    auto h = read_head(c, timeout);
    if (h.status >= 200) {
      final_head = h;
      return interims;
    }
    interims.push_back(h);
  }
}

interim_run read_102s(conn& c, event* go, std::size_t n) {
  interim_run run;
  for (;;) {
    auto raw = c.read_until("\r\n\r\n");
    if (raw != k102) {
      run.final_raw = raw;
      return run;
    }
    run.at.push_back(clock::now());
    if (go && run.at.size() == n) go->set();
  }
}

interim_run ask_102s(conn& c, std::string_view request, event* go, std::size_t n) {
  auto sent = clock::now();
  c.send(request);
  auto run = read_102s(c, go, n);
  run.sent = sent;
  return run;
}

}  // namespace wire
